"""The calendar as a grid: half-hour rows, a column per day, lanes for overlaps, time off drawn.

On a phone the same markup reads as a list per day (the stylesheet drops the grid's places).
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, make_staff
from tandem.scheduling.models import Appointment, AppointmentStatus, TimeOff
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 8)  # a Monday morning in Boston


def _book(p, who, start, minutes=30, last_name="Visit"):
    return Appointment.objects.create(
        organisation=p.org, prescriber=who, client=ClientFactory(last_name=last_name),
        appointment_type=p.follow_up, starts_at=start, ends_at=start + dt.timedelta(minutes=minutes),
        blocked_until=start + dt.timedelta(minutes=minutes), status=AppointmentStatus.CONFIRMED,
    )  # fmt: skip


def _item(body: str, marker: str) -> str:
    match = re.search(r'<li class="([^"]*)"[^>]*' + re.escape(marker), body)
    assert match, marker
    return match.group(1)


@time_machine.travel(NOW, tick=False)
def test_the_practice_week_puts_overlapping_visits_side_by_side_and_draws_time_off():
    # Given two prescribers seeing clients at 10:00 on Tuesday, one of them away on Wednesday
    p = Practice()
    other = make_staff(Role.PRESCRIBER, p.org, full_name="Dr Other")
    first = _book(p, p.prescriber, at(2027, 4, 13, 10), last_name="Ashgrove")
    second = _book(p, other, at(2027, 4, 13, 10), minutes=60, last_name="Birchwood")
    TimeOff.objects.create(
        prescriber=other, starts_at=at(2027, 4, 14, 12), ends_at=at(2027, 4, 14, 14)
    )
    http = HttpClient()
    http.force_login(p.coordinator)

    # When the coordinator opens the practice's week
    body = http.get(
        reverse("scheduling:calendar", args=[p.org.public_id]) + "?date=2027-04-13"
    ).content.decode()

    # Then the visits share their row in two lanes, the hour-long one spans two rows
    # (7:00 is row 1, so 10:00 is row 7), and the time off covers 12:00 to 14:00 on Wednesday
    assert _item(body, f'data-appointment="{first.public_id}"').split()[2:5] == [
        "cal-r7", "cal-s1", "cal-l1",
    ]  # fmt: skip
    assert _item(body, f'data-appointment="{second.public_id}"').split()[2:5] == [
        "cal-r7", "cal-s2", "cal-l2",
    ]  # fmt: skip
    assert 'cal-day cal-c3 cal-rows-24 cal-lanes-2"' in body  # Tuesday, the third column
    assert re.search(r'cal-time_off cal-r11 cal-s4" data-grid="time_off">Time off · Dr Other', body)
    assert body.count("Nothing booked.") == 6


@time_machine.travel(NOW, tick=False)
def test_a_prescribers_day_shades_their_working_hours_and_the_nav_opens_their_own_calendar():
    # Given the prescriber's Monday mornings (open_mornings) and one visit today
    p = Practice()
    visit = _book(p, p.prescriber, at(2027, 4, 12, 9, 30), last_name="Cedarfield")
    http = HttpClient()
    http.force_login(p.prescriber)

    # When they follow Calendar in the navigation, then ask for the day
    opened = http.get(reverse("scheduling:my_calendar"))
    day = http.get(opened["Location"] + "&view=day").content.decode()

    # Then they land on their own week of their practice, and the day shows their hours
    assert opened["Location"] == (
        reverse("scheduling:calendar", args=[p.org.public_id])
        + f"?prescriber={p.prescriber.public_id}"
    )
    assert 'href="/scheduling/calendar/"' in day
    assert 'data-grid="hours">Working hours' in day
    assert f'data-appointment="{visit.public_id}"' in day
    assert "cal-today" in day


def test_the_calendar_link_is_refused_to_a_therapist_who_has_no_practice_calendar():
    therapist = make_staff(Role.THERAPIST)
    http = HttpClient()
    http.force_login(therapist)

    assert http.get(reverse("scheduling:my_calendar")).status_code == 404
