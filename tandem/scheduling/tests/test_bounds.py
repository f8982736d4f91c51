"""One open hold and one live first visit per client per practice."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling import actions
from tandem.scheduling.actions import BookingLimitError
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.payments import OfflineProvider
from tandem.scheduling.tests.factories import Practice, at

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday 10:00
OTHER = at(2027, 4, 15, 9)  # Thursday 9:00

ANOTHER_HOLD = (
    "You are already holding a time with Harborlight Psychiatry. Enter your payment "
    "information for it, or wait for the hold to run out, before choosing another time."
)
ANOTHER_FIRST_VISIT = (
    "You already have a first visit with Harborlight Psychiatry. To change its time, "
    "reschedule it from your appointments instead of booking another one."
)


def hold(p, start=SLOT, kind=None, now=NOW):
    return actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=kind or p.new_eval,
        starts_at=start,
        client=p.client,
        now=now,
    )


def pay(p, appointment, now=NOW):
    return actions.put_payment_on_file(
        actor=p.client_user,
        appointment=appointment,
        provider=OfflineProvider(),
        token="agree",
        now=now,
    )


def live(p):
    return list(
        Appointment.objects.filter(client=p.client)
        .exclude(status__in=[AppointmentStatus.EXPIRED, AppointmentStatus.CANCELLED])
        .values_list("starts_at", "status")
    )


def test_a_client_holds_one_time_at_a_practice_at_a_time():
    # Given a client holding a time for a follow-up
    p = Practice()
    hold(p, kind=p.follow_up)

    # When they try to hold a second time while the first hold runs
    with pytest.raises(BookingLimitError) as refused:
        hold(p, start=OTHER, kind=p.follow_up)

    # Then they are told why, and only the first hold exists
    assert str(refused.value) == ANOTHER_HOLD
    assert live(p) == [(SLOT, AppointmentStatus.HELD)]


def test_a_hold_that_ran_out_does_not_count():
    p = Practice()
    hold(p, kind=p.follow_up)
    second = hold(p, start=OTHER, kind=p.follow_up, now=NOW + dt.timedelta(minutes=16))
    assert second.status == AppointmentStatus.HELD


def test_a_client_has_one_live_first_visit_per_practice():
    # Given a client whose first visit waits for confirmation (payment on file)
    p = Practice()
    first = pay(p, hold(p))
    assert first.status == AppointmentStatus.PENDING

    # When they try to hold a second first visit
    with pytest.raises(BookingLimitError) as refused:
        hold(p, start=OTHER)

    # Then it is refused plainly; a follow-up is still possible; nothing else changed
    assert str(refused.value) == ANOTHER_FIRST_VISIT
    assert live(p) == [(SLOT, AppointmentStatus.PENDING)]
    assert hold(p, start=OTHER, kind=p.follow_up).status == AppointmentStatus.HELD


def test_a_cancelled_first_visit_frees_the_client_to_book_another():
    p = Practice()
    first = pay(p, hold(p))
    actions.cancel(actor=p.client_user, appointment=first, now=NOW)
    assert hold(p, start=OTHER).status == AppointmentStatus.HELD


def test_another_practice_is_not_limited_by_this_one():
    p = Practice()
    hold(p)
    elsewhere = Practice()
    held = actions.hold_slot(
        actor=p.client_user,
        organisation=elsewhere.org,
        prescriber=elsewhere.prescriber,
        appointment_type=elsewhere.new_eval,
        starts_at=OTHER,
        client=p.client,
        now=NOW,
    )
    assert held.status == AppointmentStatus.HELD


@time_machine.travel(NOW, tick=False)
def test_the_slot_page_refuses_a_second_first_visit_with_the_reason(client):
    # Given a client who already chose a time on the slot page
    p = practice_with_policy()
    client.force_login(p.client_user)
    url = reverse("scheduling:book", args=[p.org.public_id])
    first = client.post(
        url, {"prescriber": str(p.prescriber.public_id), "starts_at": SLOT.isoformat()}
    )
    assert first.status_code == 302

    # When they choose another time from the slot page again
    second = client.post(
        url, {"prescriber": str(p.prescriber.public_id), "starts_at": OTHER.isoformat()}
    )

    # Then the page says why, and they still hold only the first time
    assert second.status_code == 409
    assert ANOTHER_HOLD in second.content.decode()
    assert live(p) == [(SLOT, AppointmentStatus.HELD)]
