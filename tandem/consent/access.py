"""The one door to releases and the accounting of disclosures."""

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from tandem.clients.models import CareTeamMember, Client
from tandem.consent.models import Disclosure, Release
from tandem.core import policy
from tandem.core.policy import Action


def _care_team_clients(user: Any) -> models.QuerySet[CareTeamMember]:
    org_ids = [m.organisation_id for m in policy.active_memberships(user)]
    return CareTeamMember.objects.filter(
        user=user, ended_on__isnull=True, organisation_id__in=org_ids
    )


@policy.rule(Release)
def release_rule(
    user: Any, action: Action, qs: models.QuerySet[Release]
) -> models.QuerySet[Release]:
    """The client sees and signs/revokes their own; their care team (with MFA) sees and prepares."""
    if not policy.may_see_clinical_data(user):
        return qs.none()
    team = _care_team_clients(user).filter(client=OuterRef("client"))
    if action == Action.VIEW:
        return qs.filter(Q(client__user=user) | Q(Exists(team)))
    if action == Action.CHANGE:
        return qs.filter(Q(client__user=user) | Q(Exists(team.exclude(role="coordinator"))))
    return qs.none()


@policy.rule(Disclosure)
def disclosure_rule(
    user: Any, action: Action, qs: models.QuerySet[Disclosure]
) -> models.QuerySet[Disclosure]:
    """The client sees their accounting of disclosures; nobody changes it."""
    if action != Action.VIEW or not policy.is_signed_in(user):
        return qs.none()
    return qs.filter(client__user=user)


def release_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Release:
    """Return the release the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor, action, Release.objects.select_related("client", "form_text"), public_id=public_id
    )


def own_client_record(actor: Any) -> Client | None:
    """Return the signed-in client's own record, if they have one."""
    if not policy.is_signed_in(actor):
        return None
    return Client.objects.filter(user=actor).first()
