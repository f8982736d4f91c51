"""Time open-slot computation for one prescriber over 12 weeks.

Run from the repository root:

    .venv/bin/python bench/slots.py [--runs 50]

It migrates its own SQLite file (var/bench_slots.sqlite3) unless DATABASE_URL
names another database, builds once a synthetic practice whose prescriber works
Monday to Friday 9:00-12:00 and 13:00-17:00 with about half of the next 12 weeks
booked and two days off, then times, over N runs each:

- ``selectors.slots`` for one prescriber over 12 weeks (the whole read: the
  rows it loads from the database and the computation), with its SQL query count;
- ``availability.open_slots`` alone (the pure computation over loaded rows).

It prints the median, p95, min and max in milliseconds and how many slots were found.
See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_slots.sqlite3'}")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.core.roles import Role  # noqa: E402
from tandem.organisations.models import Membership, Organisation, OrganisationKind  # noqa: E402
from tandem.scheduling import availability, selectors  # noqa: E402
from tandem.scheduling.models import (  # noqa: E402
    Appointment,
    AppointmentStatus,
    AppointmentType,
    SchedulingSettings,
    TimeOff,
    WeeklyHours,
)

NAME = "Bench Slots Psychiatry (synthetic)"
WEEKS = 12


def build() -> tuple[Organisation, User, AppointmentType]:
    """Return the synthetic practice, building it on the first run."""
    org = Organisation.objects.filter(name=NAME).first()
    if org is not None:
        prescriber = User.objects.get(email="bench.prescriber@example.invalid")
        return org, prescriber, AppointmentType.objects.get(organisation=org, code="follow-up")
    with transaction.atomic():
        org = Organisation.objects.create(kind=OrganisationKind.PSYCHIATRIC_PRACTICE, name=NAME)
        prescriber = User.objects.create_user(email="bench.prescriber@example.invalid")
        Membership.objects.create(user=prescriber, organisation=org, role=Role.PRESCRIBER)
        SchedulingSettings.objects.create(organisation=org, reminder_hours=[48, 2])
        kind = AppointmentType.objects.create(
            organisation=org, code="follow-up", name="Follow-up", duration_minutes=30
        )
        for weekday in range(5):
            for starts, ends in ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))):
                WeeklyHours.objects.create(
                    organisation=org,
                    prescriber=prescriber,
                    weekday=weekday,
                    starts=starts,
                    ends=ends,
                )
        # Book every other half hour of the coming 12 weeks (about half the calendar).
        zone = org.zone
        today = timezone.now().astimezone(zone).date()
        rows = []
        for offset in range(WEEKS * 7):
            day = today + dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for hour in (9, 10, 11, 13, 14, 15, 16):
                start = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
                rows.append(
                    Appointment(
                        organisation=org,
                        prescriber=prescriber,
                        appointment_type=kind,
                        starts_at=start,
                        ends_at=start + dt.timedelta(minutes=30),
                        blocked_until=start + dt.timedelta(minutes=30),
                        status=AppointmentStatus.CONFIRMED,
                        payment_provider="offline",
                        payment_reference="offline:bench",
                    )
                )
        Appointment.objects.bulk_create(rows)
        for offset in (10, 31):
            start = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(), tzinfo=zone)
            TimeOff.objects.create(
                prescriber=prescriber, starts_at=start, ends_at=start + dt.timedelta(days=1)
            )
    return org, prescriber, kind


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    fn()  # warm-up: holiday tables, zone data, connection
    durations = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        durations.append((time.perf_counter() - started) * 1000)
    return durations, result


def report(label: str, durations: list[float]) -> None:
    ordered = sorted(durations)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"{label}: median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms "
        f"(min {ordered[0]:.2f}, max {ordered[-1]:.2f}; {len(ordered)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    org, prescriber, kind = build()

    durations, found = timed(
        lambda: selectors.slots(org, kind, weeks=WEEKS, prescriber=prescriber), args.runs
    )
    with CaptureQueriesContext(connection) as queries:
        selectors.slots(org, kind, weeks=WEEKS, prescriber=prescriber)
    report(f"selectors.slots, 1 prescriber, {WEEKS} weeks", durations)
    print(f"  slots found: {len(found)}; SQL queries per call: {len(queries)}")

    calendar = selectors.practice_calendar(org)
    now = timezone.now()
    first = calendar.local(now).date()
    blocks = [
        availability.Block(r.weekday, r.starts, r.ends)
        for r in WeeklyHours.objects.filter(prescriber=prescriber)
    ]
    busy = [
        availability.Interval(a.starts_at, a.blocked_until)
        for a in Appointment.objects.filter(prescriber=prescriber, starts_at__gte=now)
    ] + [
        availability.Interval(t.starts_at, t.ends_at)
        for t in TimeOff.objects.filter(prescriber=prescriber)
    ]
    durations, pure = timed(
        lambda: availability.open_slots(
            calendar=calendar,
            blocks=blocks,
            busy=busy,
            first_day=first,
            last_day=first + dt.timedelta(weeks=WEEKS),
            blocked=kind.blocks,
            earliest=now + dt.timedelta(hours=24),
        ),
        args.runs,
    )
    report("availability.open_slots alone (no database)", durations)
    print(f"  slots found: {len(pure)}; busy intervals: {len(busy)}; weekly blocks: {len(blocks)}")


if __name__ == "__main__":
    main()
