from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tandem.consent"
    label = "consent"

    def ready(self) -> None:
        # deferred: rules and receivers register once the app registry is ready (Django's hook).
        from tandem.consent import access, tasks  # noqa: F401  (access rules; task receivers)
