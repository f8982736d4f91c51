from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "tandem.measures"
    label = "measures"

    def ready(self) -> None:
        # deferred: rules and receivers register once the app registry is ready (Django's hook).
        from tandem.measures import access, tasks  # noqa: F401  (access rules; task receivers)
