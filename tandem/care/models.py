"""Collaboration after the referral: consult notes, medications, check-ins, messages, crisis.

Every item belongs to one client and was written by one organisation (its
``organisation``); whether another organisation on the care team sees it is
the consent engine's decision, made each time it is shown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models

from tandem.clients.models import Client
from tandem.core.references import random_reference
from tandem.core.textlimits import MESSAGE, NOTE
from tandem.organisations.models import Organisation


def short_reference(prefix: str) -> str:
    """Return a short random, non-identifying reference such as ``N-7Q2K`` for notifications."""
    return random_reference(prefix)


def _note_ref() -> str:
    return short_reference("N")


def _med_ref() -> str:
    return short_reference("M")


def _checkin_ref() -> str:
    return short_reference("P")


def _thread_ref() -> str:
    return short_reference("T")


def _alert_ref() -> str:
    return short_reference("S")


class CareSettings(models.Model):
    """A practice's collaboration settings: crisis windows, message target, safety details."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="care_settings"
    )
    ack_minutes_business = models.PositiveSmallIntegerField(
        default=15, help_text="Minutes to acknowledge a safety alert during business hours."
    )
    ack_minutes_after_hours = models.PositiveSmallIntegerField(
        default=60, help_text="Minutes to acknowledge a safety alert outside business hours."
    )
    message_response_days = models.PositiveSmallIntegerField(
        default=2, help_text="Business days to answer a clinician's question (1 or 2)."
    )
    share_safety_details_without_release = models.BooleanField(
        default=False,
        help_text=(
            "Share the details of a safety alert with the care team even when no release covers "
            "safety information (45 CFR 164.512(j): serious and imminent threat). Off by default: "
            "the alert itself always reaches the team; its details follow the client's consent."
        ),
    )

    rota_check_scheduled_for = models.DateField(
        null=True, blank=True, help_text="The day the next rota-gap check is queued for."
    )

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(message_response_days__gte=1, message_response_days__lte=2),
                name="care_settings_response_days",
            ),
            models.CheckConstraint(
                condition=models.Q(ack_minutes_business__gte=1, ack_minutes_after_hours__gte=1),
                name="care_settings_ack_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Care settings of {self.organisation}"


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
        ordering: ClassVar = ["starts_at", "order"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="oncall_order"
            ),
        ]

    def __str__(self) -> str:
        return f"On call #{self.order} at {self.organisation}"


# --- Consultation notes ------------------------------------------------------------------


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
    reference = models.CharField(max_length=8, default=_note_ref, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consult_notes")
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
        ordering: ClassVar = ["-created_at"]

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
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["note", "recipient"], name="care_note_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.note}"


# --- Medications -------------------------------------------------------------------------


class MedicationChange(models.TextChoices):
    START = "start", "Started"
    DOSE_CHANGE = "dose_change", "Dose changed"
    STOP = "stop", "Stopped"


class MedicationEvent(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=_med_ref, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="medication_events")
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
        ordering: ClassVar = ["-occurred_at", "-pk"]

    def __str__(self) -> str:
        return f"Medication update {self.reference}"


# --- Progress check-ins ------------------------------------------------------------------


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


class ProgressCheckIn(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=_checkin_ref, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="checkins")
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
        ordering: ClassVar = ["-requested_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "due_on"],
                condition=models.Q(unsolicited=False),
                name="care_checkin_one_per_due_date",
            )
        ]

    def __str__(self) -> str:
        return f"Progress check-in {self.reference}"


# --- Messages ----------------------------------------------------------------------------


class MessageThread(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=8, default=_thread_ref, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="message_threads")
    subject = models.CharField(max_length=200)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"Thread {self.reference}"


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(MessageThread, on_delete=models.PROTECT, related_name="messages")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MESSAGE)
    is_question = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Message in {self.thread}"


class MessageAttachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="care/messages/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    title = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.title


class MessageRead(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "user"], name="care_message_read_once")
        ]

    def __str__(self) -> str:
        return f"Read receipt for {self.message}"


# --- Crisis ------------------------------------------------------------------------------


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
    reference = models.CharField(max_length=8, default=_alert_ref, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="safety_alerts")
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
        ordering: ClassVar = ["-raised_at"]

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
        ordering: ClassVar = ["-version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["client", "version"], name="care_safety_plan_version")
        ]

    def __str__(self) -> str:
        return f"Safety plan v{self.version}"


# --- Visit cadence -----------------------------------------------------------------------


class VisitPlan(models.Model):
    """The planned rhythm of psychiatric visits, so the coordinator hears when one is unbooked."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="visit_plan")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    psychiatry_every_weeks = models.PositiveSmallIntegerField(default=12)
    therapy_every_weeks = models.PositiveSmallIntegerField(default=1)
    next_psychiatry_due = models.DateField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Visit plan for client {self.client.public_id}"
