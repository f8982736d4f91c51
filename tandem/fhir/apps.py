from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "tandem.fhir"
    label = "fhir"
    verbose_name = "FHIR API"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing it connects the
        # bulk export's background-work receivers.
        from tandem.fhir import tasks  # noqa: F401
