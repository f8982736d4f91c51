"""Releases of information (HIPAA authorizations, 45 CFR 164.508) and the accounting of disclosures.

A release names what (categories), from whom and to whom (parties), why
(purpose) and until when (a date or an event). Once signed, the exact text the
client read is frozen on the release. Disclosures are kept for at least six
years (45 CFR 164.528) and outlive revocation and account deletion.
"""

import datetime as dt
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.clients.models import Client
from tandem.consent.categories import Category, ExpiryEvent, LegalBasis, Purpose
from tandem.organisations.models import Organisation


class ReleaseKind(models.TextChoices):
    GENERAL = "general", "Release of information"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes", "Authorization for psychotherapy notes"
    PART2 = "part2", "Consent for substance use disorder records (42 CFR Part 2)"


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", "Waiting for signature"
    SIGNED = "signed", "Signed"
    REVOKED = "revoked", "Revoked"
    SUPERSEDED = "superseded", "Replaced by a newer release"
    WITHDRAWN = "withdrawn", "Withdrawn before signing"


class ReleaseFormText(models.Model):
    """A version of the authorization's wording. Never edited: a change is a new version."""

    kind = models.CharField(max_length=30, choices=ReleaseKind.choices)
    version = models.CharField(max_length=20)
    body = models.TextField(
        help_text="The required statements, shown under the release's specifics."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "version"], name="consent_formtext_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class Release(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="releases")
    kind = models.CharField(max_length=30, choices=ReleaseKind.choices, default=ReleaseKind.GENERAL)
    status = models.CharField(
        max_length=20, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT
    )
    categories = models.JSONField(default=list, help_text="Category codes the release covers.")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    purpose_detail = models.CharField(max_length=300, blank=True)
    two_way = models.BooleanField(
        default=True,
        help_text="Every named party may both disclose to and receive from the others.",
    )
    effective_from = models.DateField(default=dt.date.today)
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=30, choices=ExpiryEvent.choices, blank=True)
    expiry_event_occurred_at = models.DateTimeField(null=True, blank=True)
    form_text = models.ForeignKey(ReleaseFormText, on_delete=models.PROTECT)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(default=timezone.now)
    # Signature (electronic), frozen at signing.
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    signed_text = models.TextField(blank=True)
    signed_text_sha256 = models.CharField(max_length=64, blank=True)
    signed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    representative_name = models.CharField(max_length=200, blank=True)
    representative_authority = models.CharField(
        max_length=300, blank=True, help_text="e.g. parent of a minor; court-appointed guardian"
    )
    # A signed paper release uploaded and attested by a clinician.
    is_paper = models.BooleanField(default=False)
    paper_file = models.FileField(upload_to="releases/%Y/%m/", blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )

    class Meta:
        ordering: ClassVar = ["-prepared_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=~models.Q(expires_on__isnull=True, expiry_event=""),
                name="consent_release_has_expiry",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("effective_from")),
                name="consent_release_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    def category_labels(self) -> list[str]:
        """Return the human names of the covered categories, in the form's order."""
        return [c.label for c in Category if c.value in self.categories]

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        """Return whether the release has run out (its date passed, or its event happened)."""
        now = now or timezone.now()
        if (
            self.expiry_event
            and self.expiry_event_occurred_at
            and self.expiry_event_occurred_at <= now
        ):
            return True
        if self.expires_on is None:
            return False
        return self.expires_on < timezone.localdate(now)


class PartyRole(models.TextChoices):
    DISCLOSER = "discloser", "May disclose"
    RECIPIENT = "recipient", "May receive"


class ReleaseParty(models.Model):
    """An organisation, or one clinician in it, named by a release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=10, choices=PartyRole.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Leave empty to name the whole organisation.",
    )

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.organisation}"


class ReleaseHistory(models.Model):
    """One row per status change of a release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=ReleaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReleaseStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class Disclosure(models.Model):
    """One disclosure actually made (45 CFR 164.528). Kept at least six years; never deleted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disclosures")
    release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    category = models.CharField(max_length=30, choices=Category.choices)
    description = models.CharField(max_length=300)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    disclosed_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who received it, frozen as text too so the accounting survives account changes.
    recipient_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_name = models.CharField(max_length=300)
    source_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    basis = models.CharField(
        max_length=40, help_text="The decision's reason code (release or treatment exception)."
    )
    # After the client revoked a release, the treatment exception carries a disclosure only
    # when a clinician records its legal basis: which, and their note (shown to the client).
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices, blank=True)
    legal_basis_note = models.CharField(max_length=300, blank=True)
    part2_notice = models.BooleanField(default=False)
    part2_notice_text = models.TextField(
        blank=True, help_text="The exact 42 CFR 2.32 notice that went with Part 2 records."
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    section = models.CharField(
        max_length=40, blank=True, help_text="The part of the object disclosed (a packet section)."
    )
    first_shown = models.BooleanField(
        default=False,
        help_text="Recorded when a page first showed the item to the recipient organisation.",
    )

    class Meta:
        ordering: ClassVar = ["-disclosed_at"]
        constraints: ClassVar = [
            # A page shows an item to an organisation's readers many times; it is disclosed once.
            models.UniqueConstraint(
                fields=["object_type", "object_id", "section", "recipient_organisation"],
                condition=models.Q(first_shown=True),
                name="consent_disclosure_first_shown_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} to {self.recipient_name}"
