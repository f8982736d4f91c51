from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "tandem.fhir"
    label = "fhir"
    verbose_name = "FHIR API"

    def ready(self) -> None:
        # deferred: the resources of ``more`` (Slot, Schedule, Questionnaire, Communication,
        # AuditEvent) join ``selectors.RESOURCES`` once the app registry is ready.
        from tandem.fhir import more  # noqa: F401
