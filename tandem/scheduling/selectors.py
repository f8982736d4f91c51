"""Reads for booking: open slots across a practice's prescribers, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.calendar import BusinessCalendar
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation
from tandem.scheduling.availability import Block, Interval, open_slots
from tandem.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    SchedulingSettings,
    TimeOff,
    WeeklyHours,
)


@dataclass(frozen=True)
class Slot:
    prescriber: User
    starts_at: dt.datetime
    ends_at: dt.datetime


def practice_calendar(organisation: Organisation) -> BusinessCalendar:
    return BusinessCalendar(
        time_zone=organisation.time_zone,
        country=organisation.holiday_country,
        subdivision=organisation.holiday_subdivision,
    )


def settings_for(organisation: Organisation) -> SchedulingSettings:
    found, _ = SchedulingSettings.objects.get_or_create(
        organisation=organisation, defaults={"reminder_hours": [48, 2]}
    )
    return found


def slots(
    organisation: Organisation,
    appointment_type: AppointmentType,
    *,
    weeks: int = 4,
    days: tuple[dt.date, dt.date] | None = None,
    prescriber: User | None = None,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Return open slots for ``appointment_type``, earliest first.

    Over the next ``weeks`` from today, or over ``days`` (first, last) when given.
    """
    now = now or timezone.now()
    calendar = practice_calendar(organisation)
    rules = settings_for(organisation)
    earliest = now + dt.timedelta(hours=rules.min_notice_hours)
    if days is None:
        first_day = calendar.local(now).date()
        last_day = first_day + dt.timedelta(weeks=weeks)
    else:
        first_day, last_day = days
    horizon = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=calendar.zone)
    prescribers = list(
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__role=Role.PRESCRIBER,
            memberships__is_active=True,
            is_active=True,
        ).distinct()
    )
    if prescriber is not None:
        prescribers = [p for p in prescribers if p.pk == prescriber.pk]
    ids = [p.pk for p in prescribers]
    blocks: dict[int, list[Block]] = defaultdict(list)
    for row in WeeklyHours.objects.filter(organisation=organisation, prescriber_id__in=ids):
        blocks[row.prescriber_id].append(Block(row.weekday, row.starts, row.ends))
    busy: dict[int, list[Interval]] = defaultdict(list)
    window_start = dt.datetime.combine(first_day, dt.time(), tzinfo=calendar.zone)
    for off in TimeOff.objects.filter(
        prescriber_id__in=ids, ends_at__gt=window_start, starts_at__lt=horizon
    ):
        busy[off.prescriber_id].append(Interval(off.starts_at, off.ends_at))
    live = Q(status__in=[AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED]) | Q(
        status=AppointmentStatus.HELD, hold_expires_at__gt=now
    )
    for prescriber_id, start, end in Appointment.objects.filter(
        live, prescriber_id__in=ids, blocked_until__gt=window_start, starts_at__lt=horizon
    ).values_list("prescriber_id", "starts_at", "blocked_until"):
        busy[prescriber_id].append(Interval(start, end))
    found: list[Slot] = []
    visit = dt.timedelta(minutes=appointment_type.duration_minutes)
    for person in prescribers:
        for start in open_slots(
            calendar=calendar,
            blocks=blocks[person.pk],
            busy=busy[person.pk],
            first_day=first_day,
            last_day=last_day,
            blocked=appointment_type.blocks,
            earliest=earliest,
        ):
            found.append(Slot(person, start, start + visit))
    found.sort(key=lambda s: (s.starts_at, s.prescriber.pk))
    return found


def active_statuses() -> tuple[str, ...]:
    return tuple(ACTIVE_STATUSES)


def member_prescriber(organisation: Organisation, user: User) -> bool:
    return Membership.objects.filter(
        organisation=organisation, user=user, role=Role.PRESCRIBER, is_active=True
    ).exists()
