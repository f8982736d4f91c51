"""Measurement-based care records. Symptom trackers belong to a client and are PHI."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.clients.models import Client


class SymptomTracker(models.Model):
    """A simple count or amount a clinician tracks for one client, e.g. panic attacks per week.

    Questionnaires with published scoring live in ``tandem.measures.instruments``;
    a tracker is for what no questionnaire measures, defined per client.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="symptom_trackers")
    name = models.CharField(max_length=120, help_text="What is tracked, e.g. “Panic attacks”.")
    unit = models.CharField(
        max_length=60, help_text="What one number means, e.g. “per week” or “hours a night”."
    )
    lower_is_better = models.BooleanField(
        default=True, help_text="Whether a falling number means the client is doing better."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="symptom_trackers_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "name"], name="measures_tracker_one_name_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"Symptom tracker {self.public_id}"
