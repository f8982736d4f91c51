"""Who is calling: a bearer token, its system client, and the actor the policy sees."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from tandem.accounts.models import User
from tandem.core import policy
from tandem.fhir.models import SystemClient


class Unauthenticated(Exception):
    """No token, an unknown one, or one that has expired or been revoked."""


@dataclass
class Caller:
    """The system calling, the scopes its token carries, and the actor its reads go through."""

    system: SystemClient
    scopes: str
    actor: User


def actor_for(system: SystemClient) -> User:
    """Return the system's accountable user, seen by the policy only as a member of its practice.

    The policy's per-request membership cache is narrowed to the one practice, so every
    rule (care team, referral side, minimum necessary) answers as for that person
    working in that practice and nowhere else.
    """
    actor = User.objects.get(pk=system.acting_user_id)
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
        .objects.select_related("application__system_client")
        .filter(token_checksum=_checksum(value.strip()))
        .first()
    )
    if token is None or token.expires <= timezone.now():
        raise Unauthenticated("The access token is unknown or has expired.")
    system: Any = getattr(token.application, "system_client", None)
    if system is None or not system.is_active:
        raise Unauthenticated("The access token's client is not a Tandem FHIR system client.")
    return Caller(system=system, scopes=token.scope, actor=actor_for(system))


def _checksum(token: str) -> str:
    """django-oauth-toolkit's lookup key: tokens are stored hashed (RFC 9700)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
