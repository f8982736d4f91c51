"""The caseload registry's definitions, as plain functions of a client's scores.

Collaborative Care registries (AIMS Center, University of Washington) track each
client's baseline and latest score and flag who is not getting better. The
exact formulas, documented in docs/measures.md:

* baseline: the client's first complete score on the measure that the viewer may see;
* latest: the most recent one (the same response when there is only one);
* change: latest - baseline points, and 100 * (latest - baseline) / baseline per cent,
  rounded to a whole number (no per cent when the baseline is 0);
* weeks in treatment: whole weeks from the baseline's date to today;
* response: at least two scores and latest ≤ 50% of baseline (baseline above 0);
* remission: at least two scores and latest below 5 (PHQ-9 and GAD-7 alike);
* not improving: 10 or more weeks in treatment with neither response nor remission —
  bring to case review;
* new: no score yet, or fewer than 4 weeks since the baseline;
* overdue: a scheduled measure whose due date is before today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from django.utils import timezone

from tandem.measures.models import ALERT_FLAGS

#: Measures the registry follows (both have a published remission threshold of 5).
REGISTRY_MEASURES = {"phq-9": "PHQ-9", "gad-7": "GAD-7"}
REMISSION_BELOW = 5
RESPONSE_FRACTION = 0.5
NOT_IMPROVING_WEEKS = 10
NEW_WEEKS = 4


@dataclass(frozen=True)
class Score:
    total: int
    at: dt.datetime
    flags: tuple[str, ...] = ()
    response_id: Any = None

    @cached_property
    def day(self) -> dt.date:
        """The day of the score in the current time zone (the score cannot change: cached)."""
        return local_day(self.at)


@dataclass(frozen=True, slots=True)
class ClientName:
    """What a registry row needs of its client: the link to their page and the name."""

    pk: int
    public_id: Any
    last_name: str
    first_name: str


class Figures(NamedTuple):
    """What a registry row shows besides its scores: ``Row.figures``, each computed once."""

    change_points: int | None
    change_percent: int | None
    weeks_in_treatment: int | None
    response: bool
    remission: bool
    not_improving: bool
    is_new: bool
    latest_flagged: bool
    latest_item9_blank: bool
    safety: bool


@dataclass
class Row:
    """One client's line in the registry, for one measure, as one viewer may see it."""

    client: Any
    measure: str
    today: dt.date
    baseline: Score | None = None
    latest: Score | None = None
    withheld: int = 0  # first/last scores from other practices that consent keeps from the viewer
    last_contact: dt.datetime | None = None
    next_due: dt.date | None = None
    next_due_measure: str = ""
    overdue_measures: list[str] = field(default_factory=list)
    open_alerts: int = 0
    viewer_org_id: int | None = None  # the practice through which the viewer sits on the team

    @property
    def has_change(self) -> bool:
        return (
            self.baseline is not None
            and self.latest is not None
            and self.latest.response_id != self.baseline.response_id
        )

    @property
    def change_points(self) -> int | None:
        if not self.has_change:
            return None
        assert self.baseline is not None
        assert self.latest is not None
        return self.latest.total - self.baseline.total

    @property
    def change_percent(self) -> int | None:
        points = self.change_points
        if points is None or self.baseline is None or self.baseline.total == 0:
            return None
        return round_half_away(100 * points, self.baseline.total)

    @property
    def weeks_in_treatment(self) -> int | None:
        if self.baseline is None:
            return None
        return max(0, (self.today - self.baseline.day).days // 7)

    @property
    def response(self) -> bool:
        if not self.has_change or self.baseline is None or self.latest is None:
            return False
        return (
            self.baseline.total > 0 and self.latest.total <= self.baseline.total * RESPONSE_FRACTION
        )

    @property
    def remission(self) -> bool:
        return self.has_change and self.latest is not None and self.latest.total < REMISSION_BELOW

    @property
    def not_improving(self) -> bool:
        weeks = self.weeks_in_treatment
        return (
            weeks is not None
            and weeks >= NOT_IMPROVING_WEEKS
            and not self.response
            and not self.remission
        )

    @property
    def is_new(self) -> bool:
        weeks = self.weeks_in_treatment
        return weeks is None or weeks < NEW_WEEKS

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_measures)

    @property
    def latest_flagged(self) -> bool:
        """Return whether the latest score raised a suicide flag."""
        return self.latest is not None and bool(ALERT_FLAGS & set(self.latest.flags))

    @property
    def latest_item9_blank(self) -> bool:
        """Return whether the latest score left the suicide item blank (someone must ask)."""
        return self.latest is not None and "suicide_item_unanswered" in self.latest.flags

    @property
    def safety(self) -> bool:
        return self.open_alerts > 0 or self.latest_flagged or self.latest_item9_blank

    def figures(self, tz: dt.tzinfo | None = None) -> Figures:
        """Return the row's derived values at once, each the property of the same name's.

        A table shows them all: read one by one, the properties compute ``has_change``
        five times and the weeks in treatment three (``test_registry.py`` compares the
        two over every combination that changes them). ``tz`` is the current time zone,
        when the caller has it (``local_day``).
        """
        baseline, latest = self.baseline, self.latest
        has_change = (
            baseline is not None
            and latest is not None
            and latest.response_id != baseline.response_id
        )
        points = percent = None
        response = remission = False
        if has_change:
            assert baseline is not None
            assert latest is not None
            points = latest.total - baseline.total
            if baseline.total != 0:
                percent = round_half_away(100 * points, baseline.total)
            response = baseline.total > 0 and latest.total <= baseline.total * RESPONSE_FRACTION
            remission = latest.total < REMISSION_BELOW
        weeks = (
            None
            if baseline is None
            else max(0, (self.today - local_day(baseline.at, tz)).days // 7)
        )
        flags = latest.flags if latest is not None else ()
        flagged = bool(flags) and bool(ALERT_FLAGS.intersection(flags))
        item9_blank = "suicide_item_unanswered" in flags
        return Figures(
            change_points=points,
            change_percent=percent,
            weeks_in_treatment=weeks,
            response=response,
            remission=remission,
            not_improving=(
                weeks is not None
                and weeks >= NOT_IMPROVING_WEEKS
                and not response
                and not remission
            ),
            is_new=weeks is None or weeks < NEW_WEEKS,
            latest_flagged=flagged,
            latest_item9_blank=item9_blank,
            safety=self.open_alerts > 0 or flagged or item9_blank,
        )

    @property
    def review_priority(self) -> tuple[int, str]:
        """Order for the case review list: safety, not improving and new first, then the rest."""
        if self.safety:
            rank = 0
        elif self.not_improving:
            rank = 1
        elif self.is_new:
            rank = 2
        else:
            rank = 3
        return rank, f"{self.client.last_name} {self.client.first_name}".lower()


def local_day(at: dt.datetime, tz: dt.tzinfo | None = None) -> dt.date:
    """Return the day of ``at`` in the current time zone (``tz``, when the caller has it:
    ``timezone.localdate`` looks the zone up on every call); a naive ``at``'s own day."""
    if at.utcoffset() is None:
        return at.date()
    return at.astimezone(tz or timezone.get_current_timezone()).date()


def round_half_away(numerator: int, denominator: int) -> int:
    """Return numerator / denominator rounded to a whole number, halves away from zero."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


FILTERS: dict[str, str] = {
    "safety": "Safety flag or open alert",
    "not_improving": "Not improving (bring to case review)",
    "new": "New (under 4 weeks, or no score yet)",
    "overdue": "Measure overdue",
    "response": "Response (≥ 50% drop)",
    "remission": "Remission (below 5)",
    "no_score": "No score yet",
}


def matches(row: Row, flag: str) -> bool:
    """Return whether ``row`` passes the filter ``flag`` (an unknown flag passes everything)."""
    if flag == "no_score":
        return row.baseline is None
    if flag in FILTERS:
        return bool(getattr(row, "is_new" if flag == "new" else flag))
    return True


def _none_last(value: Any) -> tuple[int, Any]:
    return (1, 0) if value is None else (0, value)


SORTS: dict[str, tuple[str, Any]] = {
    "name": ("Name", lambda r: (0, (r.client.last_name.lower(), r.client.first_name.lower()))),
    "baseline": ("Baseline", lambda r: _none_last(r.baseline.total if r.baseline else None)),
    "latest": ("Latest", lambda r: _none_last(r.latest.total if r.latest else None)),
    "change": ("Change (points)", lambda r: _none_last(r.change_points)),
    "change_pct": ("Change (%)", lambda r: _none_last(r.change_percent)),
    "weeks": ("Weeks in treatment", lambda r: _none_last(r.weeks_in_treatment)),
    "last_contact": ("Last contact", lambda r: _none_last(r.last_contact)),
    "next_due": ("Next due", lambda r: _none_last(r.next_due)),
}


#: What ``selectors.fill_scores`` fills: the first and last visible scores (which every
#: flag and column but the cadences and alerts derive from), the cadences (next due,
#: overdue), the last contacts, and the open safety alerts.
PARTS = frozenset({"scores", "schedules", "contacts", "alerts"})
#: What each sort and each filter reads besides the scores (the rest of a sorted or
#: filtered page is filled for that page's rows only).
SORT_PARTS: dict[str, frozenset[str]] = {
    "last_contact": frozenset({"contacts"}),
    "next_due": frozenset({"schedules"}),
}
FILTER_PARTS: dict[str, frozenset[str]] = {
    "safety": frozenset({"alerts"}),
    "overdue": frozenset({"schedules"}),
}


def parts_to_order(sort: str, flag: str) -> frozenset[str]:
    """Return the parts of every row that ordering by ``sort`` and filtering by ``flag`` read."""
    needed = {"scores"} | SORT_PARTS.get(sort.lstrip("-"), frozenset())
    return frozenset(needed | FILTER_PARTS.get(flag, frozenset()))


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """Return ``rows`` sorted by ``sort`` (a key of SORTS, "-" in front for descending).

    Rows without a value sort last either way.
    """
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "name", False
    fn = SORTS[key][1]
    with_value = [r for r in rows if fn(r)[0] == 0]
    without = [r for r in rows if fn(r)[0] == 1]
    with_value.sort(key=fn, reverse=descending)
    return with_value + sorted(without, key=SORTS["name"][1])
