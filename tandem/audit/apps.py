from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Recording the audit trail. Who may read it is decided in `tandem.audit.reports`."""

    name = "tandem.audit"
    label = "audit"
