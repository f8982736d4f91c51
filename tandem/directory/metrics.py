"""Measured access: pure functions from plain facts to figures and flags. No queries.

Every figure is computed over one period (the last ``PERIOD_DAYS`` days) and carries
its sample size; a figure whose sample is smaller than ``MIN_SAMPLE`` is None, and the
flags built on it say "not enough data yet" instead of guessing. Business hours are the
practice's own (``tandem.core.calendar.BusinessCalendar``: its zone, its holidays, its
hours), the same arithmetic as the referral response clock. docs/directory.md explains
each figure and flag for the people who read them.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tandem.core.calendar import BusinessCalendar

PERIOD_DAYS = 90
MIN_SAMPLE = 5
#: A consult note counts when it reaches the therapist within this many days of the first visit.
NOTE_WINDOW_DAYS = 14
#: "Every few visits": the client is asked after visit 1, 4, 7, ...
EXPERIENCE_EVERY = 3


@dataclass(frozen=True)
class ReferralFacts:
    """One referral sent to the practice in the period, reduced to its moments."""

    therapist_id: int
    sent_at: dt.datetime
    responded_at: dt.datetime | None = None
    scheduled_at: dt.datetime | None = None  # first appointment offered (the referral scheduled)
    first_visit_at: dt.datetime | None = None
    note_received_at: dt.datetime | None = None  # first consult note delivered to the therapist


@dataclass(frozen=True)
class MessageFacts:
    """One question from another practice's clinician, and when the practice answered it."""

    asked_at: dt.datetime
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class ExperienceFacts:
    felt_heard: bool | None
    enough_time: bool | None


@dataclass(frozen=True)
class Figures:
    """The measured figures of one practice (or one therapist's referrals to it)."""

    period_start: dt.datetime
    period_end: dt.datetime
    response_n: int = 0
    response_median_hours: float | None = None
    response_p90_hours: float | None = None
    offer_n: int = 0
    offer_median_days: float | None = None
    visit_n: int = 0
    visit_median_days: float | None = None
    notes_n: int = 0
    notes_share: float | None = None
    messages_n: int = 0
    messages_median_hours: float | None = None
    experience_n: int = 0
    heard_share: float | None = None
    time_share: float | None = None


FIGURE_FIELDS = (
    "response_n",
    "response_median_hours",
    "response_p90_hours",
    "offer_n",
    "offer_median_days",
    "visit_n",
    "visit_median_days",
    "notes_n",
    "notes_share",
    "messages_n",
    "messages_median_hours",
    "experience_n",
    "heard_share",
    "time_share",
)


def median(values: Sequence[float]) -> float:
    """Return the median (the mean of the two middle values for an even count)."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], p: float) -> float:
    """Return the ``p``-th percentile by the nearest-rank method (a value that occurred)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def business_hours(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Return the practice's business hours between two moments (holidays and weekends skipped)."""
    return calendar.business_seconds_between(start, end) / 3600


def local_days(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Return the calendar days from ``start`` to ``end`` in the practice's zone.

    Counted on local dates, so a daylight-saving change (a 23- or 25-hour day) does not
    make four weeks 27.96 days.
    """
    return (calendar.local(end).date() - calendar.local(start).date()).days


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def compute(
    *,
    calendar: BusinessCalendar,
    period_end: dt.datetime,
    referrals: Iterable[ReferralFacts],
    messages: Iterable[MessageFacts] = (),
    experiences: Iterable[ExperienceFacts] = (),
    min_sample: int = MIN_SAMPLE,
) -> Figures:
    """Return the practice's figures for referrals sent (and questions asked) in the period."""
    period_start = period_end - dt.timedelta(days=PERIOD_DAYS)
    in_period = [r for r in referrals if period_start <= r.sent_at < period_end]
    responses = [
        business_hours(calendar, r.sent_at, r.responded_at)
        for r in in_period
        if r.responded_at is not None
    ]
    offers = [
        local_days(calendar, r.sent_at, r.scheduled_at)
        for r in in_period
        if r.scheduled_at is not None
    ]
    visits = [
        local_days(calendar, r.sent_at, r.first_visit_at)
        for r in in_period
        if r.first_visit_at is not None
    ]
    # A first visit counts for consult notes once its 14 days are over, or once a note came.
    window = dt.timedelta(days=NOTE_WINDOW_DAYS)
    notes = [
        r.note_received_at is not None
        and r.first_visit_at <= r.note_received_at + dt.timedelta(days=1)
        and r.note_received_at <= r.first_visit_at + window
        for r in in_period
        if r.first_visit_at is not None
        and (r.first_visit_at + window <= period_end or r.note_received_at is not None)
    ]
    answers = [
        business_hours(calendar, m.asked_at, m.answered_at)
        for m in messages
        if m.answered_at is not None and period_start <= m.asked_at < period_end
    ]
    heard = [e.felt_heard for e in experiences if e.felt_heard is not None]
    timed = [e.enough_time for e in experiences if e.enough_time is not None]
    experience_n = max(len(heard), len(timed))

    def enough(sample: Sequence[object]) -> bool:
        return len(sample) >= min_sample

    return Figures(
        period_start=period_start,
        period_end=period_end,
        response_n=len(responses),
        response_median_hours=_round(median(responses)) if enough(responses) else None,
        response_p90_hours=_round(percentile(responses, 90)) if enough(responses) else None,
        offer_n=len(offers),
        offer_median_days=_round(median(offers)) if enough(offers) else None,
        visit_n=len(visits),
        visit_median_days=_round(median(visits)) if enough(visits) else None,
        notes_n=len(notes),
        notes_share=_round(sum(notes) / len(notes), 3) if enough(notes) else None,
        messages_n=len(answers),
        messages_median_hours=_round(median(answers)) if enough(answers) else None,
        experience_n=experience_n,
        heard_share=_round(sum(heard) / len(heard), 3) if enough(heard) else None,
        time_share=_round(sum(timed) / len(timed), 3) if enough(timed) else None,
    )


# --- Flags -------------------------------------------------------------------------------

GREEN, RED, THIN = "green", "red", "thin"


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    kind: str  # GREEN or RED: what the flag is; ``state`` says whether it is raised
    state: str  # "raised", "not_raised", or THIN (not enough data yet)
    basis: str  # the figure it is computed from, in words
    anchor: str  # the explanation's anchor in the directory's "how it is computed" page

    @property
    def raised(self) -> bool:
        return self.state == "raised"

    @property
    def thin(self) -> bool:
        return self.state == THIN


@dataclass(frozen=True)
class Flags:
    items: list[Flag] = field(default_factory=list)

    @property
    def green(self) -> list[Flag]:
        return [f for f in self.items if f.kind == GREEN and f.raised]

    @property
    def red(self) -> list[Flag]:
        return [f for f in self.items if f.kind == RED and f.raised]

    @property
    def thin(self) -> list[Flag]:
        return [f for f in self.items if f.thin]


#: Thresholds of the flags (docs/directory.md gives the same numbers).
RESPONDS_WITHIN_BUSINESS_DAYS = 2
SEEN_WITHIN_DAYS = 28
SENDS_NOTES_SHARE = 0.8
LONG_WAIT_DAYS = 182  # 26 weeks
RARE_NOTES_SHARE = 0.5
SLOW_MESSAGE_BUSINESS_DAYS = 5
RUSHED_SHARE = 0.6


def _flag(
    code: str, label: str, kind: str, value: float | None, raised: bool, basis: str, anchor: str
) -> Flag:
    if value is None:
        return Flag(code, label, kind, THIN, basis, anchor)
    return Flag(code, label, kind, "raised" if raised else "not_raised", basis, anchor)


def flags(
    figures: Figures | None,
    *,
    hours_per_day: float,
    next_slot_days: int | None = None,
    slot_horizon_days: int | None = None,
) -> Flags:
    """Return the article's green and red flags, each from a measured figure (or thin).

    ``next_slot_days`` is the live wait for a new-patient slot; with ``slot_horizon_days``
    given (the practice books through Tandem) and no slot inside it, the wait counts as
    longer than the horizon.
    """
    f = figures or Figures(period_start=dt.datetime.min, period_end=dt.datetime.min)
    day_hours = hours_per_day
    items = [
        _flag(
            "responds",
            f"Responds within {RESPONDS_WITHIN_BUSINESS_DAYS} business days",
            GREEN,
            f.response_median_hours,
            f.response_median_hours is not None
            and f.response_median_hours <= RESPONDS_WITHIN_BUSINESS_DAYS * day_hours,
            "median business hours from referral to first response",
            "response",
        ),
        _flag(
            "seen_soon",
            "New patients seen within 4 weeks",
            GREEN,
            f.visit_median_days,
            f.visit_median_days is not None and f.visit_median_days <= SEEN_WITHIN_DAYS,
            "median days from referral to first visit",
            "first-visit",
        ),
        _flag(
            "sends_notes",
            "Sends consult notes",
            GREEN,
            f.notes_share,
            f.notes_share is not None and f.notes_share >= SENDS_NOTES_SHARE,
            f"share of first visits followed by a consult note within {NOTE_WINDOW_DAYS} days",
            "consult-notes",
        ),
    ]
    wait = f.visit_median_days
    # No open slot inside a horizon of at least six months is itself a measured long wait.
    no_slot = next_slot_days is None and (slot_horizon_days or 0) >= LONG_WAIT_DAYS
    long_wait_value = wait if wait is not None else (0.0 if no_slot else None)
    items.append(
        _flag(
            "long_wait",
            "Waits over 6 months",
            RED,
            long_wait_value,
            (wait is not None and wait > LONG_WAIT_DAYS) or no_slot,
            "median days to first visit, and the next new-patient slot",
            "first-visit",
        )
    )
    notes_bad = f.notes_share is not None and f.notes_share < RARE_NOTES_SHARE
    slow = (
        f.messages_median_hours is not None
        and f.messages_median_hours > SLOW_MESSAGE_BUSINESS_DAYS * day_hours
    )
    rare_value = f.notes_share if f.notes_share is not None else f.messages_median_hours
    items.append(
        _flag(
            "rarely_communicates",
            "Rarely communicates with referring therapists",
            RED,
            rare_value,
            notes_bad or slow,
            "consult notes sent, and median response to clinicians' messages",
            "messages",
        )
    )
    rushed_value = f.heard_share if f.heard_share is not None else f.time_share
    items.append(
        _flag(
            "rushed",
            "Clients report feeling rushed or unheard",
            RED,
            rushed_value,
            (f.heard_share is not None and f.heard_share < RUSHED_SHARE)
            or (f.time_share is not None and f.time_share < RUSHED_SHARE),
            "clients' answers to the experience check",
            "experience",
        )
    )
    return Flags(items)


def hours_per_day(calendar: BusinessCalendar) -> float:
    """Return the length of the practice's business day in hours."""
    opens = dt.datetime.combine(dt.date(2000, 1, 3), calendar.opens)
    closes = dt.datetime.combine(dt.date(2000, 1, 3), calendar.closes)
    return (closes - opens).total_seconds() / 3600


def experience_due(visit_number: int) -> bool:
    """Return whether the client is asked after this visit (the first, then every few)."""
    return visit_number >= 1 and (visit_number - 1) % EXPERIENCE_EVERY == 0
