"""The systems that call the FHIR API, each bound to one practice."""

from __future__ import annotations

import uuid
from typing import ClassVar

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


class RosterStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    REJECTED = "rejected", "Rejected: nothing imported"
    FAILED = "failed", "Failed: nothing imported"


class RosterImport(models.Model):
    """A practice admin's upload of a roster Bundle, imported by the task worker.

    ``bundle`` holds what was uploaded until the worker has read it (then it is
    emptied: the report keeps entry numbers, outcomes and FHIRPaths, never the
    people's details). ``checked`` of ``total`` entries is the progress shown.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="roster_imports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=RosterStatus.choices, default=RosterStatus.QUEUED
    )
    bundle = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Roster import {self.public_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RosterStatus.DONE, RosterStatus.REJECTED, RosterStatus.FAILED)


class RosterLink(models.Model):
    """An identifier (system + value) a practice's roster gave a record, so a re-import updates it.

    A Patient's identifiers point at its ``client``; a Practitioner's at the address
    it was invited by (``email``), since the person has no account until they accept.
    """

    class Kind(models.TextChoices):
        PATIENT = "Patient"
        PRACTITIONER = "Practitioner"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="roster_links"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "system", "value"],
                name="fhir_rosterlink_one_per_identifier",
            )
        ]

    def __str__(self) -> str:
        return f"Roster link {self.kind} {self.pk}"


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


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired (files deleted)"


class ExportJob(models.Model):
    """One bulk ``$export`` of a practice's own data, asked by a system client.

    The worker writes one ndjson file per resource type to private storage; ``output``
    is the manifest's list (type, file name, count). Only ``system`` may poll it or
    download its files, and only until ``expires_at``.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    system = models.ForeignKey(SystemClient, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(
        max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    types = models.JSONField(help_text="The resource types asked for (all exportable if empty).")
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(
        max_length=2000, help_text="The kick-off request, echoed in the manifest."
    )
    progress = models.CharField(max_length=200, blank=True)
    output = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"FHIR export {self.public_id}"
