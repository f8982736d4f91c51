"""Who may read the audit trail (a client reads the events about their own record)."""

from typing import Any

from django.db import models
from django.db.models import Q

from tandem.audit.models import AuditEvent, AuditEventClient
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role


@policy.rule(AuditEvent)
def audit_rule(
    user: Any, action: Action, qs: models.QuerySet[AuditEvent]
) -> models.QuerySet[AuditEvent]:
    """Decide who reads which events; nobody changes any.

    Platform operators read all. A practice admin reads only the events that
    happened in their practice (that name it): never a person's account events
    (sign-ins, failed sign-ins, factor and password changes), nor anything else
    that names no practice or another one. Joining a practice, which takes the
    person's own yes (an accepted invitation), must not open their history
    elsewhere to its admins.
    A client reads the events about their own record, and the list reads (a
    caseload page, the inbox, the calendar) whose list named them.
    """
    if action != Action.VIEW or not policy.may_see_clinical_data(user):
        return qs.none()
    if user.is_superuser:
        return qs
    allowed = Q(pk__in=[])
    admin_orgs = [
        str(m.organisation.public_id)
        for m in policy.active_memberships(user)
        if m.role == Role.PRACTICE_ADMIN
    ]
    if admin_orgs:
        allowed |= Q(organisation_id__in=admin_orgs)
    if Role.CLIENT in policy.roles(user):
        allowed |= _own_record_events(user)
    return qs.filter(allowed)


def _own_record_events(user: Any) -> Q:
    """Events about the client's record, and list reads whose list named them."""
    mine = _as_text(Client.objects.filter(user=user).values("public_id"))
    listed = AuditEventClient.objects.filter(client_id__in=mine).values("event_id")
    return Q(client_id__in=mine) | Q(pk__in=listed)


def _as_text(public_ids: models.QuerySet[Any]) -> list[str]:
    # Audit rows keep ids as text (they outlive the rows they name), so compare as text.
    return [str(value["public_id"]) for value in public_ids]
