"""Booking holds up under double clicks, replays and database refusals (issue 10, item 19)."""

import pytest
import time_machine
from django.core import mail
from django.db import OperationalError
from django.urls import reverse
from psycopg import errors as pg_errors

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import add_to_care_team
from tandem.intake.tests.factories import practice_with_policy
from tandem.notifications.models import Notification
from tandem.scheduling import actions
from tandem.scheduling.models import Appointment, AppointmentStatus, SlotClaim
from tandem.scheduling.payments import OfflineProvider
from tandem.scheduling.reminders import CONFIRMATION_SUBJECT
from tandem.scheduling.tests.factories import at

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday
TAKEN = "Someone else took that time a moment ago. Here are the next open slots."


def choose(client, p, start=SLOT):
    return client.post(
        reverse("scheduling:book", args=[p.org.public_id]),
        {"prescriber": str(p.prescriber.public_id), "starts_at": start.isoformat()},
    )


def _deadlock():
    """Return the error Django raises when PostgreSQL picks this transaction as a deadlock victim."""
    error = OperationalError("deadlock detected")
    error.__cause__ = pg_errors.DeadlockDetected("deadlock detected")
    return error


# --- A prescriber books on a client's behalf where a coordinator confirms ----------------------


@time_machine.travel(NOW, tick=False)
def test_a_prescribers_booking_on_behalf_waits_for_a_coordinator_who_is_told(
    client, django_capture_on_commit_callbacks
):
    # Given a practice where a coordinator confirms each new appointment, and its prescriber
    # booking a visit by phone for a client on their care team
    p = practice_with_policy()
    add_to_care_team(p.client, p.prescriber, Role.PRESCRIBER)
    client.force_login(p.prescriber)

    # When they book the time
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("scheduling:book_for_client", args=[p.org.public_id]),
            {
                "client": str(p.client.public_id),
                "prescriber": str(p.prescriber.public_id),
                "starts_at": SLOT.isoformat(),
            },
            follow=True,
        )

    # Then it is booked with payment agreed, waiting for a coordinator (not confirmed by the
    # prescriber, and no confirmation email yet), and the practice's coordinator is told
    booked = Appointment.objects.get()
    appointment_url = reverse("scheduling:appointment", args=[booked.public_id])
    assert response.redirect_chain == [(appointment_url, 302)]
    assert (booked.status, booked.payment_provider, booked.client) == (
        AppointmentStatus.PENDING,
        "offline",
        p.client,
    )
    assert booked.payment_reference.startswith("offline:")
    assert (
        "Booked. A coordinator of the practice confirms it: it is waiting in the calendar under "
        "Requests to confirm, and the coordinators have been told."
    ) in response.content.decode()
    assert list(Notification.objects.values_list("recipient", "link")) == [
        (p.coordinator.pk, appointment_url)
    ]
    assert CONFIRMATION_SUBJECT not in [m.subject for m in mail.outbox]


@time_machine.travel(NOW, tick=False)
def test_a_coordinators_booking_on_behalf_is_still_confirmed_at_once(client):
    p = practice_with_policy()
    add_to_care_team(p.client, p.coordinator, Role.COORDINATOR)
    client.force_login(p.coordinator)
    response = client.post(
        reverse("scheduling:book_for_client", args=[p.org.public_id]),
        {
            "client": str(p.client.public_id),
            "prescriber": str(p.prescriber.public_id),
            "starts_at": SLOT.isoformat(),
        },
        follow=True,
    )
    assert Appointment.objects.get().status == AppointmentStatus.CONFIRMED
    assert "Booked and confirmed." in response.content.decode()
    assert not Notification.objects.exists()


# --- One client submitting twice is not "someone else" -----------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_client_who_submits_the_same_slot_twice_gets_their_own_hold_back(client):
    # Given a client who chose a time and was sent on to payment
    p = practice_with_policy()
    client.force_login(p.client_user)
    first = choose(client, p)
    held = Appointment.objects.get()

    # When the same form is submitted again (a double click, the back button)
    second = choose(client, p)

    # Then they are sent to the same hold, and nothing else is held
    pay_url = reverse("scheduling:pay", args=[held.public_id])
    assert (first.status_code, first["Location"]) == (302, pay_url)
    assert (second.status_code, second["Location"]) == (302, pay_url)
    assert list(Appointment.objects.values_list("status", flat=True)) == [AppointmentStatus.HELD]
    assert SlotClaim.objects.count() == 4


@time_machine.travel(NOW, tick=False)
def test_a_client_who_resubmits_a_time_they_already_booked_is_sent_to_that_booking(client):
    p = practice_with_policy()
    client.force_login(p.client_user)
    choose(client, p)
    held = Appointment.objects.get()
    client.post(reverse("scheduling:pay", args=[held.public_id]), {"agree": "on"})

    response = choose(client, p, SLOT)

    assert response["Location"] == reverse("scheduling:pay", args=[held.public_id])
    after = client.get(response["Location"])
    assert after["Location"] == reverse("scheduling:appointment", args=[held.public_id])
    assert Appointment.objects.get().status == AppointmentStatus.PENDING


# --- A replayed "Save payment information" answers with the real state ----------------------


@time_machine.travel(NOW, tick=False)
def test_a_double_clicked_save_payment_shows_the_confirmed_appointment_not_a_lapsed_hold(
    client, monkeypatch
):
    # Given a client with a held slot at a practice that confirms automatically
    p = practice_with_policy()
    p.org.scheduling_settings.confirmation_rule = "automatic"
    p.org.scheduling_settings.save()
    client.force_login(p.client_user)
    choose(client, p)
    held = Appointment.objects.get()

    # When they double-click "Save payment information": the first click's request saves the
    # payment just after the second one found the slot still held
    real = actions.put_payment_on_file

    def first_click_lands_first(**kwargs):
        real(**kwargs)
        return real(**kwargs)

    monkeypatch.setattr(actions, "put_payment_on_file", first_click_lands_first)
    response = client.post(
        reverse("scheduling:pay", args=[held.public_id]), {"agree": "on"}, follow=True
    )

    # Then the second answer is the appointment as it now stands: confirmed, payment on file
    body = response.content.decode()
    assert response.redirect_chain == [
        (reverse("scheduling:appointment", args=[held.public_id]), 302)
    ]
    assert '<h2 id="commit-title">Confirmed</h2>' in body
    assert "Payment information: on file" in body
    assert "hold ran out" not in body
    payment_rows = AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_id=str(held.public_id)
    )
    assert list(payment_rows.values_list("detail", flat=True)) == [
        {"status": AppointmentStatus.CONFIRMED, "payment": "offline"}
    ]


@time_machine.travel(NOW, tick=False)
def test_saving_payment_again_for_a_confirmed_appointment_changes_nothing():
    p = practice_with_policy()
    held = actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=SLOT,
        client=p.client,
    )
    first = actions.put_payment_on_file(
        actor=p.client_user, appointment=held, provider=OfflineProvider(), token="agree"
    )
    confirmed = actions.confirm(actor=p.coordinator, appointment=first)

    again = actions.put_payment_on_file(
        actor=p.client_user, appointment=held, provider=OfflineProvider(), token="agree"
    )

    assert (again.status, again.version, again.confirmed_at) == (
        AppointmentStatus.CONFIRMED,
        confirmed.version,
        confirmed.confirmed_at,
    )


# --- Database refusals all read as "just taken" -------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_time_outside_the_hours_is_still_called_not_open(client):
    p = practice_with_policy()
    client.force_login(p.client_user)
    response = choose(client, p, at(2027, 4, 14, 15))
    assert response.status_code == 409
    assert "That time is not open" in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_deadlock_while_holding_is_retried_once_and_the_client_gets_the_slot(client, monkeypatch):
    # Given the database picks the first attempt as a deadlock victim
    p = practice_with_policy()
    real = actions._expire_overlapping_holds
    calls = []

    def deadlocks_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise _deadlock()
        return real(*args)

    monkeypatch.setattr(actions, "_expire_overlapping_holds", deadlocks_once)
    client.force_login(p.client_user)

    # When the client chooses the time, then the hold is retried and theirs
    response = choose(client, p)
    held = Appointment.objects.get()
    assert response["Location"] == reverse("scheduling:pay", args=[held.public_id])
    assert (held.client, held.status, len(calls)) == (p.client, AppointmentStatus.HELD, 2)


@time_machine.travel(NOW, tick=False)
def test_a_deadlock_twice_is_a_clean_409_that_the_time_was_just_taken(client, monkeypatch):
    p = practice_with_policy()

    def always_deadlocks(*args):
        raise _deadlock()

    monkeypatch.setattr(actions, "_expire_overlapping_holds", always_deadlocks)
    client.force_login(p.client_user)

    response = choose(client, p)

    assert response.status_code == 409
    assert TAKEN in response.content.decode()
    assert not Appointment.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_another_operational_error_is_not_passed_off_as_a_taken_slot(monkeypatch):
    p = practice_with_policy()

    def disk_full(*args):
        raise OperationalError("could not extend file")

    monkeypatch.setattr(actions, "_expire_overlapping_holds", disk_full)
    with pytest.raises(OperationalError, match="could not extend file"):
        actions.hold_slot(
            actor=p.client_user,
            organisation=p.org,
            prescriber=p.prescriber,
            appointment_type=p.new_eval,
            starts_at=SLOT,
            client=p.client,
        )


@time_machine.travel(NOW, tick=False)
def test_saving_payment_for_a_hold_the_practice_just_declined_says_so_not_that_it_ran_out(
    client, monkeypatch
):
    # Given a client on the payment page of a hold the coordinator declines as they submit
    p = practice_with_policy()
    client.force_login(p.client_user)
    choose(client, p)
    held = Appointment.objects.get()
    real = actions.put_payment_on_file

    def declined_first(**kwargs):
        actions.cancel(actor=p.coordinator, appointment=held)
        return real(**kwargs)

    monkeypatch.setattr(actions, "put_payment_on_file", declined_first)

    # When they save their payment information
    response = client.post(
        reverse("scheduling:pay", args=[held.public_id]), {"agree": "on"}, follow=True
    )

    # Then they see the appointment as it stands, cancelled, and why nothing was saved
    body = response.content.decode()
    assert response.redirect_chain == [
        (reverse("scheduling:appointment", args=[held.public_id]), 302)
    ]
    assert "This appointment is no longer held for you." in body
    assert "hold ran out" not in body
    held.refresh_from_db()
    assert (held.status, held.payment_reference) == (AppointmentStatus.CANCELLED, "")
