"""A synthetic practice with one prescriber's weekly hours."""

import datetime as dt
import zoneinfo
from typing import Any

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, OrganisationFactory, UserFactory, make_staff
from tandem.scheduling.models import AppointmentType, SchedulingSettings, WeeklyHours

BOSTON = zoneinfo.ZoneInfo("America/New_York")


def open_mornings(
    organisation: Any, prescriber: Any, *, confirmation_rule: str = "coordinator", buffer: int = 0
) -> AppointmentType:
    """Open ``prescriber`` to new clients Monday to Friday, 9:00-12:00; return the visit type.

    Reminders 48 and 2 hours before; a one-hour new evaluation (plus ``buffer`` minutes).
    """
    SchedulingSettings.objects.create(
        organisation=organisation, confirmation_rule=confirmation_rule, reminder_hours=[48, 2]
    )
    new_eval = AppointmentType.objects.create(
        organisation=organisation,
        code="new",
        name="New evaluation",
        duration_minutes=60,
        buffer_minutes=buffer,
        is_new_client=True,
    )
    for weekday in range(5):
        WeeklyHours.objects.create(
            organisation=organisation,
            prescriber=prescriber,
            weekday=weekday,
            starts=dt.time(9),
            ends=dt.time(12),
        )
    return new_eval


class Practice:
    def __init__(self, *, confirmation_rule: str = "coordinator", buffer: int = 0) -> None:
        self.org = OrganisationFactory(name="Harborlight Psychiatry")
        self.prescriber = make_staff(Role.PRESCRIBER, self.org)
        self.coordinator = make_staff(Role.COORDINATOR, self.org)
        self.new_eval = open_mornings(
            self.org, self.prescriber, confirmation_rule=confirmation_rule, buffer=buffer
        )
        self.follow_up = AppointmentType.objects.create(
            organisation=self.org, code="follow-up", name="Follow-up", duration_minutes=30
        )
        self.client_user = UserFactory()
        self.client = ClientFactory(user=self.client_user)


def at(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=BOSTON)
