"""Progress check-ins the prescriber asks of the therapist, on a cadence."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce

from tandem.care.references import checkin_ref
from tandem.clients.models import Client
from tandem.core.textlimits import NOTE
from tandem.organisations.models import Organisation


class CheckInCadence(models.Model):
    """How often the prescriber asks the therapist for progress: every N days, then every M."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="checkin_cadence")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    early_every_days = models.PositiveSmallIntegerField(default=14)
    early_weeks = models.PositiveSmallIntegerField(default=8)
    later_every_days = models.PositiveSmallIntegerField(default=30)
    answer_within_days = models.PositiveSmallIntegerField(default=5)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on change: old timers stop.")
    is_active = models.BooleanField(default=True)

    class Meta:
        app_label = "care"

    def __str__(self) -> str:
        return f"Check-in cadence for client {self.client.public_id}"

    def next_after(self, day: dt.date) -> dt.date:
        """Return the first due date strictly after ``day``."""
        early_end = self.starts_on + dt.timedelta(weeks=self.early_weeks)
        due = self.starts_on
        while due <= day:
            step = self.early_every_days if due < early_end else self.later_every_days
            due += dt.timedelta(days=step)
        return due


class CheckInStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ANSWERED = "answered", "Answered"


class Change(models.TextChoices):
    MUCH_BETTER = "much_better", "Much better"
    BETTER = "better", "A little better"
    SAME = "same", "About the same"
    WORSE = "worse", "Worse"
    MUCH_WORSE = "much_worse", "Much worse"


class Engagement(models.TextChoices):
    FULL = "full", "Attending and engaged"
    PARTIAL = "partial", "Attending, partly engaged"
    MISSING = "missing", "Missing sessions"


#: The answers a therapist writes into a check-in (the form's fields, the timeline's text).
CHECKIN_FIELDS = (
    "change",
    "functioning",
    "engagement",
    "adherence_side_effects",
    "concerns",
    "free_text",
)


class ProgressCheckIn(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=checkin_ref, editable=False)
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="checkins", db_index=False
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", help_text="The therapist's."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unsolicited = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=CheckInStatus.choices)
    due_on = models.DateField(null=True, blank=True, help_text="The scheduled date it was asked.")
    answer_by = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    change = models.CharField(max_length=20, choices=Change.choices, blank=True)
    functioning = models.TextField(blank=True, max_length=NOTE)
    engagement = models.CharField(max_length=10, choices=Engagement.choices, blank=True)
    adherence_side_effects = models.TextField(blank=True, max_length=NOTE)
    concerns = models.TextField(blank=True, max_length=NOTE)
    free_text = models.TextField(blank=True, max_length=NOTE)

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-requested_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "due_on"],
                condition=models.Q(unsolicited=False),
                name="care_checkin_one_per_due_date",
            )
        ]
        indexes: ClassVar = [
            # The client's timeline, newest first, paged by (time, id): ``checkins.timeline.CHECKIN_AT``.
            models.Index(
                models.F("client"),
                Coalesce("answered_at", "requested_at"),
                models.F("id"),
                name="care_checkin_timeline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Progress check-in {self.reference}"
