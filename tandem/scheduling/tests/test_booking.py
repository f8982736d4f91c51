"""Holding, paying, confirming, cancelling — and never booking a slot twice."""

import datetime as dt

import pytest
import time_machine

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.tests.factories import UserFactory
from tandem.scheduling import actions, selectors
from tandem.scheduling.actions import BookingStateError, SlotUnavailableError
from tandem.scheduling.models import Appointment, AppointmentStatus, SlotClaim
from tandem.scheduling.payments import OfflineProvider, PaymentError
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday 10:00


def hold(p, who=None, start=SLOT, kind=None, now=NOW):
    return actions.hold_slot(
        actor=who or p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=kind or p.new_eval,
        starts_at=start,
        client=p.client,
        now=now,
    )


def test_hold_then_payment_leaves_the_client_uncommitted_until_a_coordinator_confirms():
    p = Practice()
    appointment = hold(p)
    assert appointment.status == AppointmentStatus.HELD
    assert appointment.hold_expires_at == NOW + dt.timedelta(minutes=15)

    appointment = actions.put_payment_on_file(
        actor=p.client_user,
        appointment=appointment,
        provider=OfflineProvider(),
        token="agree",
        now=NOW + dt.timedelta(minutes=5),
    )
    assert appointment.status == AppointmentStatus.PENDING
    assert appointment.payment_reference.startswith("offline:")

    appointment = actions.confirm(actor=p.coordinator, appointment=appointment)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert (
        AuditEvent.objects.filter(
            object_id=str(appointment.public_id), action=AuditAction.UPDATE
        ).count()
        == 2
    )


def test_automatic_rule_confirms_once_payment_is_on_file():
    p = Practice(confirmation_rule="automatic")
    appointment = actions.put_payment_on_file(
        actor=p.client_user, appointment=hold(p), provider=OfflineProvider(), token="agree", now=NOW
    )
    assert appointment.status == AppointmentStatus.CONFIRMED


def test_nothing_is_confirmed_without_payment_information():
    p = Practice()
    appointment = hold(p)
    with pytest.raises(BookingStateError, match="payment information on file"):
        actions.confirm(actor=p.coordinator, appointment=appointment)
    with pytest.raises(PaymentError, match="pay at your first visit"):
        actions.put_payment_on_file(
            actor=p.client_user,
            appointment=appointment,
            provider=OfflineProvider(),
            token="",
            now=NOW,
        )
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.HELD


def test_the_same_slot_cannot_be_held_twice():
    p = Practice()
    hold(p)
    with pytest.raises(SlotUnavailableError):
        hold(p, who=UserFactory())
    # An overlapping 30-minute visit inside the held hour is refused too.
    with pytest.raises(SlotUnavailableError):
        hold(p, start=at(2027, 4, 14, 10, 30), kind=p.follow_up)
    assert Appointment.objects.count() == 1


def test_slots_in_the_past_outside_hours_or_on_holidays_are_refused():
    p = Practice()
    for start, words in [
        (at(2027, 4, 12, 9), "already passed"),
        (at(2027, 4, 14, 13), "not open"),
        (at(2027, 4, 19, 10), "not open"),  # Patriots' Day
        (at(2027, 4, 14, 10, 10), "not open"),  # off the half-hour grid
    ]:
        with pytest.raises(SlotUnavailableError, match=words):
            hold(p, start=start)
    assert not Appointment.objects.exists()


def test_an_expired_hold_frees_the_slot_via_the_worker(django_capture_on_commit_callbacks):
    p = Practice()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        appointment = hold(p)
    with time_machine.travel(NOW + dt.timedelta(minutes=14), tick=False):
        run_worker()
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.HELD
    with time_machine.travel(NOW + dt.timedelta(minutes=16), tick=False):
        run_worker()
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.EXPIRED
    assert not SlotClaim.objects.exists()
    assert SLOT in [
        s.starts_at
        for s in selectors.slots(p.org, p.new_eval, days=(SLOT.date(), SLOT.date()), now=NOW)
    ]


def test_a_lapsed_hold_does_not_block_the_next_client_even_before_the_worker_runs():
    p = Practice()
    first = hold(p)
    later = NOW + dt.timedelta(minutes=20)
    second = hold(p, who=UserFactory(), now=later)
    assert Appointment.objects.get(pk=first.pk).status == AppointmentStatus.EXPIRED
    assert second.status == AppointmentStatus.HELD


def test_payment_after_the_hold_ran_out_is_refused_kindly():
    p = Practice()
    appointment = hold(p)
    with pytest.raises(
        BookingStateError, match="hold ran out while you were entering your details"
    ):
        actions.put_payment_on_file(
            actor=p.client_user,
            appointment=appointment,
            provider=OfflineProvider(),
            token="agree",
            now=NOW + dt.timedelta(minutes=16),
        )


def test_client_cancels_within_policy_and_the_slot_reopens():
    p = Practice(confirmation_rule="automatic")
    appointment = actions.put_payment_on_file(
        actor=p.client_user, appointment=hold(p), provider=OfflineProvider(), token="agree", now=NOW
    )
    with pytest.raises(BookingStateError, match="up to 24 hours before"):
        actions.cancel(
            actor=p.client_user, appointment=appointment, now=SLOT - dt.timedelta(hours=3)
        )
    actions.cancel(actor=p.client_user, appointment=appointment, now=NOW)
    assert not SlotClaim.objects.exists()
    assert hold(p, who=UserFactory()).status == AppointmentStatus.HELD
