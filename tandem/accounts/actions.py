"""Writes about people: registration, credentials."""

from django.db import transaction

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction


@transaction.atomic
def register_client(*, user: User, full_name: str) -> None:
    """Record the name of a client who opened a portal account themselves."""
    user.full_name = full_name
    user.save(update_fields=["full_name"])


@transaction.atomic
def update_clinician_profile(
    *,
    actor: User,
    full_name: str,
    preferred_name: str,
    licence_type: str | None = None,
    licence_number: str | None = None,
    licence_states: list[str] | None = None,
) -> None:
    """Change the actor's own name and, for clinicians, licence details."""
    actor.full_name = full_name
    actor.preferred_name = preferred_name
    actor.save(update_fields=["full_name", "preferred_name"])
    changed = ["full_name", "preferred_name"]
    profile = getattr(actor, "clinician_profile", None)
    if profile is not None and licence_type is not None:
        profile.licence_type = licence_type
        profile.licence_number = licence_number or ""
        profile.licence_states = licence_states or []
        profile.full_clean()
        profile.save()
        changed += ["licence_type", "licence_number", "licence_states"]
    record(actor=actor, action=AuditAction.UPDATE, obj=actor, detail={"fields": changed})
