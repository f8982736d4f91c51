"""The one door to collaboration items: active care-team members (with MFA) of the client.

Whether an item written by another organisation may be *shown* is the consent
engine's decision, taken in ``selectors``; these rules only decide who is on
the team. Leaving the care team ends access at once: every rule checks the
seat on each request.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from tandem.care.models import (
    AlertStatus,
    ConsultNote,
    MedicationEvent,
    MessageAttachment,
    MessageThread,
    ProgressCheckIn,
    SafetyAlert,
    SafetyPlan,
)
from tandem.clients.access import client_for
from tandem.clients.models import CareTeamMember, Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Membership

#: Care-team roles that write clinical items (coordinators read and schedule).
CLINICIAN_ROLES = (Role.THERAPIST, Role.PRESCRIBER)
#: Roles of the paged practice that the rota and escalations reach.
ON_CALL_ROLES = (Role.PRESCRIBER, Role.PRACTICE_ADMIN)
#: While an alert is unresolved (waiting, or acknowledged and being handled), the paged
#: practice's on-call people need its details; once resolved their part is over.
ON_CALL_DETAIL_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def _team_filter(user: Any, client_path: str, roles: tuple[str, ...] | None = None) -> Exists:
    org_ids = [m.organisation_id for m in policy.active_memberships(user)]
    team = CareTeamMember.objects.filter(
        client=OuterRef(client_path), user=user, ended_on__isnull=True, organisation_id__in=org_ids
    )
    if roles is not None:
        team = team.filter(role__in=roles)
    return Exists(team)


def _team_rule(client_path: str, client_may_view: bool = False) -> Any:
    def rule(user: Any, action: Action, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if not policy.may_see_clinical_data(user):
            return qs.none()
        if action == Action.VIEW:
            mine = models.Q(**{f"{client_path}__user": user}) if client_may_view else models.Q()
            if client_may_view:
                return qs.filter(models.Q(_team_filter(user, client_path)) | mine)
            return qs.filter(_team_filter(user, client_path))
        if action == Action.CHANGE:
            return qs.filter(_team_filter(user, client_path, CLINICIAN_ROLES))
        return qs.none()

    return rule


for _model in (ConsultNote, MedicationEvent, ProgressCheckIn, MessageThread):
    policy.rule(_model)(_team_rule("client"))

_team_alerts = _team_rule("client")


@policy.rule(SafetyAlert)
def alert_rule(user: Any, action: Action, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """The care team, and the paged practice's prescribers and admins (the on-call rota)."""
    if not policy.may_see_clinical_data(user) or action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    on_call_orgs = [
        m.organisation_id for m in policy.active_memberships(user) if m.role in ON_CALL_ROLES
    ]
    team = _team_alerts(user, action, qs)
    return qs.filter(
        models.Q(pk__in=team.values("pk")) | models.Q(paged_organisation_id__in=on_call_orgs)
    )


policy.rule(SafetyPlan)(_team_rule("client", client_may_view=True))
policy.rule(MessageAttachment)(_team_rule("message__client"))


def on_call_reader(user: Any, alert: SafetyAlert) -> bool:
    """Return whether ``user`` reads the alert's details as its paged practice's on-call person.

    That is a practice admin of the paged practice, or one of its prescribers who
    was paged for this alert or is on call now, while the alert is unresolved and
    the practice still holds a seat on the client's care team or is the practice
    that raised the alert (a questionnaire's practice, before any care team exists). Inside the practice
    whose prescriber is on the care team this is no disclosure between
    organisations (the consent gate still judges the raising practice's details
    going to this practice). A paged practice that is not on the care team reads
    only that the alert exists.
    """
    from tandem.care.crisis import on_call_now

    org_id = alert.paged_organisation_id
    if (
        org_id is None
        or alert.status not in ON_CALL_DETAIL_STATUSES
        or not policy.may_see_clinical_data(user)
    ):
        return False
    roles = {
        m.role
        for m in policy.active_memberships(user)
        if m.organisation_id == org_id and m.role in ON_CALL_ROLES
    }
    if not roles:
        return False
    active = Membership.objects.filter(
        user=OuterRef("user"), organisation=OuterRef("organisation"), is_active=True
    )
    # The practice that raised the alert (or whose questionnaire raised it, say for a
    # client who reached it through the appointment bot and has no care team yet) holds
    # what the alert says: its on-call reads it inside that practice.
    on_team = (
        org_id == alert.organisation_id
        or CareTeamMember.objects.filter(
            Exists(active),
            client_id=alert.client_id,
            organisation_id=org_id,
            ended_on__isnull=True,
        ).exists()
    )
    if not on_team:
        return False
    if Role.PRACTICE_ADMIN in roles:
        return True
    paged = any(
        user.pk in event.detail.get("users", [])
        for event in alert.events.filter(kind__in=("notified", "escalated"))
    )
    assert alert.paged_organisation is not None
    return paged or user in on_call_now(alert.paged_organisation, timezone.now())


def seat(actor: Any, client: Client, roles: tuple[str, ...] | None = None) -> CareTeamMember | None:
    """Return the actor's active seat on the client's care team (in an active membership)."""
    org_ids = [m.organisation_id for m in policy.active_memberships(actor)]
    qs = CareTeamMember.objects.filter(
        client=client, user=actor, ended_on__isnull=True, organisation_id__in=org_ids
    ).select_related("organisation")
    if roles is not None:
        qs = qs.filter(role__in=roles)
    return qs.order_by("pk").first()


def team_client_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Client:
    """Return the client whose care team the actor sits on (audited read); 404 otherwise."""
    client = client_for(actor, public_id, action)
    if seat(actor, client) is None:
        raise Http404("Not found.")
    return client


def _get(actor: Any, model: type[models.Model], public_id: Any, action: Action) -> Any:
    related = ["client"] if model is not MessageAttachment else ["message__client"]
    return policy.get_or_404(
        actor, action, model._default_manager.select_related(*related), public_id=public_id
    )


def note_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> ConsultNote:
    return _get(actor, ConsultNote, public_id, action)


def checkin_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> ProgressCheckIn:
    return _get(actor, ProgressCheckIn, public_id, action)


def thread_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> MessageThread:
    return _get(actor, MessageThread, public_id, action)


def alert_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> SafetyAlert:
    return _get(actor, SafetyAlert, public_id, action)


def attachment_for(actor: Any, public_id: Any) -> MessageAttachment:
    return _get(actor, MessageAttachment, public_id, Action.VIEW)
