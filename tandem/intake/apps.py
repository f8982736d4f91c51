from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tandem.intake"
    label = "intake"
    verbose_name = "Intake: public practice page, contact form and appointment bot"

    def ready(self) -> None:
        from tandem.intake import access  # noqa: F401  (registers the access rules)
