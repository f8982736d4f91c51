"""The one door to organisations and memberships."""

from typing import Any

from django.db import models

from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation


def _admin_org_ids(user: Any) -> list[int]:
    if not policy.has_mfa(user):
        return []
    return [
        m.organisation_id for m in policy.active_memberships(user) if m.role == Role.PRACTICE_ADMIN
    ]


def _member_org_ids(user: Any) -> list[int]:
    return [m.organisation_id for m in policy.active_memberships(user)]


@policy.rule(Organisation)
def organisation_rule(
    user: Any, action: Action, qs: models.QuerySet[Organisation]
) -> models.QuerySet[Organisation]:
    """Members see their organisation; its practice admins (with MFA) manage it."""
    if action == Action.VIEW:
        return qs.filter(pk__in=_member_org_ids(user))
    if action in (Action.CHANGE, Action.MANAGE):
        return qs.filter(pk__in=_admin_org_ids(user))
    return qs.none()


@policy.rule(Membership)
def membership_rule(
    user: Any, action: Action, qs: models.QuerySet[Membership]
) -> models.QuerySet[Membership]:
    """Colleagues see each other's roles; practice admins (with MFA) grant and revoke them."""
    if action == Action.VIEW:
        return qs.filter(organisation_id__in=_member_org_ids(user))
    if action in (Action.CHANGE, Action.MANAGE):
        return qs.filter(organisation_id__in=_admin_org_ids(user))
    return qs.none()


def organisation_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Organisation:
    """Return the organisation the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(actor, action, Organisation.objects.all(), public_id=public_id)


def membership_for(actor: Any, public_id: Any, action: Action = Action.MANAGE) -> Membership:
    """Return the membership the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor,
        action,
        Membership.objects.select_related("user", "organisation"),
        public_id=public_id,
    )
