"""Writes about organisations: granting and revoking roles."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy
from tandem.core.policy import Action
from tandem.organisations.models import ROLES_BY_KIND, Membership, Organisation


@transaction.atomic
def grant_role(*, actor: Any, organisation: Organisation, email: str, role: str) -> Membership:
    """Give the person with ``email`` a role in ``organisation`` (the actor must manage it)."""
    if not policy.allows(actor, Action.MANAGE, organisation):
        raise PermissionError("Only the practice's admins may grant roles.")
    if role not in ROLES_BY_KIND.get(organisation.kind, frozenset()):
        raise ValidationError(
            {"role": f"A {organisation.get_kind_display().lower()} has no such role."}
        )
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError(
            {"email": "No Tandem account uses that email. Ask them to create an account first."}
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"is_active": True}
    )
    if not created and membership.is_active:
        raise ValidationError({"role": "They already hold that role here."})
    if not created:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    record(
        actor=actor,
        action=AuditAction.PERMISSION_GRANTED,
        obj=membership,
        organisation=organisation,
        detail={"role": role, "user": str(user.public_id)},
    )
    policy.forget(user)
    return membership


@transaction.atomic
def revoke_role(*, actor: Any, membership: Membership) -> None:
    """End a membership; the last active practice admin cannot be removed."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if not policy.allows(actor, Action.MANAGE, locked):
        raise PermissionError("Only the practice's admins may revoke roles.")
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
