"""The one door to organisations and memberships."""

from typing import Any

from allauth.account.models import EmailAddress
from django.core import signing
from django.db import models
from django.http import Http404

from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Invitation, Membership, Organisation, OrganisationKind

#: Keeps invitation links from being valid signatures anywhere else the site signs things.
_LINK_SALT = "tandem.organisations.invitation-link"


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


def verified_emails(user: Any) -> list[str]:
    """Return the addresses the user has proved they own, lower-cased."""
    if not policy.is_signed_in(user):
        return []
    return [
        email.lower()
        for email in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    ]


@policy.rule(Invitation)
def invitation_rule(
    user: Any, action: Action, qs: models.QuerySet[Invitation]
) -> models.QuerySet[Invitation]:
    """The practice's admins (with MFA) see and revoke; only the invitee answers.

    The invitee is whoever has proved they own the invited address: answering
    (CHANGE) needs no second factor, since a newcomer has none yet.
    """
    if action in (Action.VIEW, Action.MANAGE):
        return qs.filter(organisation_id__in=_admin_org_ids(user))
    if action == Action.CHANGE:
        return qs.filter(email__in=verified_emails(user))
    return qs.none()


def invitation_link_token(invitation: Invitation) -> str:
    """Return the token of the invitation's emailed link: its public id, signed."""
    return signing.Signer(salt=_LINK_SALT).sign(str(invitation.public_id))


def invitation_for(actor: Any, public_id: Any, action: Action = Action.MANAGE) -> Invitation:
    """Return the invitation the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor, action, Invitation.objects.select_related("organisation"), public_id=public_id
    )


def invitation_for_link(actor: Any, token: str) -> Invitation:
    """Return the invitation an emailed link names, if it was sent to the actor; else 404.

    A forged or mangled token, an unknown invitation and someone else's all look
    the same, so the link reveals nothing to anyone but the invitee.
    """
    try:
        public_id = signing.Signer(salt=_LINK_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404("Not found.") from None
    return policy.get_or_404(
        actor,
        Action.CHANGE,
        Invitation.objects.select_related("organisation", "invited_by"),
        public_id=public_id,
    )


def public_practice(practice_id: Any) -> Organisation:
    """Return an active psychiatric practice by its public id; 404 otherwise."""
    found = Organisation.objects.filter(
        public_id=practice_id, is_active=True, kind=OrganisationKind.PSYCHIATRIC_PRACTICE
    ).first()
    if found is None:
        raise Http404("Not found.")
    return found
