"""Measurement-based care records. Symptom trackers belong to a client and are PHI."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.clients.models import Client
from tandem.measures.instruments import INSTRUMENTS
from tandem.organisations.models import Organisation

#: A case review is a page of recommendations, not a record dump (characters).
CASE_REVIEW_MAX = 5000


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
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The practice that defined the tracker (consent follows it).",
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


class ResponseSource(models.TextChoices):
    PORTAL = "portal", "Answered by the client on the portal"
    CLINICIAN = "clinician", "Answered aloud, entered by a clinician"
    INTAKE = "intake", "Answered at intake"
    PAPER = "paper", "Answered on paper, entered by staff"
    EHR = "ehr", "Sent by the practice's record system"


#: Flags that raise a safety alert: PHQ-9 item 9 above 0, and the C-SSRS screener's
#: moderate (behavioural-health consult) and high (emergency) triage levels.
ALERT_FLAGS = frozenset({"suicide_item_positive", "suicide_risk_moderate", "suicide_risk_high"})


def _instrument_choices() -> list[tuple[str, str]]:
    return [(code, instrument.name) for code, instrument in INSTRUMENTS.items()]


class QuestionnaireResponse(models.Model):
    """One completed (or partly completed) questionnaire, with its score as scored when stored.

    The score fields are written once from ``Instrument.score`` by
    ``actions.record_response``; the answers are kept so a response can be re-read
    exactly as given, and ``instrument_version`` says which form they answered.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="questionnaire_responses", db_index=False
    )
    instrument = models.CharField(max_length=20, choices=_instrument_choices)
    instrument_version = models.CharField(max_length=120)
    answers = models.JSONField(help_text="One value per item in order; null for a blank item.")
    sex = models.CharField(max_length=6, blank=True, help_text="Only for sex-specific cut-offs.")
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    positive = models.BooleanField(null=True)
    flags = models.JSONField(default=list, blank=True)
    complete = models.BooleanField()
    prorated = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The practice that collected the answers; it keeps them whatever the releases say.",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who typed the answers in: the client on the portal, or staff; empty for intake.",
    )
    entered_at = models.DateTimeField(default=timezone.now, db_index=True)
    idempotency_key = models.CharField(max_length=64)
    safety_alert_id = models.UUIDField(
        null=True, blank=True, help_text="The public id of the safety alert this response raised."
    )

    class Meta:
        ordering: ClassVar = ["-entered_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"], name="measures_response_idempotent"
            )
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["client", "instrument", "entered_at"], name="measures_resp_series_idx"
            ),
            # A client's scored responses of a measure in time order, with all the registry
            # reads of them (``registry_sql``): the latest or first score is one step down it,
            # whether any is another practice's a scan of the client's entries (``by_score``),
            # and the series ends are read from it alone (``score_ends``): no response row is
            # read. The columns after ``id`` (unique) only carry values, as ``INCLUDE`` would
            # (which SQLite lacks); ``test_query_plans.py`` pins the index-only reads.
            models.Index(
                fields=[
                    "client",
                    "instrument",
                    "entered_at",
                    "id",
                    "total",
                    "organisation",
                    "entered_by",
                    "flags",
                ],
                condition=models.Q(total__isnull=False),
                name="measures_resp_scores_idx",
            ),
            # The client's timeline, newest first, paged by (time, id): ``Query.window``.
            models.Index(fields=["client", "entered_at", "id"], name="measures_resp_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"Questionnaire response {self.public_id}"

    @property
    def instrument_name(self) -> str:
        # What ``get_instrument_display()`` returns, without evaluating and normalising the
        # callable choices on every call (a page of results named each one that way).
        instrument = INSTRUMENTS.get(self.instrument)
        return instrument.name if instrument is not None else self.instrument

    @property
    def suicide_flag(self) -> bool:
        """Return whether the answers raised a suicide-risk flag that calls for a safety alert."""
        return bool(ALERT_FLAGS & set(self.flags))

    @property
    def suicide_item_unanswered(self) -> bool:
        """Return whether the PHQ-9's suicide item (9) was left blank: someone must ask."""
        return "suicide_item_unanswered" in self.flags

    @property
    def triage(self) -> str:
        """Return the C-SSRS screener's triage level ("low", "moderate", "high"), or ""."""
        for level in ("high", "moderate", "low"):
            if f"suicide_risk_{level}" in self.flags:
                return level
        return ""

    @property
    def safety_note(self) -> str:
        """Return what a clinician must know about the suicide questions in one line, or ""."""
        if "suicide_item_positive" in self.flags:
            return "suicide item positive"
        if self.triage in ("high", "moderate"):
            return f"C-SSRS {self.triage} risk"
        if self.suicide_item_unanswered:
            return "item 9 not answered: follow up"
        return ""


class MeasureSchedule(models.Model):
    """How often a client is asked to answer one instrument, as the prescriber set it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measure_schedules")
    instrument = models.CharField(max_length=20, choices=_instrument_choices)
    every_days = models.PositiveSmallIntegerField()
    next_due = models.DateField()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(
        default=1,
        help_text="Raised at every change, so reminder tasks of an older plan stand down.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["next_due"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "instrument"],
                condition=models.Q(is_active=True),
                name="measures_one_active_schedule",
            )
        ]

    def __str__(self) -> str:
        return f"Measure schedule {self.public_id}"


class SymptomEntry(models.Model):
    """One value of a symptom tracker for one week (or day), e.g. 2 panic attacks."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracker = models.ForeignKey(SymptomTracker, on_delete=models.CASCADE, related_name="entries")
    recorded_on = models.DateField(help_text="The day (or the first day of the week) it counts.")
    value = models.DecimalField(max_digits=7, decimal_places=2)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["recorded_on"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["tracker", "recorded_on"], name="measures_entry_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"Symptom entry {self.public_id}"


class SavedView(models.Model):
    """A registry filter and sort a user saved under a name (the query string only)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_views"
    )
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "name"], name="measures_view_name_per_user")
        ]

    def __str__(self) -> str:
        return f"Saved registry view {self.pk}"


class CaseReview(models.Model):
    """The recommendations of a systematic case review about one client."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No index of its own: the timeline's (client, time, id) index leads with it.
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="case_reviews", db_index=False
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    recommendations = models.TextField(max_length=CASE_REVIEW_MAX)

    class Meta:
        ordering: ClassVar = ["-reviewed_at", "-pk"]
        indexes: ClassVar = [
            # The client's timeline, newest first, paged by (time, id): ``Query.window``.
            models.Index(
                fields=["client", "reviewed_at", "id"], name="measures_review_timeline_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Case review {self.public_id}"
