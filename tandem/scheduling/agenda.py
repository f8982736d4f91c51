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
