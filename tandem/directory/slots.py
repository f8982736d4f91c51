"""The next new-patient slot of many practices at once, live from their availability.

Reads every practice's prescribers, weekly hours, time off, live appointments, new-patient
visit types and booking settings in a fixed number of queries (whatever the number of
practices), then asks ``scheduling.availability.open_slots`` one week at a time, stopping
at the first open slot.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from tandem.core.calendar import BusinessCalendar
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation
from tandem.scheduling.availability import Block, Interval, open_slots
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    SchedulingSettings,
    TimeOff,
    WeeklyHours,
)

#: How far ahead the directory looks for a new-patient slot.
HORIZON_WEEKS = 26


@functools.lru_cache(maxsize=512)
def shared_calendar(
    time_zone: str, country: str, subdivision: str, opens: dt.time, closes: dt.time
) -> BusinessCalendar:
    """Return one calendar per (zone, holidays, hours), shared so its holiday tables are
    built once per process rather than once per practice per search."""
    return BusinessCalendar(
        time_zone=time_zone, country=country, subdivision=subdivision, opens=opens, closes=closes
    )


def calendar_of(
    organisation: Organisation, opens: dt.time | None = None, closes: dt.time | None = None
) -> BusinessCalendar:
    """Return the practice's business calendar (its zone and holidays; its hours if given)."""
    default = BusinessCalendar()
    return shared_calendar(
        organisation.time_zone,
        organisation.holiday_country,
        organisation.holiday_subdivision,
        opens or default.opens,
        closes or default.closes,
    )


def next_new_patient_slots(
    organisations: Iterable[Organisation], *, now: dt.datetime, weeks: int = HORIZON_WEEKS
) -> dict[int, dt.datetime | None]:
    """Return, per organisation id, the start of its earliest open new-patient slot.

    None when no slot is open within ``weeks``; a practice that does not book new
    patients through Tandem (no new-patient visit type or no prescriber) is left out.
    """
    orgs = {o.pk: o for o in organisations}
    # The same queries whatever is asked, even nothing (an empty IN list would skip the
    # query), so a page's query count never depends on how many practices it shows.
    ids = list(orgs) or [0]
    prescribers: dict[int, list[int]] = defaultdict(list)
    for org_id, user_id in Membership.objects.filter(
        organisation_id__in=ids,
        role=Role.PRESCRIBER,
        is_active=True,
        user__is_active=True,
    ).values_list("organisation_id", "user_id"):
        prescribers[org_id].append(user_id)
    visit_types: dict[int, dt.timedelta] = {}
    for org_id, minutes, buffer in (
        AppointmentType.objects.filter(organisation_id__in=ids, is_new_client=True, is_active=True)
        .order_by("organisation_id", "duration_minutes")
        .values_list("organisation_id", "duration_minutes", "buffer_minutes")
    ):
        visit_types.setdefault(org_id, dt.timedelta(minutes=minutes + buffer))
    notice = dict(
        SchedulingSettings.objects.filter(organisation_id__in=ids).values_list(
            "organisation_id", "min_notice_hours"
        )
    )
    horizon = now + dt.timedelta(weeks=weeks, days=1)
    blocks: dict[tuple[int, int], list[Block]] = defaultdict(list)
    for org_id, user_id, weekday, starts, ends in WeeklyHours.objects.filter(
        organisation_id__in=ids
    ).values_list("organisation_id", "prescriber_id", "weekday", "starts", "ends"):
        blocks[(org_id, user_id)].append(Block(weekday, starts, ends))
    everyone = list({u for users in prescribers.values() for u in users}) or [0]
    busy: dict[int, list[Interval]] = defaultdict(list)
    for user_id, start, end in TimeOff.objects.filter(
        prescriber_id__in=everyone, ends_at__gt=now, starts_at__lt=horizon
    ).values_list("prescriber_id", "starts_at", "ends_at"):
        busy[user_id].append(Interval(start, end))
    live = Q(status__in=[AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED]) | Q(
        status=AppointmentStatus.HELD, hold_expires_at__gt=now
    )
    for user_id, start, end in Appointment.objects.filter(
        live, prescriber_id__in=everyone, blocked_until__gt=now, starts_at__lt=horizon
    ).values_list("prescriber_id", "starts_at", "blocked_until"):
        busy[user_id].append(Interval(start, end))
    found: dict[int, dt.datetime | None] = {}
    for org_id, org in orgs.items():
        span = visit_types.get(org_id)
        if span is None or not prescribers.get(org_id):
            continue
        calendar = calendar_of(org)
        earliest = now + dt.timedelta(hours=notice.get(org_id, 24))
        last_day = calendar.local(horizon).date()
        firsts = [
            first
            for user_id in prescribers[org_id]
            if (
                first := _first_open(
                    calendar,
                    blocks[(org_id, user_id)],
                    busy[user_id],
                    span,
                    _free_from(earliest, busy[user_id]),
                    last_day,
                )
            )
            is not None
        ]
        found[org_id] = min(firsts) if firsts else None
    return found


def _free_from(earliest: dt.datetime, busy: list[Interval]) -> dt.datetime:
    """Return the first moment from ``earliest`` not inside a busy interval (time off, visits).

    A prescriber away for nine weeks is then searched from their return, not week by week.
    """
    moment = earliest
    for interval in sorted(busy, key=lambda i: i.start):
        if interval.start <= moment < interval.end:
            moment = interval.end
    return moment


def _first_open(
    calendar: BusinessCalendar,
    blocks: list[Block],
    busy: list[Interval],
    span: dt.timedelta,
    earliest: dt.datetime,
    last_day: dt.date,
) -> dt.datetime | None:
    """Return the first open slot from ``earliest`` up to ``last_day``, a week at a time."""
    if not blocks:
        return None
    day = calendar.local(earliest).date()
    while day <= last_day:
        week_end = min(day + dt.timedelta(days=6), last_day)
        open_now = open_slots(
            calendar=calendar,
            blocks=blocks,
            busy=busy,
            first_day=day,
            last_day=week_end,
            blocked=span,
            earliest=earliest,
        )
        if open_now:
            return open_now[0]
        day = week_end + dt.timedelta(days=1)
    return None
