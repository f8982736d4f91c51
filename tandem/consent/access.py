"""The one door to releases and the accounting of disclosures."""

from typing import Any

from django.db import models
from django.db.models import Q
from django.http import Http404

from tandem.clients.access import CLINICIAN_ROLES, on_care_team
from tandem.consent.models import Disclosure, Release
from tandem.core import policy
from tandem.core.policy import Action

#: Care-team roles that prepare (and withdraw, attest) a release: the team except coordinators.
PREPARE_ROLES: tuple[str, ...] = CLINICIAN_ROLES


@policy.rule(Release)
def release_rule(
    user: Any, action: Action, qs: models.QuerySet[Release]
) -> models.QuerySet[Release]:
    """The client sees and signs/revokes their own; their care team (with MFA) sees and prepares.

    The care team is the one rule of ``clients.access``; the client's own right to
    sign and revoke is the explicit OR beside it.
    """
    if not policy.may_see_clinical_data(user):
        return qs.none()
    own = Q(client__user=user)
    if action == Action.VIEW:
        return qs.filter(own | Q(on_care_team(user, "client")))
    if action == Action.CHANGE:
        return qs.filter(own | Q(on_care_team(user, "client", PREPARE_ROLES)))
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


def signed_release_for(actor: Any, public_id: Any) -> Release:
    """Return the signed release whose PDF the actor may download; 404 otherwise (or unsigned)."""
    release = release_for(actor, public_id, Action.VIEW)
    if release.signed_at is None:
        raise Http404("Not found.")
    return release
