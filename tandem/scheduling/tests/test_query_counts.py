"""The coordinator's pages cost a fixed number of queries, however much they list."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, add_to_care_team, make_staff
from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling.models import Appointment, AppointmentStatus, TimeOff
from tandem.scheduling.tests.factories import at
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
S = AppointmentStatus
#: Confirmed (each under a time off), pending, a live hold, completed: all on the calendar.
CYCLE = [S.CONFIRMED, S.PENDING, S.HELD, S.COMPLETED]

#: Whatever the number of appointments, holds and time off: session, user (with their
#: second factor and client record: tandem.accounts.backends; the MFA check and the
#: navigation's own-client lookup were two more queries, was 17), memberships; the
#: practice; its prescribers; the week's appointments (with client, prescriber and
#: type); the prescribers' time off; the time off drawn on the grid; the requests to
#: confirm; the audit row naming the clients shown (savepoint, chain head, insert, head
#: update, the clients indexed, release); no session write.
CALENDAR_QUERIES = 15 - fewer_on_postgresql(indexed=1)
#: One prescriber's calendar adds their weekly hours, shaded on the grid.
PRESCRIBER_CALENDAR_QUERIES = CALENDAR_QUERIES + 1


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("count", [4, 40])
def test_the_calendar_costs_the_same_queries_for_4_or_40_appointments(
    client, count, django_assert_num_queries
):
    # Given a week of appointments for two prescribers, each confirmed one under a time off
    p = practice_with_policy()
    prescribers = [p.prescriber, make_staff(Role.PRESCRIBER, p.org)]
    for i in range(count):
        start = at(2027, 4, 12 + i % 5, 9 + i // 5)  # Monday to Friday, from 9:00
        status = CYCLE[i % 4]
        who = prescribers[i % 2]
        Appointment.objects.create(
            organisation=p.org, prescriber=who, client=ClientFactory(last_name=f"Visit{i:02d}"),
            appointment_type=p.follow_up, starts_at=start, ends_at=start + dt.timedelta(minutes=30),
            blocked_until=start + dt.timedelta(minutes=30), status=status,
            hold_expires_at=NOW + dt.timedelta(minutes=15) if status == S.HELD else None,
            payment_reference="offline-agreed" if status == S.PENDING else "",
        )  # fmt: skip
        if status == S.CONFIRMED:
            TimeOff.objects.create(
                prescriber=who, starts_at=start, ends_at=start + dt.timedelta(minutes=30)
            )
    client.force_login(p.coordinator)
    url = reverse("scheduling:calendar", args=[p.org.public_id]) + "?date=2027-04-14&view=week"
    client.get(url)

    with django_assert_num_queries(CALENDAR_QUERIES):
        page = client.get(url)

    # Then every appointment is on the week, the clashes are flagged, the requests listed
    body = page.content.decode()
    week = body.split('<div id="calendar">')[1].split('id="off-title"')[0]
    assert sum(f" Visit{i:02d}</a>" in week for i in range(count)) == count
    assert week.count(' flagged" data-appointment=') == (count + 3) // 4
    assert week.count('data-grid="time_off"') == (count + 3) // 4
    assert f"Requests to confirm ({(count + 2) // 4})" in body

    # And one prescriber's week, with their hours shaded, costs the same for 4 or 40
    mine = f"{url}&prescriber={prescribers[0].public_id}"
    with django_assert_num_queries(PRESCRIBER_CALENDAR_QUERIES):
        theirs = client.get(mine).content.decode()
    assert theirs.count("data-appointment=") == (count + 1) // 2


#: Whatever the number of clients: session, user (with their second factor and client
#: record: tandem.accounts.backends; the MFA check and the navigation's own-client lookup
#: were two more queries, was 19), memberships; the practice; its first-visit type; the
#: clients the coordinator may see; the picker's audit row (savepoint, chain head, insert,
#: head update, release); the access target; the scheduling settings, prescribers, weekly
#: hours, time off and live appointments for the open times; no session write.
BOOK_FOR_CLIENT_QUERIES = 17 - fewer_on_postgresql()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("count", [2, 40])
def test_booking_on_behalf_costs_the_same_queries_for_2_or_40_clients(
    client, count, django_assert_num_queries
):
    # Given a coordinator with ``count`` clients on their care teams, and one not theirs
    p = practice_with_policy()
    for i in range(count):
        add_to_care_team(ClientFactory(last_name=f"Caller{i:02d}"), p.coordinator, Role.COORDINATOR)
    ClientFactory(last_name="Stranger")
    client.force_login(p.coordinator)
    url = reverse("scheduling:book_for_client", args=[p.org.public_id])
    client.get(url)

    with django_assert_num_queries(BOOK_FOR_CLIENT_QUERIES):
        page = client.get(url)

    # Then each offered time lets them pick any of their clients, and only theirs
    body = page.content.decode()
    pickers = body.count("<select ")
    assert pickers > 0
    assert body.count(">Caller") == count * pickers
    assert "Stranger" not in body
