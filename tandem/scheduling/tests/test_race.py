"""Racers on PostgreSQL: one slot, one winner; every loser a clean 409; replays see the real state."""

import threading
import unittest.mock
from collections import Counter
from functools import partial

import pytest
from django.db import connection

from tandem.core.tests.factories import UserFactory
from tandem.scheduling import actions
from tandem.scheduling.actions import SlotUnavailableError
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.race import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_simultaneous_holds_of_one_slot_have_exactly_one_winner():
    p = Practice()
    racers = [UserFactory() for _ in range(50)]

    outcomes = all_at_once(
        *[
            partial(
                actions.hold_slot,
                actor=user,
                organisation=p.org,
                prescriber=p.prescriber,
                appointment_type=p.new_eval,
                starts_at=at(2027, 4, 14, 10),
                now=at(2027, 4, 12, 10),
            )
            for user in racers
        ]
    )

    labels = [outcome.label(SlotUnavailableError) for outcome in outcomes]
    assert sorted(set(labels)) == ["refused", "won"], labels
    assert labels.count("won") == 1
    assert Appointment.objects.filter(status=AppointmentStatus.HELD).count() == 1


def test_the_database_itself_refuses_overlapping_active_appointments():
    from django.db import IntegrityError, transaction

    p = Practice()
    first = actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=at(2027, 4, 14, 10),
        now=at(2027, 4, 12, 10),
    )
    # Bypass the claims entirely: the exclusion constraint still says no.
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            organisation=p.org,
            prescriber=p.prescriber,
            appointment_type=p.follow_up,
            starts_at=at(2027, 4, 14, 10, 30),
            ends_at=at(2027, 4, 14, 11),
            blocked_until=at(2027, 4, 14, 11),
            status=AppointmentStatus.CONFIRMED,
        )
    assert Appointment.objects.count() == 1
    assert first.status == AppointmentStatus.HELD


TAKEN = "Someone else took that time a moment ago. Here are the next open slots."


def test_clients_racing_through_the_booking_page_get_one_hold_and_the_same_clean_409():
    # Given eight clients, each signed in on their own connection, choosing the same time
    import time_machine
    from django.urls import reverse

    from tandem.core.tests.factories import ClientFactory
    from tandem.tests.support.http import Client as Browser

    with time_machine.travel(at(2027, 4, 12, 10), tick=False):
        p = Practice()
        browsers = []
        for _ in range(8):
            person = UserFactory()
            ClientFactory(user=person)
            browser = Browser(raise_request_exception=False)
            browser.force_login(person)
            browsers.append(browser)
        url = reverse("scheduling:book", args=[p.org.public_id])
        form = {
            "prescriber": str(p.prescriber.public_id),
            "starts_at": at(2027, 4, 14, 10).isoformat(),
        }

        def choose(browser):
            response = browser.post(url, form)
            body = response.content.decode()
            return (
                response.status_code,
                "taken" if TAKEN in body else response.get("Location", "other"),
            )

        outcomes = [
            outcome.value if outcome.error is None else (0, repr(outcome.error))
            for outcome in all_at_once(*[partial(choose, b) for b in browsers])
        ]

    # Then exactly one is sent on to pay, and every other one is told the time was just taken
    (held,) = Appointment.objects.filter(status=AppointmentStatus.HELD)
    assert Counter(outcomes) == Counter(
        [(302, reverse("scheduling:pay", args=[held.public_id]))] + [(409, "taken")] * 7
    ), outcomes


def test_a_booker_who_loses_a_real_deadlock_is_told_the_time_was_taken_not_a_500():
    # Given one booker holding a first time inside a longer transaction (so it keeps the audit
    # chain's head locked), then going for a second time that another booker is holding at
    # that very moment: each waits for the other, and PostgreSQL aborts one of them.
    from django.db import transaction

    from tandem.audit import actions as audit_actions

    p = Practice()
    first, second = at(2027, 4, 14, 9), at(2027, 4, 14, 11)
    now = at(2027, 4, 12, 10)
    long_booker, other = UserFactory(), UserFactory()
    other_inserted = threading.Event()
    real_record = audit_actions.record

    def record(**kwargs):
        # The other booker's rows are in; it now asks for the audit head the long booker holds.
        if threading.current_thread().name == "other":
            other_inserted.set()
        return real_record(**kwargs)

    outcomes: dict[str, str] = {}

    def hold(user, starts_at):
        return actions.hold_slot(
            actor=user,
            organisation=p.org,
            prescriber=p.prescriber,
            appointment_type=p.new_eval,
            starts_at=starts_at,
            now=now,
        )

    def long_booking():
        try:
            with transaction.atomic():
                hold(long_booker, first)
                started.set()
                other_inserted.wait(10)
                try:
                    hold(long_booker, second)
                    outcomes["long second"] = "won"
                except SlotUnavailableError as refused:
                    outcomes["long second"] = str(refused)
        except Exception as error:
            outcomes["long second"] = f"error: {error!r}"
        finally:
            connection.close()

    def other_booking():
        try:
            started.wait(10)
            hold(other, second)
            outcomes["other"] = "won"
        except SlotUnavailableError as refused:
            outcomes["other"] = str(refused)
        except Exception as error:
            outcomes["other"] = f"error: {error!r}"
        finally:
            connection.close()

    started = threading.Event()
    with unittest.mock.patch.object(actions, "record", record):
        threads = [
            threading.Thread(target=long_booking, name="long"),
            threading.Thread(target=other_booking, name="other"),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    # Then one of them has the second time and the other is told it was just taken
    assert sorted(outcomes.values()) == sorted(["won", TAKEN]), outcomes
    assert Appointment.objects.filter(starts_at=second).count() == 1
    assert Appointment.objects.filter(starts_at=first, booked_by=long_booker).count() == 1


def test_a_double_clicked_save_payment_shows_both_clicks_the_booking_as_it_stands():
    # Given a client with a held slot who clicks "Save payment information" twice at once
    import time_machine
    from django.urls import reverse

    from tandem.tests.support.http import Client as Browser

    with time_machine.travel(at(2027, 4, 12, 10), tick=False):
        p = Practice()
        held = actions.hold_slot(
            actor=p.client_user,
            organisation=p.org,
            prescriber=p.prescriber,
            appointment_type=p.new_eval,
            starts_at=at(2027, 4, 14, 10),
            client=p.client,
        )
        clicks = []
        for _ in range(2):
            browser = Browser(raise_request_exception=False)
            browser.force_login(p.client_user)
            clicks.append(browser)

        def click(browser):
            response = browser.post(
                reverse("scheduling:pay", args=[held.public_id]), {"agree": "on"}
            )
            return (response.status_code, response.get("Location", ""))

        answers = [
            outcome.value if outcome.error is None else (0, repr(outcome.error))
            for outcome in all_at_once(*[partial(click, b) for b in clicks])
        ]

    # Then both land on the appointment, waiting for confirmation; neither hears "ran out"
    page = reverse("scheduling:appointment", args=[held.public_id])
    assert answers == [(302, page), (302, page)]
    held.refresh_from_db()
    assert held.status == AppointmentStatus.PENDING
