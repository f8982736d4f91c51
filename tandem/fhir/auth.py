"""Who is calling: a bearer token, its system client or user app, and the actor the policy sees."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from tandem.accounts.models import User
from tandem.core import policy
from tandem.fhir.models import SystemClient, UserApp


class Unauthenticated(Exception):
    """No token, an unknown one, or one that has expired or been revoked."""


@dataclass
class Caller:
    """The system or app calling, the scopes its token carries, and the actor its reads go through.

    ``context`` is the scopes' context the token answers to: ``system`` for a system
    client (client credentials), ``user`` for an app acting for a signed-in person.
    """

    system: SystemClient | None
    scopes: str
    actor: User
    context: str = "system"
    app: UserApp | None = None


def actor_for(system: SystemClient | UserApp, user_id: int = 0) -> User:
    """Return the person a token acts as, seen by the policy only as a member of its practice.

    For a system client, its accountable user; for a user app, ``user_id`` (the person who
    allowed it). The policy's per-request membership cache is narrowed to the one
    practice, so every rule (care team, referral side, minimum necessary) answers as for
    that person working in that practice and nowhere else.
    """
    pk = system.acting_user_id if isinstance(system, SystemClient) else user_id
    actor = User.objects.get(pk=pk)
    policy.forget(actor)
    actor._tandem_memberships = [  # type: ignore[attr-defined]
        m for m in policy.active_memberships(actor) if m.organisation_id == system.organisation_id
    ]
    return actor


def authenticate(request: HttpRequest) -> Caller:
    """Return the caller of a FHIR request from its ``Authorization: Bearer`` token."""
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        raise Unauthenticated("Send an access token: Authorization: Bearer <token>.")
    token = (
        get_access_token_model()
        .objects.select_related("application__system_client", "application__user_app")
        .filter(token_checksum=_checksum(value.strip()))
        .first()
    )
    if token is None or token.expires <= timezone.now():
        raise Unauthenticated("The access token is unknown or has expired.")
    app: Any = getattr(token.application, "user_app", None)
    if app is not None:
        return _user_caller(app, token)
    system: Any = getattr(token.application, "system_client", None)
    if system is None or not system.is_active:
        raise Unauthenticated("The access token's client is not a Tandem FHIR system client.")
    return Caller(system=system, scopes=token.scope, actor=actor_for(system))


def _user_caller(app: UserApp, token: Any) -> Caller:
    """Return the person an app's token acts for, re-checked on every call.

    A token is only as good as the person's standing now: deactivated, no longer a
    member of the app's practice, or without a second factor, and it opens nothing.
    """
    if not app.is_active or token.user_id is None:
        raise Unauthenticated("The access token's app is no longer registered.")
    actor = actor_for(app, token.user_id)
    if not actor._tandem_memberships or not policy.has_mfa(actor):  # type: ignore[attr-defined]
        raise Unauthenticated("The person this token acts for may no longer use it.")
    return Caller(system=None, scopes=token.scope, actor=actor, context="user", app=app)


def _checksum(token: str) -> str:
    """django-oauth-toolkit's lookup key: tokens are stored hashed (RFC 9700)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
