"""Therapists' search: which practices fit a client, why, and what would not. Pure, no queries.

Eligibility is the referral check itself (``tandem.referrals.eligibility.check``): the
directory adds only what the referral policy does not know (telehealth, language, how
soon a new patient can be seen). Every filter a practice fails is named in plain words;
when nothing fits, ``Outcome.excluded_most`` says which filter rules out most practices
and how many would fit without it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from tandem.core.calendar import BusinessCalendar
from tandem.core.usstates import US_STATES
from tandem.directory import metrics, slots
from tandem.directory.models import Language, PracticeMetrics, PracticeProfile
from tandem.organisations.models import Organisation
from tandem.referrals import eligibility
from tandem.referrals.models import Payer, PlanType, PracticePolicy, Service

#: How far ahead the next new-patient slot is looked for (``slots.HORIZON_WEEKS``).
HORIZON_DAYS = 26 * 7

SORT_SLOT = "slot"
SORT_RESPONSE = "response"
SORTS = {SORT_SLOT: "Next available slot", SORT_RESPONSE: "Measured response time"}


@dataclass(frozen=True)
class Filters:
    """What the therapist knows about the client; an empty value filters nothing."""

    state: str = ""
    age: int | None = None
    payer: str = ""
    plan_type: str = ""
    service: str = ""
    telehealth: bool = False
    language: str = ""
    within_weeks: int | None = None
    sort: str = SORT_SLOT

    def given(self) -> list[str]:
        """Return the names of the filters that narrow the search, in the form's order."""
        names = []
        for name in FILTER_LABELS:
            value = getattr(self, name)
            if value not in ("", None, False):
                names.append(name)
        return names

    def without(self, name: str) -> Filters:
        """Return these filters with ``name`` cleared (plan type goes with payer)."""
        cleared: dict[str, object] = {name: _EMPTY[name]}
        if name == "payer":
            cleared["plan_type"] = ""
        return Filters(**{**self.__dict__, **cleared})


FILTER_LABELS = {
    "state": "State",
    "age": "Age",
    "payer": "Coverage",
    "plan_type": "Plan type",
    "service": "Service needed",
    "telehealth": "Telehealth",
    "language": "Language",
    "within_weeks": "Can see within",
}
_EMPTY: dict[str, object] = {
    "state": "",
    "age": None,
    "payer": "",
    "plan_type": "",
    "service": "",
    "telehealth": False,
    "language": "",
    "within_weeks": None,
}
#: Eligibility mismatch fields, as the search's filter names.
_MISMATCH_FILTER = {
    "visit_state": "state",
    "age": "age",
    "payer": "payer",
    "plan_type": "plan_type",
    "service": "service",
    "practice": "accepting",
}


@dataclass(frozen=True)
class Candidate:
    """One listed practice with everything the search needs, loaded beforehand."""

    organisation: Organisation
    policy: PracticePolicy
    profile: PracticeProfile
    figures: PracticeMetrics | None
    next_slot: dt.datetime | None
    books_here: bool = True  # books new patients through Tandem (its slots were read)
    #: Whether the live slot was read: only for practices the slot could change the answer
    #: for (``close_enough``); a practice two stated filters away is excluded whatever it is.
    slot_read: bool = True


@dataclass(frozen=True)
class Miss:
    filter: str  # a filter name, or "accepting" when new referrals are paused
    message: str


@dataclass
class Result:
    candidate: Candidate
    fits: list[str]
    misses: list[Miss]
    flags: metrics.Flags
    slot_days: int | None

    @property
    def organisation(self) -> Organisation:
        return self.candidate.organisation

    @property
    def matches(self) -> bool:
        return not self.misses


@dataclass
class Outcome:
    matches: list[Result]
    near: list[Result]  # practices that fail exactly one filter (shown with what would not fit)
    total: int
    excluded_most: tuple[str, int, int] | None = None  # (filter, how many it rules out, fit w/o)
    counts: dict[str, int] = field(default_factory=dict)


def _facts(filters: Filters) -> eligibility.Facts:
    return eligibility.Facts(
        age=filters.age if filters.age is not None else 0,
        visit_state=filters.state,
        payer=filters.payer or Payer.SELF_PAY,
        plan_type=filters.plan_type or PlanType.NONE,
        service=filters.service or Service.MEDICATION_MANAGEMENT,
    )


def stated_misses(candidate: Candidate, filters: Filters) -> list[Miss]:
    """Return the filters the practice's stated policy and profile do not meet (no slot read)."""
    policy, profile, org = candidate.policy, candidate.profile, candidate.organisation
    given = set(filters.given())
    misses: list[Miss] = []
    for mismatch in eligibility.check(policy, _facts(filters)):
        name = _MISMATCH_FILTER.get(mismatch.field, mismatch.field)
        if name == "accepting" or name in given:
            misses.append(Miss(name, mismatch.message))
    if filters.telehealth and not profile.telehealth:
        where = f" at {org.address_line}, {org.city}" if org.city else ""
        misses.append(Miss("telehealth", f"{org.name} sees clients in person only{where}."))
    if filters.language and filters.language not in profile.languages:
        label = Language(filters.language).label if filters.language in Language.values else ""
        misses.append(
            Miss("language", f"{org.name} lists no visits in {label or 'that language'}.")
        )
    return misses


def needs_slot(candidate: Candidate, filters: Filters) -> bool:
    """Return whether the live next slot can change what the search says of this practice.

    It can for a practice that fits, or misses one stated filter (a near miss shows its
    slot and flags); one missing two is shown nowhere, whatever its slot.
    """
    return len(stated_misses(candidate, filters)) <= 1


def evaluate(candidate: Candidate, filters: Filters, *, now: dt.datetime) -> Result:
    """Return why the practice fits the filters, and every filter it does not meet."""
    org = candidate.organisation
    given = set(filters.given())
    misses = stated_misses(candidate, filters)
    calendar = metrics_calendar(candidate)
    slot_days = (
        metrics.local_days(calendar, now, candidate.next_slot) if candidate.next_slot else None
    )
    if filters.within_weeks is not None and candidate.slot_read:
        if not candidate.books_here:
            misses.append(
                Miss(
                    "within_weeks",
                    f"{org.name} does not book new patients through Tandem; ask how soon.",
                )
            )
        elif slot_days is None:
            misses.append(
                Miss(
                    "within_weeks", f"{org.name} has no open new-patient slot in the next 26 weeks."
                )
            )
        elif slot_days > filters.within_weeks * 7:
            misses.append(
                Miss(
                    "within_weeks",
                    f"{org.name}'s next new-patient slot is in {slot_days} days, "
                    f"later than {filters.within_weeks} weeks.",
                )
            )
    fits = _fits(candidate, filters, given, {m.filter for m in misses}, slot_days)
    flag_set = metrics.flags(
        candidate.figures,  # type: ignore[arg-type]
        hours_per_day=metrics.hours_per_day(calendar),
        next_slot_days=slot_days,
        # An unread slot says nothing about waits (never "no slot in 26 weeks").
        slot_horizon_days=HORIZON_DAYS if candidate.books_here and candidate.slot_read else None,
    )
    return Result(candidate, fits, misses, flag_set, slot_days)


def metrics_calendar(candidate: Candidate) -> BusinessCalendar:
    """Return the practice's business calendar (its zone, holidays and hours), shared."""
    policy = candidate.policy
    return slots.calendar_of(candidate.organisation, policy.opens, policy.closes)


def _fits(
    candidate: Candidate, filters: Filters, given: set[str], missed: set[str], slot_days: int | None
) -> list[str]:
    policy, profile = candidate.policy, candidate.profile
    out: list[str] = []
    if "state" in given and "state" not in missed:
        out.append(f"Sees clients in {US_STATES.get(filters.state, filters.state)}")
    if "age" in given and "age" not in missed:
        out.append(f"Sees ages {policy.min_age} to {policy.max_age}")
    if "payer" in given and "payer" not in missed and "plan_type" not in missed:
        plan = (
            f" {filters.plan_type}"
            if filters.payer == Payer.COMMERCIAL and filters.plan_type
            else ""
        )
        out.append(f"Accepts {Payer(filters.payer).label.lower()}{plan}")
    if "service" in given and "service" not in missed:
        out.append(f"Offers {Service(filters.service).label.lower()}")
    if filters.telehealth and "telehealth" not in missed:
        out.append("Sees clients by secure video")
    if filters.language and "language" not in missed:
        out.append(f"Visits in {Language(filters.language).label}")
    if filters.within_weeks is not None and "within_weeks" not in missed and slot_days is not None:
        out.append(f"Next new-patient slot in {slot_days} days")
    if profile.in_person and not filters.telehealth and candidate.organisation.city:
        out.append(f"Also in person in {candidate.organisation.city}")
    return out


def _sort_key(result: Result, sort: str) -> tuple[float, float, str]:
    slot = float(result.slot_days) if result.slot_days is not None else float("inf")
    figures = result.candidate.figures
    response = (
        figures.response_median_hours
        if figures is not None and figures.response_median_hours is not None
        else float("inf")
    )
    name = result.organisation.name
    return (response, slot, name) if sort == SORT_RESPONSE else (slot, response, name)


def run(candidates: list[Candidate], filters: Filters, *, now: dt.datetime) -> Outcome:
    """Return the matching practices sorted, the near misses, and what excludes most."""
    results = [evaluate(c, filters, now=now) for c in candidates]
    matches = sorted((r for r in results if r.matches), key=lambda r: _sort_key(r, filters.sort))
    near = sorted(
        (r for r in results if len(r.misses) == 1 and r.misses[0].filter != "accepting"),
        key=lambda r: _sort_key(r, filters.sort),
    )
    counts: dict[str, int] = {}
    alone: dict[str, int] = {}
    for r in results:
        names = {m.filter for m in r.misses}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        if len(names) == 1:
            (only,) = names
            alone[only] = alone.get(only, 0) + 1
    outcome = Outcome(matches=matches, near=near, total=len(results), counts=counts)
    relaxable = {k: v for k, v in counts.items() if k != "accepting"}
    if not matches and relaxable:
        worst = max(relaxable, key=lambda k: (relaxable[k], alone.get(k, 0)))
        outcome.excluded_most = (worst, relaxable[worst], alone.get(worst, 0))
    return outcome


def fitting(
    candidates: list[Candidate], facts: eligibility.Facts, known: set[str], *, now: dt.datetime
) -> list[Organisation]:
    """Return the practices that fit what is known of a client, fastest responders first.

    For the referral form and the appointment bot: ``known`` names the facts the person
    has given (``age``, ``visit_state``, ``payer``, ``plan_type``, ``service``); the others
    filter nothing. A practice that paused new referrals is never suggested.
    """
    filters = Filters(  # no "within N weeks": no practice's live slot is needed
        state=facts.visit_state if "visit_state" in known else "",
        age=facts.age if "age" in known else None,
        payer=facts.payer if "payer" in known else "",
        plan_type=facts.plan_type if "plan_type" in known else "",
        service=facts.service if "service" in known else "",
        sort=SORT_RESPONSE,
    )
    return [r.organisation for r in run(candidates, filters, now=now).matches]
