"""Writes about organisations: inviting people to a role, their answer, and revoking roles.

Nobody is given a role without saying yes: an admin invites an email address,
and the person who owns that address accepts (``accept_invitation``), which is
what creates the membership.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import ClinicianProfile, User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import Role
from tandem.organisations import signals, states
from tandem.organisations.models import (
    INVITATION_DAYS,
    ROLES_BY_KIND,
    Invitation,
    InvitationStatus,
    Membership,
    Organisation,
    OrganisationKind,
)

#: Why a client's portal account cannot take a staff role (MFA and staff pages would lock them
#: out of their own portal, and one account would mix their care with their work).
CLIENT_ACCOUNT_REFUSAL = (
    "This is a client portal account. To work in a practice, sign up for a separate staff "
    "account with a different email address, and ask the practice to invite that address."
)

#: What the invitee is told when the invitation can no longer be answered, by status.
CLOSED_REASONS = {
    InvitationStatus.ACCEPTED: "This invitation was already accepted.",
    InvitationStatus.DECLINED: "This invitation was declined.",
    InvitationStatus.REVOKED: "The practice withdrew this invitation.",
    InvitationStatus.EXPIRED: "This invitation has expired. Ask the practice to send a new one.",
}


@transaction.atomic
def register_therapist(
    *,
    user: User,
    full_name: str,
    licence_type: str,
    licence_number: str,
    licence_states: list[str],
    practice_name: str = "",
) -> Organisation:
    """Make a newly signed-up user a therapist with a solo practice that they administer."""
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    ClinicianProfile.objects.create(
        user=user,
        licence_type=licence_type,
        licence_number=licence_number,
        licence_states=licence_states,
    )
    practice = Organisation.objects.create(
        kind=OrganisationKind.THERAPY_PRACTICE,
        name=practice_name or f"{full_name} Therapy",
        state=licence_states[0] if licence_states else "",
    )
    for role in (Role.THERAPIST, Role.PRACTICE_ADMIN):
        membership = Membership.objects.create(user=user, organisation=practice, role=role)
        record(
            actor=user,
            action=AuditAction.PERMISSION_GRANTED,
            obj=membership,
            organisation=practice,
            detail={"role": role, "user": str(user.public_id), "via": "signup"},
        )
    policy.forget(user)
    return practice


def _holds_role(organisation: Organisation, email: str, role: str) -> bool:
    """Return whether the owner of ``email`` already holds ``role`` here (actively)."""
    return Membership.objects.filter(
        Q(user__email__iexact=email)
        | Q(user__emailaddress__email__iexact=email, user__emailaddress__verified=True),
        organisation=organisation,
        role=role,
        is_active=True,
    ).exists()


@transaction.atomic
def invite(*, actor: Any, organisation: Organisation, email: str, role: str) -> Invitation:
    """Invite whoever owns ``email`` to hold ``role`` in ``organisation``; email them a link.

    The answer is the same whether or not the address has a Tandem account, so
    the form cannot be used to find out who uses Tandem. Inviting the same
    address to the same role again while an invitation is pending returns that
    invitation (a double click sends one email).
    """
    if not policy.allows(actor, Action.MANAGE, organisation):
        raise Forbidden("Only the practice's admins may grant roles.")
    if role not in ROLES_BY_KIND.get(organisation.kind, frozenset()):
        raise ValidationError(
            {"role": f"A {organisation.get_kind_display().lower()} has no such role."}
        )
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid email address."}) from None
    if _holds_role(organisation, email, role):
        raise ValidationError({"role": "They already hold that role here."})
    now = timezone.now()
    pending = (
        Invitation.objects.select_for_update()
        .filter(organisation=organisation, email=email, role=role, status=InvitationStatus.PENDING)
        .first()
    )
    if pending is not None and pending.is_open(now):
        return pending
    if pending is not None:
        states.move(pending, InvitationStatus.EXPIRED)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation,
                email=email,
                role=role,
                invited_by=actor,
                expires_at=now + dt.timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError:
        # Another request (the other half of a double click) created it first.
        return Invitation.objects.get(
            organisation=organisation, email=email, role=role, status=InvitationStatus.PENDING
        )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=invitation,
        organisation=organisation,
        detail={"role": role, "expires_at": invitation.expires_at.isoformat()},
    )
    signals.invitation_created.send(sender=Invitation, invitation_id=invitation.pk)
    return invitation


def _lock_for_answer(actor: Any, invitation: Invitation) -> Invitation:
    locked = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    )
    if not policy.allows(actor, Action.CHANGE, locked):
        raise Forbidden("Only the person invited may answer this invitation.")
    if locked.status != InvitationStatus.PENDING:
        raise ValidationError(CLOSED_REASONS[InvitationStatus(locked.status)])
    if not locked.is_open(timezone.now()):
        raise ValidationError(CLOSED_REASONS[InvitationStatus.EXPIRED])
    return locked


def _close(invitation: Invitation, actor: Any, status: InvitationStatus) -> None:
    invitation.responded_at = timezone.now()
    invitation.answered_by = actor if status != InvitationStatus.REVOKED else None
    states.move(invitation, status, also=("responded_at", "answered_by", "membership"))


@transaction.atomic
def accept_invitation(*, actor: Any, invitation: Invitation) -> Membership:
    """Give the invitee the role they were invited to; refuse a client's portal account."""
    locked = _lock_for_answer(actor, invitation)
    organisation = locked.organisation
    if policy.has_client_record(actor):
        raise ValidationError(CLIENT_ACCOUNT_REFUSAL)
    if locked.role not in ROLES_BY_KIND.get(organisation.kind, frozenset()):
        raise ValidationError(
            f"A {organisation.get_kind_display().lower()} has no such role any more."
        )
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=actor, organisation=organisation, role=locked.role, defaults={"is_active": True}
    )
    already = not created and membership.is_active
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    locked.membership = membership
    _close(locked, actor, InvitationStatus.ACCEPTED)
    policy.forget(actor)
    record(
        actor=actor,
        action=AuditAction.UPDATE if already else AuditAction.PERMISSION_GRANTED,
        obj=membership,
        organisation=organisation,
        detail={
            "role": locked.role,
            "user": str(actor.public_id),
            "via": "invitation",
            "invitation": str(locked.public_id),
        },
    )
    return membership


@transaction.atomic
def decline_invitation(*, actor: Any, invitation: Invitation) -> None:
    """Say no to an invitation: it can no longer be accepted, and the practice sees the answer."""
    locked = _lock_for_answer(actor, invitation)
    _close(locked, actor, InvitationStatus.DECLINED)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        organisation=locked.organisation,
        detail={"changed": ["status"], "status": InvitationStatus.DECLINED},
    )


@transaction.atomic
def revoke_invitation(*, actor: Any, invitation: Invitation) -> None:
    """Withdraw a pending invitation; its link then opens nothing."""
    locked = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    )
    if not policy.allows(actor, Action.MANAGE, locked):
        raise Forbidden("Only the practice's admins may withdraw invitations.")
    if locked.status != InvitationStatus.PENDING:
        raise ValidationError(
            f"That invitation is no longer pending ({locked.get_status_display().lower()})."
        )
    if not locked.is_open(timezone.now()):
        raise ValidationError("That invitation has already expired.")
    _close(locked, actor, InvitationStatus.REVOKED)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=locked,
        organisation=locked.organisation,
        detail={"changed": ["status"], "status": InvitationStatus.REVOKED},
    )


@transaction.atomic
def revoke_role(*, actor: Any, membership: Membership) -> None:
    """End a membership; the last active practice admin cannot be removed."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if not policy.allows(actor, Action.MANAGE, locked):
        raise Forbidden("Only the practice's admins may revoke roles.")
    if not locked.is_active:
        raise ValidationError("That role was already revoked.")
    if locked.role == "practice_admin":
        admins = Membership.objects.filter(
            organisation_id=locked.organisation_id, role="practice_admin", is_active=True
        ).count()
        if admins <= 1:
            raise ValidationError("A practice needs at least one admin; appoint another first.")
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    record(
        actor=actor,
        action=AuditAction.PERMISSION_REVOKED,
        obj=locked,
        organisation=locked.organisation,
        detail={"role": locked.role, "user": str(locked.user.public_id)},
    )
    policy.forget(locked.user)
