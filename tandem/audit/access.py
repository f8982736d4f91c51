"""Who may read the audit trail."""

from typing import Any

from django.db import models

from tandem.audit.models import AuditEvent
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role


@policy.rule(AuditEvent)
def audit_rule(
    user: Any, action: Action, qs: models.QuerySet[AuditEvent]
) -> models.QuerySet[AuditEvent]:
    """Platform operators see all; practice admins their practice's events; nobody changes any."""
    if action != Action.VIEW or not policy.may_see_clinical_data(user):
        return qs.none()
    if user.is_superuser:
        return qs
    org_ids = [
        str(m.organisation.public_id)
        for m in policy.active_memberships(user)
        if m.role == Role.PRACTICE_ADMIN
    ]
    return qs.filter(organisation_id__in=org_ids)
