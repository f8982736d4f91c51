"""Crisis coordination: the on-call rota, safety alerts and their events, the safety plan."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.care.references import alert_ref
from tandem.clients.models import Client
from tandem.core.textlimits import NOTE
from tandem.organisations.models import Organisation


class OnCallShift(models.Model):
    """One person on the practice's crisis rota for a stretch of time; lower order is asked first."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="on_call_shifts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_shifts"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    order = models.PositiveSmallIntegerField(default=1)

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["starts_at", "order"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="oncall_order"
            ),
        ]

    def __str__(self) -> str:
        return f"On call #{self.order} at {self.organisation}"


class AlertLevel(models.TextChoices):
    CONCERN = "concern", "Concern: needs attention today"
    URGENT = "urgent", "Urgent: needs a response within the hour"
    EMERGENCY = "emergency", "Emergency: immediate danger"


class AlertSource(models.TextChoices):
    CLINICIAN = "clinician", "Raised by a clinician"
    QUESTIONNAIRE = "questionnaire", "Raised by a questionnaire answer"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Waiting for acknowledgement"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class HospitalisationOutcome(models.TextChoices):
    NOT_NEEDED = "not_needed", "Assessed: hospitalisation not needed"
    VOLUNTARY = "voluntary", "Voluntary admission"
    INVOLUNTARY = "involuntary", "Involuntary admission"
    REFERRED_ED = "referred_ed", "Referred to the emergency department"
    DECLINED = "declined", "Client declined assessment"


class SafetyAlert(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=alert_ref, editable=False)
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="safety_alerts", db_index=False
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    paged_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The psychiatric practice whose on-call rota answers this alert.",
    )
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    source = models.CharField(max_length=15, choices=AlertSource.choices)
    summary = models.TextField(max_length=NOTE, help_text="What happened.")
    steps = models.TextField(blank=True, max_length=NOTE, help_text="Immediate steps taken.")
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=15, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    ack_due_at = models.DateTimeField()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=15, choices=HospitalisationOutcome.choices, blank=True)
    follow_up = models.TextField(blank=True, max_length=NOTE)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-raised_at"]
        indexes: ClassVar = [
            # The client's timeline, newest first, paged by (time, id): ``Query.window``.
            models.Index(fields=["client", "raised_at", "id"], name="care_alert_timeline_idx"),
            # Every signed-in request asks whether an open alert may wait for the viewer
            # (``selectors.alert_may_wait``) and the banner lists the open alerts newest
            # first. Answered alerts pile up for years; open ones are a handful: both read
            # the open ones alone, from this index.
            models.Index(
                fields=["-raised_at", "-id"],
                condition=models.Q(status="open"),
                name="care_alert_open_newest_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Safety alert {self.reference}"


class SafetyAlertEvent(models.Model):
    """One row per step of an alert: raised, told, escalated, acknowledged, outcome."""

    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, help_text="References only (user ids, level).")

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.alert}"


#: The Stanley-Brown safety plan, in its order: key → heading.
SAFETY_PLAN_SECTIONS: dict[str, str] = {
    "warning_signs": "Warning signs that a crisis may be developing",
    "coping": "Internal coping strategies",
    "distraction": "People and social settings that provide distraction",
    "help": "People whom I can ask for help",
    "professionals": "Professionals or agencies to contact during a crisis",
    "environment": "Making the environment safe",
    "reasons": "Reasons for living",
}


class SafetyPlan(models.Model):
    """One saved version of the client's safety plan; every save adds a version."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="safety_plans")
    version = models.PositiveIntegerField()
    sections = models.JSONField(default=dict)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField()

    class Meta:
        app_label = "care"
        ordering: ClassVar = ["-version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["client", "version"], name="care_safety_plan_version")
        ]

    def __str__(self) -> str:
        return f"Safety plan v{self.version}"
