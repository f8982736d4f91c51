"""The one door to client records."""

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import CareTeamMember, Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role

#: Roles on a care team that may change the client's record (coordinators only read it).
_EDITING_ROLES = (Role.THERAPIST, Role.PRESCRIBER)


@policy.rule(Client)
def client_rule(user: Any, action: Action, qs: models.QuerySet[Client]) -> models.QuerySet[Client]:
    """Care-team members (through an active membership, with MFA) and the client themself."""
    if not policy.may_see_clinical_data(user):
        return qs.none()
    org_ids = [m.organisation_id for m in policy.active_memberships(user)]
    team = CareTeamMember.objects.filter(
        client=OuterRef("pk"), user=user, ended_on__isnull=True, organisation_id__in=org_ids
    )
    if action == Action.VIEW:
        return qs.filter(Q(Exists(team)) | Q(user=user))
    if action == Action.CHANGE:
        return qs.filter(Exists(team.filter(role__in=_EDITING_ROLES)))
    return qs.none()


def client_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Client:
    """Return the client the actor may ``action``, recording the read; 404 for missing or forbidden."""
    client = policy.get_or_404(actor, action, Client.objects.all(), public_id=public_id)
    if action == Action.VIEW:
        seat = care_team_seat(actor, client)
        record(
            actor=actor,
            action=AuditAction.VIEW,
            obj=client,
            client=client,
            # The practice through which the actor reads, so its admins see the read.
            organisation=seat.organisation if seat else None,
            actor_role=seat.role if seat else actor_role_for(actor, client),
        )
    return client


def own_record(actor: Any) -> Client | None:
    """Return the signed-in client's own record, or None for anyone who is not a client."""
    if not policy.is_signed_in(actor):
        return None
    return Client.objects.filter(user=actor).first()


def care_team_seat(actor: Any, client: Client) -> CareTeamMember | None:
    """Return the actor's active place on the client's care team, if they have one."""
    return (
        CareTeamMember.objects.filter(client=client, user=actor, ended_on__isnull=True)
        .select_related("organisation")
        .order_by("pk")
        .first()
    )


def actor_role_for(actor: Any, client: Client) -> str:
    """Return the role in which ``actor`` reaches ``client`` (for the audit row)."""
    if client.user_id == actor.pk:
        return Role.CLIENT
    seat = care_team_seat(actor, client)
    return seat.role if seat else ""


def caseload_for(actor: Any) -> models.QuerySet[Client]:
    """Return the clients on the actor's active care teams (clients themselves get none)."""
    org_ids = [m.organisation_id for m in policy.active_memberships(actor)]
    return (
        policy.scope(actor, Action.VIEW, Client.objects.all())
        .filter(
            care_team__user=actor,
            care_team__ended_on__isnull=True,
            care_team__organisation_id__in=org_ids,
        )
        .distinct()
    )
