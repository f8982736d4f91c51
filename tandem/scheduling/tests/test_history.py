"""Every status change of an appointment is kept: from what, to what, by whom."""

import datetime as dt

import pytest
from django.urls import reverse

from tandem.scheduling import actions
from tandem.scheduling.models import AppointmentStatus as S
from tandem.scheduling.payments import AGREED, OfflineProvider
from tandem.scheduling.tests.factories import Practice, at

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday 10:00


def _hold(p, start=SLOT):
    return actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=start,
        client=p.client,
        now=NOW,
    )


def test_booking_confirming_and_cancelling_are_each_one_history_row_with_who_did_it():
    # Given a hold the client pays for, a coordinator confirms and the client cancels
    p = Practice()
    held = _hold(p)
    pending = actions.put_payment_on_file(
        actor=p.client_user, appointment=held, provider=OfflineProvider(), token=AGREED, now=NOW
    )
    confirmed = actions.confirm(actor=p.coordinator, appointment=pending)
    actions.cancel(actor=p.client_user, appointment=confirmed, now=NOW)

    # Then the history has each move, in order, with its actor
    assert list(confirmed.history.values_list("from_status", "to_status", "actor")) == [
        (S.HELD, S.PENDING, p.client_user.pk),
        (S.PENDING, S.CONFIRMED, p.coordinator.pk),
        (S.CONFIRMED, S.CANCELLED, p.client_user.pk),
    ]


def test_a_hold_that_runs_out_is_recorded_with_no_actor():
    p = Practice()
    held = _hold(p)

    assert actions.expire_hold_now(held.pk, now=NOW + dt.timedelta(minutes=16))

    assert list(held.history.values_list("from_status", "to_status", "actor")) == [
        (S.HELD, S.EXPIRED, None)
    ]


def test_the_practice_sees_the_history_on_the_appointment_page_and_the_client_does_not(client):
    p = Practice()
    held = _hold(p)
    actions.put_payment_on_file(
        actor=p.client_user, appointment=held, provider=OfflineProvider(), token=AGREED, now=NOW
    )
    url = reverse("scheduling:appointment", args=[held.public_id])

    client.force_login(p.coordinator)
    staff_page = client.get(url).content.decode()
    client.force_login(p.client_user)
    client_page = client.get(url).content.decode()

    assert "data-appointment-history" in staff_page
    assert "Held for you → Waiting for the practice to confirm" in staff_page
    assert "data-appointment-history" not in client_page
