"""The fhir app's writes: registering a system client or a user app, and a person allowing an app."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.models import Application

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.fhir import scopes as fhir_scopes
from tandem.fhir.models import SystemClient, UserApp
from tandem.organisations.models import Organisation


@dataclass(frozen=True)
class Credentials:
    system: SystemClient
    client_id: str
    client_secret: str  # shown once: only its hash is stored


def register_system_client(
    *, actor: Any, organisation: Organisation, acting_user: Any, name: str, scopes: str
) -> Credentials:
    """Register an EHR for ``organisation``, acting through ``acting_user``; return its secret once."""
    _check_scopes(scopes, "system")
    if not acting_user.memberships.filter(organisation=organisation, is_active=True).exists():
        raise ValidationError(
            {"acting_user": "The accountable person must be an active member of the practice."}
        )
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        application = Application.objects.create(
            name=name[:255],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
        )
        system = SystemClient.objects.create(
            application=application,
            organisation=organisation,
            acting_user=acting_user,
            scopes=" ".join(scopes.split()),
        )
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=system,
            organisation=organisation,
            detail={"scopes": system.scopes.split(), "acting_user": str(acting_user.public_id)},
        )
    return Credentials(system, application.client_id, secret)


def _check_scopes(scopes: str, context: str) -> None:
    """Refuse unknown scopes, none at all, and scopes of the other context (system/ vs user/)."""
    unknown = [s for s in scopes.split() if s not in fhir_scopes.all_scopes()]
    if unknown or not scopes.split():
        raise ValidationError({"scopes": f"Unknown scopes: {' '.join(unknown) or '(none given)'}."})
    other = [s for s in scopes.split() if not s.startswith(f"{context}/")]
    if other:
        kind = "A system client" if context == "system" else "An app acting for a person"
        raise ValidationError(
            {"scopes": f"{kind} takes {context}/ scopes only, not: {' '.join(other)}."}
        )


@dataclass(frozen=True)
class AppRegistration:
    app: UserApp
    client_id: str


def register_user_app(
    *, actor: Any, organisation: Organisation, name: str, redirect_uris: list[str], scopes: str
) -> AppRegistration:
    """Register a SMART app that people of ``organisation`` may allow to act for them.

    A public client (it keeps no secret) of the authorization-code grant with PKCE; it
    may ask for no more than ``scopes`` (``user/…``), and be sent back only to one of
    ``redirect_uris`` (https, exact match).
    """
    _check_scopes(scopes, "user")
    bad = [uri for uri in redirect_uris if not uri.startswith("https://") or " " in uri]
    if bad or not redirect_uris:
        raise ValidationError(
            {"redirect_uris": f"Give https redirect URIs: {' '.join(bad) or '(none given)'}."}
        )
    with transaction.atomic():
        application = Application.objects.create(
            name=name[:255],
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(redirect_uris),
            client_secret="",
        )
        app = UserApp.objects.create(
            application=application, organisation=organisation, scopes=" ".join(scopes.split())
        )
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=app,
            organisation=organisation,
            detail={"scopes": app.scopes.split(), "redirect_uris": redirect_uris},
        )
    return AppRegistration(app, application.client_id)


def record_app_allowed(*, actor: Any, app: UserApp, scopes: list[str]) -> None:
    """Put on the audit trail that ``actor`` allowed ``app`` to act for them with ``scopes``.

    Call inside the transaction that stores the authorization code, so a code never
    exists without its audit row.
    """
    record(
        actor=actor,
        action=AuditAction.PERMISSION_GRANTED,
        obj=app,
        organisation=app.organisation,
        detail={"app": app.application.name, "scopes": scopes},
    )
