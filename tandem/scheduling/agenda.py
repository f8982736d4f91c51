"""Reads for the booking pages: slots grouped by day, and the coordinator's calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Organisation
from tandem.referrals.models import PracticePolicy
from tandem.scheduling import selectors
from tandem.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    TimeOff,
    WeeklyHours,
)


@dataclass
class Day:
    date: dt.date
    items: list[Any] = field(default_factory=list)


def new_client_type(organisation: Organisation) -> AppointmentType | None:
    """Return the practice's first-visit appointment type (the new evaluation)."""
    return (
        AppointmentType.objects.filter(organisation=organisation, is_active=True)
        .order_by("-is_new_client", "pk")
        .first()
    )


def access_target_weeks(organisation: Organisation) -> int:
    found = PracticePolicy.objects.filter(organisation=organisation).values_list(
        "access_target_weeks", flat=True
    )
    return next(iter(found), 4)


def offered_by_day(
    organisation: Organisation,
    appointment_type: AppointmentType,
    *,
    weeks: int,
    now: dt.datetime | None = None,
) -> list[Day]:
    """Return the open slots within ``weeks``, grouped by day in the practice's zone."""
    zone = organisation.zone
    days: dict[dt.date, Day] = {}
    for slot in selectors.slots(organisation, appointment_type, weeks=weeks, now=now):
        local = slot.starts_at.astimezone(zone)
        days.setdefault(local.date(), Day(local.date())).items.append((slot, local))
    return list(days.values())


@dataclass
class CalendarEntry:
    appointment: Appointment
    local_start: dt.datetime
    local_end: dt.datetime
    over_time_off: bool


def staff_org_ids(user: Any) -> list[int]:
    """Return the practices whose calendar ``user`` may see (staff with MFA)."""
    if not policy.is_signed_in(user) or not policy.has_mfa(user):
        return []
    return [
        m.organisation_id
        for m in policy.active_memberships(user)
        if m.role in (Role.COORDINATOR, Role.PRACTICE_ADMIN, Role.PRESCRIBER)
    ]


def prescribers(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__role=Role.PRESCRIBER,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def calendar(
    actor: Any,
    organisation: Organisation,
    first_day: dt.date,
    last_day: dt.date,
    prescriber: User | None = None,
    now: dt.datetime | None = None,
) -> list[Day]:
    """Return the practice's appointments and live holds for the days, flagged over time off.

    Three queries whatever the number of appointments.
    """
    now = now or timezone.now()
    zone = organisation.zone
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    live = Q(status__in=[s for s in ACTIVE_STATUSES if s != AppointmentStatus.HELD]) | Q(
        status=AppointmentStatus.HELD, hold_expires_at__gt=now
    )
    shown = Q(status__in=[AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]) | live
    qs: QuerySet[Appointment] = policy.scope(actor, Action.VIEW, Appointment.objects.all()).filter(
        shown, organisation=organisation, starts_at__gte=start, starts_at__lt=end
    )
    if prescriber is not None:
        qs = qs.filter(prescriber=prescriber)
    rows = list(qs.select_related("client", "prescriber", "appointment_type").order_by("starts_at"))
    off: dict[int, list[TimeOff]] = defaultdict(list)
    for block in TimeOff.objects.filter(
        prescriber_id__in={a.prescriber_id for a in rows}, starts_at__lt=end, ends_at__gt=start
    ):
        off[block.prescriber_id].append(block)
    days = {
        first_day + dt.timedelta(days=i): Day(first_day + dt.timedelta(days=i))
        for i in range((last_day - first_day).days + 1)
    }
    for a in rows:
        local = a.starts_at.astimezone(zone)
        clash = a.status in ACTIVE_STATUSES and any(
            b.starts_at < a.ends_at and a.starts_at < b.ends_at for b in off[a.prescriber_id]
        )
        days[local.date()].items.append(CalendarEntry(a, local, a.ends_at.astimezone(zone), clash))
    return list(days.values())


def pending_requests(actor: Any, organisation: Organisation) -> list[Appointment]:
    """Return appointments with payment on file waiting for a coordinator to confirm."""
    return list(
        policy.scope(actor, Action.VIEW, Appointment.objects.all())
        .filter(organisation=organisation, status=AppointmentStatus.PENDING)
        .select_related("client", "prescriber", "appointment_type")
        .order_by("starts_at")
    )


#: The calendar grid's rows are half hours; by default it shows 7:00 to 19:00.
GRID_STEP = dt.timedelta(minutes=30)
GRID_DEFAULT = (dt.time(7), dt.time(19))
MAX_LANES = 4


@dataclass
class GridItem:
    """Something placed on the grid: an appointment, time off, or working hours."""

    kind: str  # "appointment", "time_off", "hours"
    row: int  # first half-hour row, from 1
    span: int  # rows covered
    lane: int = 1
    entry: CalendarEntry | None = None
    label: str = ""


@dataclass
class GridDay:
    date: dt.date
    items: list[GridItem] = field(default_factory=list)
    lanes: int = 1

    @property
    def has_appointments(self) -> bool:
        return any(i.kind == "appointment" for i in self.items)


@dataclass
class Grid:
    """A day or week as a time grid: half-hour rows, one column per day, lanes for overlaps."""

    days: list[GridDay]
    times: list[tuple[int, dt.time]]  # (row, time) of each full hour, for the time column
    rows: int


def calendar_grid(
    days: list[Day],
    organisation: Organisation,
    *,
    prescribers: list[User],
    prescriber: User | None = None,
) -> Grid:
    """Lay ``days`` (from ``calendar``) out on a time grid, with time off and working hours.

    Working hours are shaded for one prescriber's calendar (the practice's differ per
    person). Overlapping appointments get side-by-side lanes (at most ``MAX_LANES``).
    Two queries at most: the hours and the time off, whatever the number of items.
    """
    zone = organisation.zone
    first, last = days[0].date, days[-1].date
    start_at = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end_at = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    people = [prescriber] if prescriber is not None else prescribers
    time_off = list(
        TimeOff.objects.filter(
            prescriber__in=[p.pk for p in people], starts_at__lt=end_at, ends_at__gt=start_at
        )
        .select_related("prescriber")
        .order_by("starts_at")
    )
    hours = (
        list(WeeklyHours.objects.filter(organisation=organisation, prescriber=prescriber))
        if prescriber is not None
        else []
    )
    # The grid's span: the default day, widened to whatever falls outside it.
    earliest, latest = GRID_DEFAULT
    for d in days:
        for e in d.items:
            earliest = min(earliest, e.local_start.time())
            latest = max(
                latest, e.local_end.time() if e.local_end.date() == d.date else dt.time(23, 59)
            )
    for h in hours:
        earliest, latest = min(earliest, h.starts), max(latest, h.ends)
    top = dt.time(earliest.hour)
    bottom_minutes = latest.hour * 60 + latest.minute
    rows = max(1, -(-(bottom_minutes - top.hour * 60) // 30))

    def row_of(moment: dt.time) -> int:
        return (moment.hour * 60 + moment.minute - top.hour * 60) // 30 + 1

    def span_of(begin: dt.time, end: dt.time) -> int:
        minutes = (end.hour * 60 + end.minute) - (begin.hour * 60 + begin.minute)
        return max(1, -(-minutes // 30))

    grid_days = []
    for d in days:
        gd = GridDay(d.date)
        for h in (h for h in hours if h.weekday == d.date.weekday()):
            gd.items.append(
                GridItem(
                    "hours", row_of(h.starts), span_of(h.starts, h.ends), label="Working hours"
                )
            )
        for block in time_off:
            begin = max(
                block.starts_at.astimezone(zone), dt.datetime.combine(d.date, top, tzinfo=zone)
            )
            end = min(
                block.ends_at.astimezone(zone),
                dt.datetime.combine(d.date, dt.time(23, 59), tzinfo=zone),
            )
            if begin.date() != d.date or begin >= end:
                continue
            who = "" if prescriber is not None else f" · {block.prescriber.display_name}"
            gd.items.append(
                GridItem(
                    "time_off",
                    row_of(begin.time()),
                    min(span_of(begin.time(), end.time()), rows),
                    label=f"Time off{who}",
                )
            )
        lane_ends: list[dt.datetime] = []
        for e in d.items:
            free = [i for i, ends in enumerate(lane_ends) if ends <= e.local_start]
            if free:
                lane = free[0]
            elif len(lane_ends) < MAX_LANES:
                lane_ends.append(e.local_start)
                lane = len(lane_ends) - 1
            else:
                lane = min(range(len(lane_ends)), key=lambda i: lane_ends[i])
            lane_ends[lane] = e.local_end
            end_time = e.local_end.time() if e.local_end.date() == d.date else dt.time(23, 59)
            gd.items.append(
                GridItem(
                    "appointment",
                    row_of(e.local_start.time()),
                    span_of(e.local_start.time(), end_time),
                    lane + 1,
                    e,
                )
            )
        gd.lanes = max(1, len(lane_ends))
        grid_days.append(gd)
    times = [
        (row_of(dt.time(h)), dt.time(h)) for h in range(top.hour, 24) if row_of(dt.time(h)) <= rows
    ]
    return Grid(grid_days, times, rows)
