"""The waitlist (join, take an offer) and the visit outcome over HTTP: who may, what they see."""

import datetime as dt
import html as htmllib
import re

import pytest
import time_machine
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, make_staff
from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling import actions, waitlist
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from tandem.scheduling.payments import AGREED, OfflineProvider
from tandem.scheduling.tests.factories import at

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
EARLY = at(2027, 4, 14, 10)  # Wednesday
LATE = at(2027, 4, 16, 10)  # Friday


def text(response) -> str:
    """Return the page's visible text with tags removed and whitespace folded."""
    body = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def _booked(p, start, *, user=None, client=None, confirm=True):
    user = user or p.client_user
    held = actions.hold_slot(
        actor=user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=start,
        client=client or p.client,
    )
    pending = actions.put_payment_on_file(
        actor=user, appointment=held, provider=OfflineProvider(), token=AGREED
    )
    return actions.confirm(actor=p.coordinator, appointment=pending) if confirm else pending


def _post(client, user, name, appointment, data=None, follow=False):
    client.force_login(user)
    return client.post(
        reverse(f"scheduling:{name}", args=[appointment.public_id]), data or {}, follow=follow
    )


def _outsiders(p):
    """Return another client of the practice, and a coordinator of another practice."""
    stranger = UserFactory()
    ClientFactory(user=stranger)
    return stranger, make_staff(Role.COORDINATOR)


# --- Join the waitlist -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_client_joins_the_waitlist_once_and_is_told_so(client):
    # Given a client with a confirmed appointment
    p = practice_with_policy()
    mine = _booked(p, LATE)

    # When they ask for an earlier time, twice (a double click)
    first = _post(client, p.client_user, "waitlist", mine, follow=True)
    _post(client, p.client_user, "waitlist", mine)

    # Then they are on the waitlist once, and their page says so
    assert first.redirect_chain == [(reverse("scheduling:appointment", args=[mine.public_id]), 302)]
    page = text(first)
    assert (
        "You are on the waitlist. If an earlier time frees up, we hold it for you and let you know."
        in page
    )
    assert "You are on the waitlist for an earlier time." in page
    assert list(WaitlistEntry.objects.values_list("current", "status")) == [
        (mine.pk, WaitlistStatus.WAITING)
    ]


@time_machine.travel(NOW, tick=False)
def test_an_appointment_only_held_cannot_join_the_waitlist_and_the_client_is_told_why(client):
    # Given a client whose chosen time is only held (no payment information yet)
    p = practice_with_policy()
    held = actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=LATE,
        client=p.client,
    )

    # When they ask for an earlier time
    response = _post(client, p.client_user, "waitlist", held, follow=True)

    # Then they are told it must be booked first, and nothing is created
    assert "Only a booked appointment can be moved earlier." in text(response)
    assert not WaitlistEntry.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_nobody_but_the_client_can_put_the_appointment_on_the_waitlist(client):
    # Given a client's confirmed appointment
    p = practice_with_policy()
    mine = _booked(p, LATE)
    stranger, other_coordinator = _outsiders(p)

    # When another client, another practice's coordinator, or this practice's coordinator try
    for user in (stranger, other_coordinator, p.coordinator):
        response = _post(client, user, "waitlist", mine)

        # Then each gets "not found" and nothing changes
        assert response.status_code == 404
    assert not WaitlistEntry.objects.exists()


# --- Take an offered earlier time --------------------------------------------------------------


def _offered(p):
    """Return (the client's later appointment, the earlier one held for them from the waitlist)."""
    other_user = UserFactory()
    taken = _booked(p, EARLY, user=other_user, client=ClientFactory(user=other_user))
    mine = _booked(p, LATE)
    waitlist.join(actor=p.client_user, appointment=mine)
    actions.cancel(actor=p.coordinator, appointment=taken)
    entry = waitlist.offer(
        organisation_id=p.org.pk,
        prescriber_id=p.prescriber.pk,
        appointment_type_id=p.new_eval.pk,
        starts_at=EARLY,
    )
    assert entry is not None
    assert entry.offered is not None
    return mine, entry.offered


def test_the_client_takes_the_earlier_time_and_the_later_one_is_released(client):
    # Given an earlier time held for the client from the waitlist
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        mine, offer = _offered(p)

    # When they take it five minutes later
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        response = _post(client, p.client_user, "take_offer", offer, follow=True)

    # Then they land on the earlier appointment, confirmed, and the later one is cancelled
    assert response.redirect_chain == [
        (reverse("scheduling:appointment", args=[offer.public_id]), 302)
    ]
    assert "You have the earlier time; your later appointment is released." in text(response)
    assert Appointment.objects.get(pk=offer.pk).status == AppointmentStatus.CONFIRMED
    assert Appointment.objects.get(pk=mine.pk).status == AppointmentStatus.CANCELLED
    assert WaitlistEntry.objects.get().status == WaitlistStatus.BOOKED


def test_an_offer_that_lapsed_is_refused_and_the_client_keeps_their_appointment(client):
    # Given an earlier time held for the client for the waitlist hold (10 minutes)
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        mine, offer = _offered(p)

    # When they try to take it 11 minutes later, and on an appointment with no offer
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        lapsed = _post(client, p.client_user, "take_offer", offer, follow=True)
        no_offer = _post(client, p.client_user, "take_offer", mine, follow=True)

    # Then they are told plainly, and keep their later appointment
    assert "The earlier time is no longer held for you. You keep your current appointment." in text(
        lapsed
    )
    assert "No earlier time is held for you on this appointment." in text(no_offer)
    assert Appointment.objects.get(pk=mine.pk).status == AppointmentStatus.CONFIRMED
    assert WaitlistEntry.objects.get().status == WaitlistStatus.OFFERED


def test_nobody_but_the_client_can_take_the_offered_time(client):
    # Given an earlier time held for the client
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        mine, offer = _offered(p)
    stranger, other_coordinator = _outsiders(p)

    # When others try to take it
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        for user in (stranger, other_coordinator, p.coordinator):
            response = _post(client, user, "take_offer", offer)

            # Then each gets "not found" and nothing changes
            assert response.status_code == 404
    assert Appointment.objects.get(pk=offer.pk).status == AppointmentStatus.HELD
    assert Appointment.objects.get(pk=mine.pk).status == AppointmentStatus.CONFIRMED
    assert WaitlistEntry.objects.get().status == WaitlistStatus.OFFERED


# --- The outcome of a visit ------------------------------------------------------------------


def test_the_coordinator_records_that_the_visit_took_place(client):
    # Given a confirmed visit whose time has come
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        visit = _booked(p, EARLY)

    # When the coordinator records it took place
    with time_machine.travel(EARLY + dt.timedelta(minutes=50), tick=False):
        response = _post(client, p.coordinator, "outcome", visit, {"outcome": "completed"}, True)

    # Then it is completed, and the page says so
    assert response.redirect_chain == [
        (reverse("scheduling:appointment", args=[visit.public_id]), 302)
    ]
    assert "Recorded." in text(response)
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.COMPLETED


def test_a_bad_outcome_or_one_too_early_is_refused_by_name_and_changes_nothing(client):
    # Given a confirmed visit
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        visit = _booked(p, EARLY)

        # When the coordinator records it before its time
        early = _post(client, p.coordinator, "outcome", visit, {"outcome": "no_show"}, True)

    # ... or with an outcome that is not one of the two
    with time_machine.travel(EARLY + dt.timedelta(minutes=50), tick=False):
        bad = _post(client, p.coordinator, "outcome", visit, {"outcome": "maybe"}, True)

    # Then each is refused with the reason, and the visit stays confirmed
    assert "A visit can be marked only once its time has come." in text(early)
    assert "Outcome: choose whether the visit took place or the client did not come." in text(bad)
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.CONFIRMED


def test_only_the_practice_records_the_outcome_others_get_not_found(client):
    # Given a confirmed visit whose time has come
    p = practice_with_policy()
    with time_machine.travel(NOW, tick=False):
        visit = _booked(p, EARLY)
    stranger, other_coordinator = _outsiders(p)

    # When the client, another client or another practice's coordinator record an outcome
    with time_machine.travel(EARLY + dt.timedelta(minutes=50), tick=False):
        for user in (p.client_user, stranger, other_coordinator):
            response = _post(client, user, "outcome", visit, {"outcome": "no_show"})

            # Then each gets "not found" and nothing changes
            assert response.status_code == 404
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.CONFIRMED
