"""The prescriber's medication changes, shared with the therapist."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.care.references import med_ref
from tandem.clients.models import Client
from tandem.core.textlimits import NOTE
from tandem.organisations.models import Organisation


class MedicationChange(models.TextChoices):
    START = "start", "Started"
    DOSE_CHANGE = "dose_change", "Dose changed"
    STOP = "stop", "Stopped"


class MedicationEvent(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=med_ref, editable=False)
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="medication_events", db_index=False
    )
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    change = models.CharField(max_length=20, choices=MedicationChange.choices)
    drug = models.CharField(max_length=60, help_text="Generic name from the shipped list.")
    rxcui = models.CharField(max_length=12, blank=True, help_text="RxNorm ingredient RxCUI.")
    dose = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    unit = models.CharField(max_length=10, blank=True)
    frequency = models.CharField(max_length=60, blank=True)
    reason = models.TextField(blank=True, max_length=NOTE)
    watch_for = models.TextField(
        blank=True, max_length=NOTE, help_text="What the therapist might watch for."
    )
    occurred_at = models.DateTimeField()

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-occurred_at", "-pk"]
        indexes: ClassVar = [
            # The client's timeline, newest first, paged by (time, id): ``Query.window``.
            models.Index(fields=["client", "occurred_at", "id"], name="care_med_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"Medication update {self.reference}"
