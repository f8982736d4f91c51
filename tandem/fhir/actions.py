"""Registering a system client: the one write of the fhir app."""

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
from tandem.fhir.models import SystemClient
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
    unknown = [s for s in scopes.split() if s not in fhir_scopes.all_scopes()]
    if unknown or not scopes.split():
        raise ValidationError({"scopes": f"Unknown scopes: {' '.join(unknown) or '(none given)'}."})
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
