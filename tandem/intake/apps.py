from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tandem.intake"
    label = "intake"
    verbose_name = "Intake: public practice page, contact form and appointment bot"

    def ready(self) -> None:
        # deferred: rules and receivers register once the app registry is ready (Django's hook).
        from tandem.intake import access, tasks  # noqa: F401  (access rules; task receivers)
