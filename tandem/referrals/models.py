"""Referrals from therapists to psychiatric practices, and each practice's intake policy."""

import datetime as dt
import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce

from tandem.clients.models import Client
from tandem.core.calendar import BusinessCalendar
from tandem.core.references import reference_from_id
from tandem.core.textlimits import NOTE
from tandem.organisations.models import Organisation


class Payer(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial insurance"
    SELF_PAY = "self_pay", "Private pay (self-pay)"
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid (MassHealth in Massachusetts)"
    OTHER = "other", "Other coverage"


class PlanType(models.TextChoices):
    PPO = "PPO", "PPO"
    EPO = "EPO", "EPO"
    HMO = "HMO", "HMO"
    POS = "POS", "POS"
    OTHER = "other", "Other / not sure"
    NONE = "none", "Not applicable"


class Service(models.TextChoices):
    MEDICATION_MANAGEMENT = "medication_management", "Medication evaluation and management"
    DIAGNOSTIC_CLARIFICATION = "diagnostic_clarification", "Diagnostic clarification"
    ADULT_ADHD = "adult_adhd", "Adult ADHD assessment"
    SECOND_OPINION = "second_opinion", "Second opinion"


class PracticePolicy(models.Model):
    """What a psychiatric practice accepts, and how fast it promises to respond."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="referral_policy"
    )
    accepting_new = models.BooleanField(default=True)
    min_age = models.PositiveSmallIntegerField(default=18)
    max_age = models.PositiveSmallIntegerField(default=64)
    visit_states = models.JSONField(
        default=list, help_text="States where the client must be during visits (telehealth)."
    )
    payers = models.JSONField(default=list, help_text="Accepted payer kinds.")
    medicare_opted_out = models.BooleanField(
        default=False,
        help_text=(
            "The practice's prescribers have opted out of Medicare (42 CFR 405.400-455), so they "
            "may see Medicare beneficiaries under private contracts. Without an opt-out, a "
            "practice that does not accept Medicare cannot see them at all, not even as private pay."
        ),
    )
    plan_types = models.JSONField(default=list, help_text="Accepted commercial plan types.")
    services = models.JSONField(default=list)
    response_target_days = models.PositiveSmallIntegerField(
        default=2, help_text="Business days to respond to a new referral (1 or 2)."
    )
    urgent_response_hours = models.PositiveSmallIntegerField(
        default=4, help_text="Clock hours to respond to a referral with safety concerns."
    )
    access_target_weeks = models.PositiveSmallIntegerField(
        default=4, help_text="First appointment offered within this many weeks."
    )
    opens = models.TimeField(default=dt.time(9, 0))
    closes = models.TimeField(default=dt.time(17, 0))

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(min_age__lte=models.F("max_age")), name="policy_age_range"
            ),
            models.CheckConstraint(
                condition=models.Q(response_target_days__gte=1, response_target_days__lte=5),
                name="policy_response_target_range",
            ),
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="policy_hours_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral policy of {self.organisation}"

    def calendar(self) -> BusinessCalendar:
        """Return the practice's business calendar (zone, holidays, hours)."""
        org = self.organisation
        return BusinessCalendar(
            time_zone=org.time_zone,
            country=org.holiday_country,
            subdivision=org.holiday_subdivision,
            opens=self.opens,
            closes=self.closes,
        )


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    INFO_REQUESTED = "info_requested", "More information requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    SCHEDULED = "scheduled", "Scheduled"
    FIRST_VISIT_DONE = "first_visit_done", "First visit completed"
    NO_SHOW = "no_show", "No-show"
    CONSULT_NOTE_SENT = "consult_note_sent", "Consult note sent"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class ReferralReason(models.TextChoices):
    TREATMENT_RESISTANT = "treatment_resistant", "Severe or treatment-resistant symptoms"
    DIAGNOSTIC_UNCERTAINTY = "diagnostic_uncertainty", "Diagnostic uncertainty"
    SAFETY = "safety", "Safety concerns"
    CLIENT_REQUEST = "client_request", "Client request"


class DiagnosticQuestion(models.TextChoices):
    BIPOLAR_VS_BPD = "bipolar_vs_bpd", "Bipolar disorder vs. borderline personality disorder"
    ADULT_ADHD = "adult_adhd", "Adult ADHD"
    MEDICAL_CAUSES = "medical_causes", "Medical causes (e.g. thyroid disease, sleep apnea)"
    SECOND_OPINION = "second_opinion", "Second opinion"
    OTHER = "other", "Other"


class DeclineReason(models.TextChoices):
    NOT_ACCEPTING = "not_accepting", "Not accepting new clients now"
    OUT_OF_SCOPE = "out_of_scope", "Needs a service we do not offer"
    HIGHER_LEVEL_OF_CARE = "higher_level_of_care", "Needs a higher level of care"
    COVERAGE = "coverage", "Coverage not accepted"
    LOCATION = "location", "Outside our service area"
    OTHER = "other", "Other"


#: States shown in a practice's inbox (kept here so the partial index can name them).
INBOX_INDEX_STATES = (
    "sent",
    "received",
    "info_requested",
    "accepted",
    "scheduled",
    "no_show",
    "first_visit_done",
)


#: Never answered sorts as answered at the epoch: first. An expression rather than NULLS FIRST,
#: which SQLite cannot index.
_NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
INBOX_ORDER = (
    Coalesce("responded_at", models.Value(_NEVER)).asc(),
    models.F("urgent").desc(),
    models.F("due_at").asc(),
    models.F("sent_at").asc(),
)


class Referral(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    # No index of its own: ``referral_tracker_idx`` and ``referrals_one_per_click`` lead with it.
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        db_index=False,
    )
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_out"
    )
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_in"
    )
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change.")
    idempotency_key = models.UUIDField(help_text="From the form that started it: one per click.")
    urgent = models.BooleanField(default=False)
    # Eligibility facts checked before anything identifying is sent.
    payer = models.CharField(max_length=20, choices=Payer.choices)
    plan_type = models.CharField(max_length=10, choices=PlanType.choices, default=PlanType.NONE)
    visit_state = models.CharField(max_length=2)
    service = models.CharField(max_length=30, choices=Service.choices)
    # The packet (each part is released only as the consent engine allows).
    reasons = models.JSONField(default=list, help_text="ReferralReason codes.")
    symptoms_tried = models.TextField(
        blank=True, max_length=NOTE, help_text="What was tried, for how long."
    )
    diagnostic_questions = models.JSONField(default=list)
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes.")
    treatment_history = models.TextField(blank=True, max_length=NOTE)
    medications = models.JSONField(
        default=list, help_text="[{name, dose, kind: psychiatric|supplement|medical}]"
    )
    safety_ideation = models.BooleanField(default=False)
    safety_self_harm = models.BooleanField(default=False)
    safety_psychosis = models.BooleanField(default=False)
    safety_hospitalisation = models.BooleanField(default=False)
    safety_notes = models.TextField(blank=True, max_length=NOTE)
    substance_use = models.TextField(blank=True, max_length=NOTE)
    substance_use_part2 = models.BooleanField(
        default=False, help_text="The substance-use part comes from a 42 CFR Part 2 program."
    )
    medical_history = models.TextField(blank=True, max_length=NOTE)
    recent_scores = models.JSONField(default=list, help_text="[{instrument, score, date}]")
    contact_preferences = models.CharField(max_length=300, blank=True)
    # The loop.
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    overdue_level = models.PositiveSmallIntegerField(
        default=0, help_text="0 on time; 1 overdue (team told); 2 escalated."
    )
    decline_reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(blank=True, max_length=NOTE)
    redirect_to = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    info_request = models.TextField(blank=True, max_length=NOTE)
    info_response = models.TextField(blank=True, max_length=NOTE)
    assigned_prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The confirmed visit that made it scheduled; empty when marked by hand.",
    )

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["therapist", "idempotency_key"], name="referrals_one_per_click"
            ),
        ]
        indexes: ClassVar = [
            # The inbox: one practice's open referrals in working order (see selectors.inbox).
            models.Index(
                models.F("to_organisation"),
                *INBOX_ORDER,
                condition=models.Q(status__in=INBOX_INDEX_STATES),
                name="referral_inbox_order_idx",
            ),
            # The tracker: one therapist's referrals newest first, keyset pages by
            # (created_at, id) (``tandem.core.cursors.keyset_page``).
            models.Index(fields=["therapist", "created_at", "id"], name="referral_tracker_idx"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.public_id}"

    @property
    def reference(self) -> str:
        """Return a short code such as ``R-7Q2K``, from the random public id: says who to no one."""
        return reference_from_id("R", self.public_id)


class ReferralEvent(models.Model):
    """One row per state change: who, when, from what to what."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True, max_length=NOTE)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class ReferralVersion(models.Model):
    """One row per version of a referral: the loop's fields as they stood, no packet text.

    Written by ``states.record_version`` wherever the version is bumped, so the FHIR
    API can answer a Task or ServiceRequest as it was at any version (vread, _history).
    The state log (``ReferralEvent``) alone cannot: drafts saved, documents added and
    visits moved bump the version without a state change.
    """

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    decline_reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True)
    urgent = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(help_text="When this version was made (the referral's updated_at).")
    packet_changed = models.BooleanField(
        default=False, help_text="This version changed the packet's text (a draft saved)."
    )

    class Meta:
        ordering: ClassVar = ["referral", "-version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["referral", "version"], name="referral_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.referral} v{self.version}"


class ReferralAttachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="referrals/%Y/%m/")
    title = models.CharField(max_length=200)
    category = models.CharField(
        max_length=30, help_text="Consent category the document belongs to."
    )
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title
