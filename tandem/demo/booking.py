"""Demo booking: appointment types, booking rules and weekly hours for every prescriber.

Without them the booking pages have nothing to offer (the intake bot's last step
and the client's "Book a visit" found no appointment type), so every journey that
ends in a visit stopped short of it. Each row is looked up by a natural key
(practice and code; prescriber, weekday and start) and written only when missing
or different; a new row gets the audit row the settings pages would write.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Model

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.roles import Role
from tandem.demo.practice import STAFF, DemoWorld, upsert
from tandem.organisations.models import Organisation
from tandem.scheduling.models import (
    AppointmentType,
    ConfirmationRule,
    SchedulingSettings,
    WeeklyHours,
)

_VIA = {"via": "seed_demo"}

#: (code, name, minutes, buffer, first visit) offered by both psychiatric practices.
TYPES: tuple[tuple[str, str, int, int, bool], ...] = (
    ("new-evaluation", "New patient evaluation", 60, 15, True),
    ("follow-up", "Medication follow-up", 30, 0, False),
)

#: Every prescriber sees clients Monday to Friday, 9-12 and 13-17 (practice time).
BLOCKS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 0), dt.time(17, 0)),
)
WEEKDAYS = range(5)

SETTINGS = {
    "hold_minutes": 15,
    "waitlist_hold_minutes": 10,
    # A coordinator confirms each new visit: the demo shows the request in their queue.
    "confirmation_rule": ConfirmationRule.COORDINATOR,
    "cancellation_hours": 24,
    "reminder_hours": [48, 2],
    "min_notice_hours": 24,
    "video_link": "https://video.example.org/tandem-demo",
}


def _new(obj: Model, organisation: Organisation) -> None:
    record(actor=None, action=AuditAction.CREATE, obj=obj, organisation=organisation, detail=_VIA)


def seed_booking(world: DemoWorld) -> None:
    """Give both psychiatric practices booking rules, appointment types and prescribers' hours."""
    for key in ("harborlight", "quinsigamond"):
        organisation = world.organisations[key]
        rules, created, changed = upsert(
            SchedulingSettings, {"organisation": organisation}, dict(SETTINGS)
        )
        if created:
            _new(rules, organisation)
        world.count("booking settings", created=created, changed=changed)
        for code, name, minutes, buffer, first in TYPES:
            kind, created, changed = upsert(
                AppointmentType,
                {"organisation": organisation, "code": code},
                {
                    "name": name,
                    "duration_minutes": minutes,
                    "buffer_minutes": buffer,
                    "is_new_client": first,
                    "is_active": True,
                },
            )
            if created:
                _new(kind, organisation)
            world.count("appointment types", created=created, changed=changed)
        for spec in STAFF:
            if spec.practice != key or Role.PRESCRIBER not in spec.roles:
                continue
            prescriber = world.users[spec.email_local]
            for weekday in WEEKDAYS:
                for starts, ends in BLOCKS:
                    block, created, changed = upsert(
                        WeeklyHours,
                        {
                            "organisation": organisation,
                            "prescriber": prescriber,
                            "weekday": weekday,
                            "starts": starts,
                        },
                        {"ends": ends},
                    )
                    if created:
                        _new(block, organisation)
                    world.count("weekly hours", created=created, changed=changed)
