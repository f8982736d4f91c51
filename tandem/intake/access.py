"""The doors to what people send a practice: contact messages and intake sessions."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.intake.models import ContactMessage, IntakeSession
from tandem.organisations.models import Organisation

_INBOX_ROLES = (Role.COORDINATOR, Role.PRACTICE_ADMIN)


def inbox_org_ids(user: Any) -> list[int]:
    """Return the practices whose contact inbox ``user`` reads (coordinators with MFA)."""
    if not policy.is_signed_in(user) or not policy.has_mfa(user):
        return []
    return [m.organisation_id for m in policy.active_memberships(user) if m.role in _INBOX_ROLES]


@policy.rule(ContactMessage)
def contact_message_rule(
    user: Any, action: Action, qs: models.QuerySet[ContactMessage]
) -> models.QuerySet[ContactMessage]:
    """The practice's coordinators and admins, with a second factor; nobody else."""
    if action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    return qs.filter(organisation_id__in=inbox_org_ids(user))


@policy.rule(IntakeSession)
def intake_session_rule(
    user: Any, action: Action, qs: models.QuerySet[IntakeSession]
) -> models.QuerySet[IntakeSession]:
    """The person answering, once signed in (anonymous answers are reached by session key)."""
    if not policy.is_signed_in(user):
        return qs.none()
    return qs.filter(user=user)


def session_key_name(organisation: Organisation) -> str:
    return f"intake:{organisation.public_id}"


def current_session(request: HttpRequest, organisation: Organisation) -> IntakeSession | None:
    """Return this visitor's intake for ``organisation``: by their account, or their browser key."""
    user = request.user
    if policy.is_signed_in(user):
        mine = (
            policy.scope(user, Action.VIEW, IntakeSession.objects.all())
            .filter(organisation=organisation)
            .order_by("-created_at")
            .first()
        )
        if mine is not None:
            return mine
    key = request.session.get(session_key_name(organisation))
    if not key:
        return None
    found = IntakeSession.objects.filter(key=key, organisation=organisation).first()
    if (
        found is not None
        and found.user_id is not None
        and found.user_id != getattr(user, "pk", None)
    ):
        return None  # it belongs to an account: sign in to resume it
    return found
