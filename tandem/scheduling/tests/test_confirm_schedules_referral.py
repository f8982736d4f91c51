"""Confirming a referred client's first appointment moves their accepted referral to scheduled."""

import datetime as dt

import pytest

from tandem.audit.models import AuditEvent
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import Referral, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling import actions, selectors
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    SchedulingSettings,
    WeeklyHours,
)
from tandem.scheduling.payments import AGREED, OfflineProvider

pytestmark = pytest.mark.django_db


def _pending_appointment(world: ReferralWorld) -> Appointment:
    SchedulingSettings.objects.create(organisation=world.psychiatry, reminder_hours=[48, 2])
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry,
        code="new",
        name="New evaluation",
        duration_minutes=60,
        is_new_client=True,
    )
    for weekday in range(5):
        WeeklyHours.objects.create(
            organisation=world.psychiatry,
            prescriber=world.prescriber,
            weekday=weekday,
            starts=dt.time(9),
            ends=dt.time(12),
        )
    first_open = selectors.slots(world.psychiatry, kind, weeks=3)[0]
    held = actions.hold_slot(
        actor=world.coordinator,
        organisation=world.psychiatry,
        prescriber=world.prescriber,
        appointment_type=kind,
        starts_at=first_open.starts_at,
        client=world.client,
    )
    return actions.put_payment_on_file(
        actor=world.coordinator, appointment=held, provider=OfflineProvider(), token=AGREED
    )


def test_confirming_moves_the_clients_accepted_referral_to_scheduled():
    # Given a referral the practice accepted, and the client's appointment awaiting confirmation
    world = ReferralWorld()
    referral = referral_actions.transition(
        actor=world.coordinator,
        referral=world.sent(),
        target=ReferralStatus.ACCEPTED,
        assigned_prescriber=world.prescriber,
    )
    appointment = _pending_appointment(world)
    assert appointment.status == AppointmentStatus.PENDING

    # When the coordinator confirms it
    actions.confirm(actor=world.coordinator, appointment=appointment)

    # Then the referral is scheduled, moved by the coordinator and audited
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCHEDULED
    last = AuditEvent.objects.filter(object_id=str(referral.public_id)).order_by("-seq").first()
    assert last is not None
    assert last.detail == {"status": ReferralStatus.SCHEDULED}
    assert last.actor_id == world.coordinator.pk


def test_confirming_without_an_accepted_referral_changes_no_referral():
    # Given a referral that was only sent (not accepted) for the same client
    world = ReferralWorld()
    referral = world.sent()
    appointment = _pending_appointment(world)

    # When the coordinator confirms the appointment
    confirmed = actions.confirm(actor=world.coordinator, appointment=appointment)

    # Then the appointment is confirmed and the referral keeps its state
    assert confirmed.status == AppointmentStatus.CONFIRMED
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT
