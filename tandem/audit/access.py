"""Who may read the audit trail."""

from typing import Any

from django.db import models
from django.db.models import Q

from tandem.audit.models import AuditEvent
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role


@policy.rule(AuditEvent)
def audit_rule(
    user: Any, action: Action, qs: models.QuerySet[AuditEvent]
) -> models.QuerySet[AuditEvent]:
    """Decide who reads which events; nobody changes any.

    Platform operators read all. A practice admin reads their practice's
    events, plus the account events (sign-ins, failed sign-ins, factor and
    password changes) of the people who work there, which name no practice.
    (Events that name another practice stay with that practice's admins.)
    A client reads the events about their own record, and the list reads (a
    caseload page, the inbox, the calendar) whose list named them.
    """
    if action != Action.VIEW or not policy.may_see_clinical_data(user):
        return qs.none()
    if user.is_superuser:
        return qs
    allowed = Q(pk__in=[])
    admin_orgs = [
        m.organisation for m in policy.active_memberships(user) if m.role == Role.PRACTICE_ADMIN
    ]
    if admin_orgs:
        allowed |= _practice_events(admin_orgs)
    if Role.CLIENT in policy.roles(user):
        allowed |= _own_record_events(user)
    return qs.filter(allowed)


def _practice_events(organisations: list[Any]) -> Q:
    from tandem.accounts.models import User
    from tandem.organisations.models import Membership

    staff = Membership.objects.filter(organisation__in=organisations).values("user_id")
    staff_accounts = User.objects.filter(pk__in=staff).values("public_id")
    return Q(organisation_id__in=[str(o.public_id) for o in organisations]) | Q(
        Q(actor_id__in=staff)
        | Q(object_type="accounts.user", object_id__in=_as_text(staff_accounts)),
        organisation_id="",
    )


def _own_record_events(user: Any) -> Q:
    """Events about the client's record, and list reads whose list named them."""
    from tandem.audit.models import AuditEventClient
    from tandem.clients.models import Client

    mine = _as_text(Client.objects.filter(user=user).values("public_id"))
    listed = AuditEventClient.objects.filter(client_id__in=mine).values("event_id")
    return Q(client_id__in=mine) | Q(pk__in=listed)


def _as_text(public_ids: models.QuerySet[Any]) -> list[str]:
    # Audit rows keep ids as text (they outlive the rows they name), so compare as text.
    return [str(value["public_id"]) for value in public_ids]
