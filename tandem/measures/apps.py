from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "tandem.measures"
    label = "measures"

    def ready(self) -> None:
        from tandem.measures import access  # noqa: F401  (registers the access rules)
