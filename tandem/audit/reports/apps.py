from django.apps import AppConfig


class AuditReportsConfig(AppConfig):
    name = "tandem.audit.reports"
    label = "audit_reports"
    verbose_name = "Audit reports"

    def ready(self) -> None:
        # deferred: Django's ready() hook; the rule module needs the models loaded
        from tandem.audit.reports import access  # noqa: F401  (registers the access rules)
