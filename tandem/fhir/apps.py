from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "tandem.fhir"
    label = "fhir"
    verbose_name = "FHIR API"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing these registers
        # the roster imports' access rule, their settings section, and the background-work
        # receivers of roster imports and bulk exports.
        from tandem.fhir import roster_access, roster_views, tasks  # noqa: F401
