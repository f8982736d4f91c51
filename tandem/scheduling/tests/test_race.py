"""Fifty clients race for one slot on PostgreSQL: exactly one wins."""

import threading

import pytest
from django.db import connection

from tandem.core.tests.factories import UserFactory
from tandem.scheduling import actions
from tandem.scheduling.actions import SlotUnavailableError
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import Practice, at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_simultaneous_holds_of_one_slot_have_exactly_one_winner():
    p = Practice()
    racers = [UserFactory() for _ in range(50)]
    start = threading.Barrier(len(racers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(user):
        try:
            start.wait(10)
            actions.hold_slot(
                actor=user,
                organisation=p.org,
                prescriber=p.prescriber,
                appointment_type=p.new_eval,
                starts_at=at(2027, 4, 14, 10),
                now=at(2027, 4, 12, 10),
            )
            result = "won"
        except SlotUnavailableError:
            result = "refused"
        except Exception as error:  # anything else is a failure the assertion shows
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(set(outcomes)) == ["refused", "won"], outcomes
    assert outcomes.count("won") == 1
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
    from django.test import Client as Browser
    from django.urls import reverse

    from tandem.core.tests.factories import ClientFactory

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
        start = threading.Barrier(len(browsers))
        outcomes: list[tuple[int, str]] = []
        lock = threading.Lock()

        def race(browser):
            try:
                start.wait(10)
                response = browser.post(url, form)
                body = response.content.decode()
                result = (
                    response.status_code,
                    "taken" if TAKEN in body else response.get("Location", "other"),
                )
            except Exception as error:  # anything else is a failure the assertion shows
                result = (0, repr(error))
            finally:
                connection.close()
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=race, args=(b,)) for b in browsers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    # Then exactly one is sent on to pay, and every other one is told the time was just taken
    (held,) = Appointment.objects.filter(status=AppointmentStatus.HELD)
    assert sorted(outcomes) == sorted(
        [(302, reverse("scheduling:pay", args=[held.public_id]))] + [(409, "taken")] * 7
    ), outcomes
