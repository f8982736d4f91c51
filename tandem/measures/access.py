"""The one door to measurement records: the client's active care team (with MFA), and the client.

These rules decide who is on the team. Whether a response collected by another
organisation may be *shown* is the consent engine's decision, taken in
``selectors`` (category "questionnaire results"), exactly as on the care timeline.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import CareTeamMember, Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.measures.models import (
    CaseReview,
    MeasureSchedule,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)

#: Care-team roles that define trackers, record reviews and enter answers.
CLINICIAN_ROLES = (Role.THERAPIST, Role.PRESCRIBER)
#: Everyone on a care team may enter answers a client gave on paper or aloud.
ENTRY_ROLES = (Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR)


def _team(user: Any, client_path: str, roles: tuple[str, ...] | None = None) -> Exists:
    org_ids = [m.organisation_id for m in policy.active_memberships(user)]
    team = CareTeamMember.objects.filter(
        client=OuterRef(client_path), user=user, ended_on__isnull=True, organisation_id__in=org_ids
    )
    if roles is not None:
        team = team.filter(role__in=roles)
    return Exists(team)


def _rule(client_path: str, *, client_may_view: bool) -> Any:
    def rule(user: Any, action: Action, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
        if not policy.may_see_clinical_data(user):
            return qs.none()
        if action == Action.VIEW:
            if client_may_view:
                return qs.filter(
                    models.Q(_team(user, client_path)) | models.Q(**{f"{client_path}__user": user})
                )
            return qs.filter(_team(user, client_path))
        if action == Action.CHANGE:
            return qs.filter(_team(user, client_path, CLINICIAN_ROLES))
        return qs.none()

    return rule


policy.rule(QuestionnaireResponse)(_rule("client", client_may_view=True))
policy.rule(SymptomTracker)(_rule("client", client_may_view=True))
policy.rule(SymptomEntry)(_rule("tracker__client", client_may_view=True))
policy.rule(MeasureSchedule)(_rule("client", client_may_view=True))
policy.rule(CaseReview)(_rule("client", client_may_view=False))


def seat(actor: Any, client: Client, roles: tuple[str, ...] | None = None) -> CareTeamMember | None:
    """Return the actor's active care-team seat for ``client`` (in an active membership)."""
    org_ids = [m.organisation_id for m in policy.active_memberships(actor)]
    qs = CareTeamMember.objects.filter(
        client=client, user=actor, ended_on__isnull=True, organisation_id__in=org_ids
    ).select_related("organisation")
    if roles is not None:
        qs = qs.filter(role__in=roles)
    return qs.order_by("pk").first()


def own_client_record(actor: Any) -> Client | None:
    """Return the signed-in client's own record, if the actor is a client."""
    if not policy.is_signed_in(actor):
        return None
    return Client.objects.filter(user=actor).first()


def response_for(actor: Any, public_id: Any) -> QuestionnaireResponse:
    """Return a response the actor may see (team or the client), recording the read; 404 otherwise."""
    response = policy.get_or_404(
        actor,
        Action.VIEW,
        QuestionnaireResponse.objects.select_related("client", "organisation", "entered_by"),
        public_id=public_id,
    )
    member = seat(actor, response.client)
    record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=response,
        client=response.client,
        organisation=member.organisation if member else None,
        actor_role=member.role if member else Role.CLIENT,
    )
    return response


def tracker_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> SymptomTracker:
    """Return a tracker the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor, action, SymptomTracker.objects.select_related("client"), public_id=public_id
    )
