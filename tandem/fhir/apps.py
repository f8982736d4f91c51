from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "tandem.fhir"
    label = "fhir"
    verbose_name = "FHIR API"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing these registers
        # the roster imports' access rule, their settings section, the background-work
        # receivers of roster imports and bulk exports, and the resources of ``more`` (Slot,
        # Schedule, Questionnaire, Communication, AuditEvent) in ``selectors.RESOURCES``, and
        # signed releases beside the notes in its DocumentReference entry.
        from tandem.fhir import (  # noqa: F401
            more,
            release_documents,
            roster_access,
            roster_views,
            tasks,
        )
