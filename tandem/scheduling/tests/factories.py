"""A synthetic practice with one prescriber's weekly hours."""

import datetime as dt
import zoneinfo

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, OrganisationFactory, UserFactory, make_staff
from tandem.scheduling.models import AppointmentType, SchedulingSettings, WeeklyHours

BOSTON = zoneinfo.ZoneInfo("America/New_York")


class Practice:
    def __init__(self, *, confirmation_rule: str = "coordinator", buffer: int = 0) -> None:
        self.org = OrganisationFactory(name="Harborlight Psychiatry")
        self.prescriber = make_staff(Role.PRESCRIBER, self.org)
        self.coordinator = make_staff(Role.COORDINATOR, self.org)
        SchedulingSettings.objects.create(
            organisation=self.org, confirmation_rule=confirmation_rule, reminder_hours=[48, 2]
        )
        self.new_eval = AppointmentType.objects.create(
            organisation=self.org,
            code="new",
            name="New evaluation",
            duration_minutes=60,
            buffer_minutes=buffer,
            is_new_client=True,
        )
        self.follow_up = AppointmentType.objects.create(
            organisation=self.org, code="follow-up", name="Follow-up", duration_minutes=30
        )
        for weekday in range(5):  # Monday to Friday, 9:00-12:00
            WeeklyHours.objects.create(
                organisation=self.org,
                prescriber=self.prescriber,
                weekday=weekday,
                starts=dt.time(9),
                ends=dt.time(12),
            )
        self.client_user = UserFactory()
        self.client = ClientFactory(user=self.client_user)


def at(y, m, d, hh, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=BOSTON)
