from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tandem.consent"
    label = "consent"

    def ready(self) -> None:
        from tandem.consent import access  # noqa: F401  (registers the access rules)
