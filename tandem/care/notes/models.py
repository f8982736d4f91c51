"""The prescriber's consultation notes, their addenda, and whom each reached."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce

from tandem.care.references import note_ref
from tandem.clients.models import Client
from tandem.core.textlimits import NOTE
from tandem.organisations.models import Organisation


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed and sent"


class WorkUp(models.TextChoices):
    THYROID = "thyroid", "Thyroid tests (TSH, free T4)"
    METABOLIC = "metabolic", "Metabolic panel and lipids"
    CBC = "cbc", "Complete blood count"
    B12_VITAMIN_D = "b12_vitamin_d", "Vitamin B12 and vitamin D"
    SLEEP_STUDY = "sleep_study", "Sleep study referral (possible sleep apnea)"
    ECG = "ecg", "ECG"
    DRUG_LEVEL = "drug_level", "Medication blood level"
    PCP_FOLLOW_UP = "pcp", "Follow-up with primary care"


class ConsultNote(models.Model):
    """The prescriber's initial consultation note; locked once signed, corrected by addenda."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=note_ref, editable=False)
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="consult_notes", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consult_notes"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes.")
    formulation = models.TextField(blank=True, max_length=NOTE)
    medication_recommendations = models.TextField(blank=True, max_length=NOTE)
    therapy_focus = models.TextField(
        blank=True, max_length=NOTE, help_text="Suggestions for the therapy's focus."
    )
    work_up = models.JSONField(default=list, help_text="WorkUp codes.")
    work_up_notes = models.TextField(blank=True, max_length=NOTE)
    follow_up_plan = models.TextField(blank=True, max_length=NOTE)
    follow_up_cadence = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            # The client's timeline, newest first, paged by (time, id): ``notes.timeline.NOTE_AT``.
            models.Index(
                models.F("client"),
                Coalesce("signed_at", "updated_at"),
                models.F("id"),
                name="care_note_timeline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Consultation note {self.reference}"


class Addendum(models.Model):
    """A correction or addition to a signed note; the note itself never changes."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    note = models.ForeignKey(ConsultNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=NOTE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Addendum to {self.note}"


class DeliveryStatus(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    HELD = "held", "Held: no release covers it"


class NoteDelivery(models.Model):
    """Whether a signed note reached one care-team member of another organisation, and why not."""

    note = models.ForeignKey(ConsultNote, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    recipient_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    reason = models.CharField(max_length=40, help_text="The consent decision's reason code.")
    message = models.CharField(max_length=300, help_text="The decision's explanation.")
    decided_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "care"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["note", "recipient"], name="care_note_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.note}"
