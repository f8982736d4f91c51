"""The systems that call the FHIR API, each bound to one practice."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tandem.organisations.models import Organisation


class SystemClient(models.Model):
    """An EHR or other system holding OAuth client credentials, acting for one practice.

    Its tokens carry the practice's access through ``acting_user``, the staff member
    the practice's admin named as accountable for it: every read goes through the
    same policy, care-team and consent decisions as that person's pages, limited to
    their membership in ``organisation``. ``scopes`` bound what a token may ask for.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="system_client",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="fhir_clients"
    )
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_clients"
    )
    scopes = models.CharField(
        max_length=1000, help_text="Space-separated SMART scopes this system may be granted."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"FHIR system client {self.public_id}"


class UserApp(models.Model):
    """A SMART app that acts for a signed-in person of one practice (authorization code + PKCE).

    A public OAuth client (no secret: it runs in a browser or on a phone) that the
    practice's admin registered with its redirect URIs. Each token it gets acts as the
    person who allowed it, limited to their membership in ``organisation``; ``scopes``
    (``user/…`` only) bound what it may ask for.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="user_app",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="fhir_user_apps"
    )
    scopes = models.CharField(
        max_length=1000, help_text="Space-separated SMART user/ scopes this app may be granted."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"FHIR user app {self.public_id}"
