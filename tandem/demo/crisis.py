"""Demo on-call rota: who answers a safety alert, in order, at both psychiatric practices.

Without a rota an alert reached only the prescriber marked on call, and its
escalation only the practice admin. A demanding practice has its on-call
prescriber told at once, then the next prescriber on the rota, then the admin;
so each psychiatric practice gets weekly shifts, handed over on Monday at 9:00
(practice time), from ``WEEKS_BEFORE`` weeks before the seed to ``WEEKS_AFTER``
weeks after it:

- Harborlight Psychiatry: its two prescribers alternate weekly as primary
  (order 1), the other one as backup (order 2). In a freshly seeded demo the
  week under way is Elena Marsh's (she is also the prescriber flagged on call),
  so the demo's crisis journey reaches her first and Samuel Adeyemi next.
- Quinsigamond Behavioral Health Group: Marcus Delacroix is its only
  prescriber, so he is primary every week and nobody is backup; an alert he
  leaves unacknowledged escalates to the practice admin (Robert Nakamura).

Only missing shifts are written (looked up by practice, start and order), so a
second run adds nothing and a later one (``scripts/demo`` seeds at every start)
extends the window without changing the weeks already there, or what an admin
changed on the rota page. A new week continues the alternation from the week
before it. Each new shift gets the audit row ``add_shift`` writes, and the
practice's daily gap check (``check_rota``) is started as ``add_shift`` starts
it, so a week before the rota runs out the admin is warned of the gap.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from tandem.audit.actions import record_many
from tandem.audit.models import AuditAction
from tandem.care.crisis import signals
from tandem.care.crisis.models import OnCallShift
from tandem.demo.practice import DemoWorld

_VIA = {"via": "seed_demo"}

#: Each psychiatric practice's prescribers on the rota; the first leads the week under way.
ROTA: dict[str, tuple[str, ...]] = {
    "harborlight": ("elena.marsh", "samuel.adeyemi"),
    "quinsigamond": ("marcus.delacroix",),
}
#: The weekly handover: Monday (weekday 0) at 9:00, practice time.
HANDOVER_WEEKDAY = 0
HANDOVER = dt.time(9, 0)
#: The rota covers the weeks from this many before the week under way ...
WEEKS_BEFORE = 4
#: ... to this many after it (about three months ahead of every seed).
WEEKS_AFTER = 12


def week_starts(zone: ZoneInfo, now: dt.datetime) -> list[dt.datetime]:
    """Return the handovers of every week of the window, the week under way at ``WEEKS_BEFORE``.

    Each is 9:00 on a Monday in the practice's time zone, so a week that crosses a
    change of daylight saving time is an hour longer or shorter, never a gap.
    """
    local = now.astimezone(zone)
    monday = local.date() - dt.timedelta(days=(local.weekday() - HANDOVER_WEEKDAY) % 7)
    if dt.datetime.combine(monday, HANDOVER, tzinfo=zone) > local:
        monday -= dt.timedelta(weeks=1)
    return [
        dt.datetime.combine(monday + dt.timedelta(weeks=k), HANDOVER, tzinfo=zone)
        for k in range(-WEEKS_BEFORE, WEEKS_AFTER + 1)
    ]


def seed_rota(world: DemoWorld) -> None:
    """Give both psychiatric practices weekly on-call shifts around now (only missing ones)."""
    now = timezone.now()
    # Every shift either practice has from a week before the window on, in one query: a
    # later seed continues the alternation from the week before its window.
    weeks = {key: week_starts(ZoneInfo(world.organisations[key].time_zone), now) for key in ROTA}
    existing_all = list(
        OnCallShift.objects.filter(
            organisation__in=[world.organisations[key] for key in ROTA],
            starts_at__gte=min(starts[0] for starts in weeks.values()) - dt.timedelta(weeks=1),
        )
    )
    for key, prescribers in ROTA.items():
        organisation = world.organisations[key]
        people = [world.users[local] for local in prescribers]
        ids = [user.pk for user in people]
        starts = weeks[key]
        earlier = starts[0].date() - dt.timedelta(weeks=1)
        existing = {
            (shift.starts_at, shift.order): shift
            for shift in existing_all
            if shift.organisation_id == organisation.pk
        }
        previous = existing.get(
            (dt.datetime.combine(earlier, HANDOVER, tzinfo=starts[0].tzinfo), 1)
        )
        lead = ids.index(previous.user_id) + 1 if previous and previous.user_id in ids else None
        new: list[OnCallShift] = []
        for index, starts_at in enumerate(starts):
            ends_at = dt.datetime.combine(
                starts_at.date() + dt.timedelta(weeks=1), HANDOVER, tzinfo=starts_at.tzinfo
            )
            primary = existing.get((starts_at, 1))
            if primary is not None and primary.user_id in ids:
                lead = ids.index(primary.user_id)
            elif lead is None:
                lead = (index - WEEKS_BEFORE) % len(people)
            else:
                lead %= len(people)
            for order, user in enumerate(people[lead:] + people[:lead], start=1):
                if (starts_at, order) not in existing:
                    new.append(
                        OnCallShift(
                            organisation=organisation,
                            user=user,
                            starts_at=starts_at,
                            ends_at=ends_at,
                            order=order,
                        )
                    )
            lead += 1  # the next week, the next prescriber leads
        if not new:
            continue
        OnCallShift.objects.bulk_create(new)
        record_many(
            [
                {
                    "actor": None,
                    "action": AuditAction.CREATE,
                    "obj": shift,
                    "organisation": organisation,
                    "detail": {"user": str(shift.user_id), "order": shift.order, **_VIA},
                }
                for shift in new
            ]
        )
        for _ in new:
            world.count("on-call shifts", created=True, changed=False)
        # As ``add_shift``: the practice's daily check for gaps in the coming week starts.
        signals.rota_check_due.send(
            sender=OnCallShift, organisation_id=organisation.pk, run_after=None
        )
