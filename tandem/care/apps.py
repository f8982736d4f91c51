from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "tandem.care"
    label = "care"

    def ready(self) -> None:
        from tandem.care import access  # noqa: F401  (registers the access rules)
