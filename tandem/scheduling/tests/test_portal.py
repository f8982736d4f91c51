"""Booking pages over HTTP: slots, hold, payment, "not committed", confirmation, portal changes."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import add_to_care_team, make_staff
from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling import actions
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    LocationAttestation,
    TimeOff,
    WeeklyHours,
)
from tandem.scheduling.payments import PaymentError
from tandem.scheduling.reminders import CONFIRMATION_SUBJECT
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday


def choose(client, p, start=SLOT):
    return client.post(
        reverse("scheduling:book", args=[p.org.public_id]),
        {"prescriber": str(p.prescriber.public_id), "starts_at": start.isoformat()},
    )


@time_machine.travel(NOW, tick=False)
def test_slots_are_grouped_by_day_in_the_practice_zone_within_the_access_target(client):
    p = practice_with_policy(access_target_weeks=1)
    client.force_login(p.client_user)
    page = client.get(reverse("scheduling:book", args=[p.org.public_id])).content.decode()
    assert "Tuesday, April 13" in page
    assert "Tuesday, April 20" not in page
    assert "10:00 AM" in page
    assert "America/New_York" in page
    assert "Open times in the next 1 weeks" in page


@time_machine.travel(NOW, tick=False)
def test_the_slot_page_runs_the_same_number_of_queries_for_one_or_three_prescribers(client):
    p = practice_with_policy(access_target_weeks=12)
    client.force_login(p.client_user)
    url = reverse("scheduling:book", args=[p.org.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    Practice()  # another practice's rows must not count either
    for _ in range(2):
        extra = make_staff(Role.PRESCRIBER, p.org)
        for weekday in range(5):
            WeeklyHours.objects.create(
                organisation=p.org,
                prescriber=extra,
                weekday=weekday,
                starts=dt.time(13),
                ends=dt.time(17),
            )
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    # 13 before the user was loaded with their client record (tandem.accounts.backends)
    assert len(three) == len(one) == 12


def test_the_hold_countdown_starts_from_the_seconds_the_server_has_left(client):
    # Given a client who chose a slot (held for 15 minutes) and came back to pay 4 minutes later
    with time_machine.travel(NOW, tick=False):
        p = practice_with_policy()
        client.force_login(p.client_user)
        choose(client, p)
    appointment = Appointment.objects.get()
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        page = client.get(reverse("scheduling:pay", args=[appointment.public_id])).content.decode()

    # Then the page tells the countdown how long is left by the server's clock, not the
    # device's: 11 minutes
    assert 'data-hold-seconds="660"' in page
    assert 'src="/static/scheduling/countdown.js"' in page


@time_machine.travel(NOW, tick=False)
def test_hold_then_offline_payment_leaves_the_client_not_committed_until_the_coordinator_confirms(
    client, django_capture_on_commit_callbacks
):
    p = practice_with_policy()
    client.force_login(p.client_user)
    response = choose(client, p)
    appointment = Appointment.objects.get()
    assert response["Location"] == reverse("scheduling:pay", args=[appointment.public_id])
    pay_page = client.get(response["Location"]).content.decode()
    assert "held for you until" in pay_page
    assert "10:15 AM" in pay_page
    assert "Not committed yet" in pay_page

    response = client.post(reverse("scheduling:pay", args=[appointment.public_id]), {})
    assert response.status_code == 400
    assert "Tick the box to confirm that you will pay" in response.content.decode()

    client.post(reverse("scheduling:pay", args=[appointment.public_id]), {"agree": "on"})
    status = client.get(reverse("scheduling:appointment", args=[appointment.public_id]))
    body = status.content.decode()
    assert "Not committed yet" in body
    assert "Payment information: on file" in body
    assert "Confirmed by the practice: not yet" in body

    client.force_login(p.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("scheduling:confirm", args=[appointment.public_id]))
    run_worker()
    client.force_login(p.client_user)
    body = client.get(
        reverse("scheduling:appointment", args=[appointment.public_id])
    ).content.decode()
    assert "Not committed yet" not in body
    assert '<h2 id="commit-title">Confirmed</h2>' in body

    [email] = mail.outbox
    assert email.subject == CONFIRMATION_SUBJECT
    [(name, ics, kind)] = email.attachments
    assert (name, kind) == ("appointment.ics", "text/calendar")
    assert "SUMMARY:Appointment\r\n" in ics
    assert "DTSTART:20270414T140000Z" in ics
    for phi in (p.org.name, "Psychiatry", "evaluation", p.client.first_name, p.client.last_name):
        assert phi not in email.subject + email.body + ics


@time_machine.travel(NOW, tick=False)
def test_a_taken_slot_is_refused_with_the_next_slots_and_nothing_held(client):
    p = practice_with_policy()
    actions.hold_slot(
        actor=p.coordinator,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=SLOT,
    )
    client.force_login(p.client_user)
    response = choose(client, p)
    assert response.status_code == 409
    assert (
        "Someone else took that time a moment ago. Here are the next open slots."
        in response.content.decode()
    )
    assert "10:30 AM" in response.content.decode()
    assert Appointment.objects.filter(client=p.client).count() == 0


def test_a_hold_that_lapsed_while_typing_sends_back_to_the_slots_with_a_clear_message(client):
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        client.force_login(p.client_user)
        choose(client, p)
    appointment = Appointment.objects.get()
    with time_machine.travel(NOW + dt.timedelta(minutes=16), tick=False):
        client.force_login(p.client_user)
        response = client.post(
            reverse("scheduling:pay", args=[appointment.public_id]), {"agree": "on"}, follow=True
        )
    body = response.content.decode()
    assert "Your hold ran out before your payment details were saved" in body
    assert "answers are kept" in body
    assert "10:00 AM" in body


@time_machine.travel(NOW, tick=False)
def test_a_payment_provider_error_keeps_the_hold(client, monkeypatch):
    p = practice_with_policy()
    client.force_login(p.client_user)
    choose(client, p)
    appointment = Appointment.objects.get()

    def broken(self, **kwargs):
        raise PaymentError(
            "The payment service is not answering. Your slot is still held; try again."
        )

    monkeypatch.setattr("tandem.scheduling.payments.OfflineProvider.finish_setup", broken)
    response = client.post(reverse("scheduling:pay", args=[appointment.public_id]), {"agree": "on"})
    assert response.status_code == 400
    assert "Your slot is still held" in response.content.decode()
    assert Appointment.objects.get().status == AppointmentStatus.HELD


def _confirmed(p, start=SLOT):
    appointment = actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=start,
        client=p.client,
    )
    appointment = actions.put_payment_on_file(
        actor=p.client_user,
        appointment=appointment,
        provider=__import__("tandem.scheduling.payments", fromlist=["x"]).OfflineProvider(),
        token="agree",
    )
    return actions.confirm(actor=p.coordinator, appointment=appointment)


@time_machine.travel(NOW, tick=False)
def test_the_client_reschedules_within_policy_and_the_old_time_frees_up(client):
    p = practice_with_policy()
    appointment = _confirmed(p)
    client.force_login(p.client_user)
    later = at(2027, 4, 15, 11)
    response = client.post(
        reverse("scheduling:reschedule", args=[appointment.public_id]),
        {"prescriber": str(p.prescriber.public_id), "starts_at": later.isoformat()},
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.status) == (later, AppointmentStatus.CONFIRMED)
    assert (
        actions.hold_slot(
            actor=p.coordinator,
            organisation=p.org,
            prescriber=p.prescriber,
            appointment_type=p.new_eval,
            starts_at=SLOT,
        ).status
        == AppointmentStatus.HELD
    )


def test_check_in_records_the_state_and_time_and_refuses_another_state(client):
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        appointment = _confirmed(p)
    url = reverse("scheduling:check_in", args=[appointment.public_id])
    with time_machine.travel(SLOT - dt.timedelta(minutes=10), tick=False):
        client.force_login(p.client_user)
        details = {
            "street": "12 Elm Street", "city": "Springfield", "callback_phone": "413-555-0142",
            "emergency_name": "Robin Ash", "emergency_relationship": "Sister",
            "emergency_phone": "413-555-0199",
        }  # fmt: skip
        response = client.post(url, {**details, "state": "NH"}, follow=True)
        assert "can only see you while you are in MA" in response.content.decode()
        client.post(url, {**details, "state": "MA"})
    [attested] = LocationAttestation.objects.all()
    assert (attested.state, attested.attested_at) == ("MA", SLOT - dt.timedelta(minutes=10))


@time_machine.travel(NOW, tick=False)
def test_time_off_over_a_booked_appointment_is_flagged_not_deleted(client):
    p = practice_with_policy()
    appointment = _confirmed(p)
    client.force_login(p.coordinator)
    url = reverse("scheduling:calendar", args=[p.org.public_id]) + "?date=2027-04-14&view=day"
    response = client.post(
        url,
        {
            "prescriber": str(p.prescriber.public_id),
            "starts_at": "2027-04-14T08:00",
            "ends_at": "2027-04-14T13:00",
            "reason": "Conference",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "It overlaps 1 booked appointment(s)" in body
    assert "Overlaps time off — move it" in body
    assert TimeOff.objects.count() == 1
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CONFIRMED


@time_machine.travel(NOW, tick=False)
def test_reading_the_calendar_is_audited_with_the_clients_it_names(client):
    from tandem.audit.models import AuditEvent

    p = practice_with_policy()
    appointment = _confirmed(p)
    client.force_login(p.coordinator)
    url = reverse("scheduling:calendar", args=[p.org.public_id])

    page = client.get(url + "?date=2027-04-14&view=week").content.decode()
    client.get(url + "?date=2027-05-10&view=week")  # a week with nobody in it

    assert appointment.client.last_name in page
    (event,) = AuditEvent.objects.filter(action="view", detail__list="calendar")
    assert (event.actor_id, event.organisation_id) == (p.coordinator.pk, str(p.org.public_id))
    assert event.detail == {
        "list": "calendar",
        "from": "2027-04-12",
        "until": "2027-04-18",
        "clients": [str(appointment.client.public_id)],
    }


@time_machine.travel(NOW, tick=False)
def test_the_calendars_time_off_form_refuses_a_time_the_clocks_skip(client):
    p = practice_with_policy()
    client.force_login(p.coordinator)
    url = reverse("scheduling:calendar", args=[p.org.public_id]) + "?date=2027-03-14&view=day"

    response = client.post(
        url,
        {
            "prescriber": str(p.prescriber.public_id),
            "starts_at": "2027-03-14T02:15",
            "ends_at": "2027-03-14T12:00",
            "reason": "",
        },
    )

    assert response.status_code == 400
    assert (
        "From: 2:15 AM on Mar 14, 2027 does not exist — the clocks go forward that night."
        in response.content.decode()
    )
    assert not TimeOff.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_calendar_moves_between_days_with_htmx_and_shows_holds(client):
    p = practice_with_policy()
    actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=SLOT,
        client=p.client,
    )
    client.force_login(p.coordinator)
    url = reverse("scheduling:calendar", args=[p.org.public_id])
    response = client.get(url + "?date=2027-04-14&view=day", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="calendar">')
    assert "Held for you" in body
    assert "until 10:15 AM" in body
    assert 'hx-get="?date=2027-04-15&view=day"' in body
    client.force_login(Practice().coordinator)
    assert client.get(url).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_calendar_date_at_the_ends_of_time_shows_today_instead_of_failing(client):
    # Given a coordinator, when the address asks for a day whose neighbours cannot exist,
    p = practice_with_policy()
    client.force_login(p.coordinator)
    url = reverse("scheduling:calendar", args=[p.org.public_id])
    for far in ("0001-01-01", "9999-12-31"):
        response = client.get(url + f"?date={far}&view=week")
        # then the calendar of the current week is shown, not a server error.
        assert response.status_code == 200
        assert 'hx-get="?date=2027-04-19&view=week"' in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_refused_booking_on_behalf_keeps_the_chosen_client(client):
    # Given a coordinator booking by phone for their client,
    p = practice_with_policy()
    add_to_care_team(p.client, p.coordinator, Role.COORDINATOR)
    client.force_login(p.coordinator)
    url = reverse("scheduling:book_for_client", args=[p.org.public_id])
    # when the time they pick is not one of the offered ones,
    response = client.post(
        url,
        {
            "client": str(p.client.public_id),
            "prescriber": str(p.coordinator.public_id),
            "starts_at": SLOT.isoformat(),
        },
    )
    # then they are told so, nothing is booked, and the client stays chosen in every list.
    body = response.content.decode()
    assert response.status_code == 409
    assert "Choose one of the offered times." in body
    assert Appointment.objects.count() == 0
    selected = f'<option value="{p.client.public_id}" selected>'
    assert body.count(selected) == body.count("<select ") > 0


@time_machine.travel(NOW, tick=False)
def test_opening_the_booking_picker_is_recorded_as_a_read_of_client_names(client):
    from tandem.audit.models import AuditAction, AuditEvent

    # Given a coordinator with one client on their care team,
    p = practice_with_policy()
    add_to_care_team(p.client, p.coordinator, Role.COORDINATOR)
    client.force_login(p.coordinator)
    # when they open the page that lists their clients' names,
    client.get(reverse("scheduling:book_for_client", args=[p.org.public_id]))
    # then the read is in the audit trail, with the count and no names.
    row = AuditEvent.objects.get(action=AuditAction.VIEW, actor_id=p.coordinator.pk)
    assert row.detail == {"list": "book_for_client", "total": 1}
    assert row.organisation_id == str(p.org.public_id)
