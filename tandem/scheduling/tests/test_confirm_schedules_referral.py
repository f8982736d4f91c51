"""Confirming a referred client's first appointment moves their accepted referral to scheduled."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.notifications.models import Notification
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import Referral, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling import actions, loop, selectors, waitlist
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ConfirmationRule,
    SchedulingSettings,
    WeeklyHours,
)
from tandem.scheduling.payments import AGREED, OfflineProvider
from tandem.scheduling.tests.factories import open_mornings
from tandem.tests.support.clock import world_built_on

pytestmark = pytest.mark.django_db
BOSTON = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2027, 4, 12, 10, tzinfo=BOSTON)  # Monday
SLOT = dt.datetime(2027, 4, 15, 10, tzinfo=BOSTON)  # Thursday
_built = world_built_on(dt.datetime(2027, 4, 5, 9, 0, tzinfo=BOSTON))  # before NOW


def _pending_appointment(world: ReferralWorld) -> Appointment:
    kind = open_mornings(world.psychiatry, world.prescriber)
    return _book_first_open(world, kind)


def _book_first_open(world: ReferralWorld, kind: AppointmentType) -> Appointment:
    """Hold the first open slot for the client and put payment on file: awaiting confirmation."""
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
    referral = world.accepted()
    appointment = _pending_appointment(world)
    assert appointment.status == AppointmentStatus.PENDING

    # When the coordinator confirms it
    actions.confirm(actor=world.coordinator, appointment=appointment)

    # Then the referral is scheduled, carries the appointment, moved by the coordinator, audited
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (ReferralStatus.SCHEDULED, appointment)
    last = AuditEvent.objects.filter(object_id=str(referral.public_id)).order_by("-seq").first()
    assert last is not None
    assert last.detail == {
        "status": ReferralStatus.SCHEDULED,
        "appointment": str(appointment.public_id),
    }
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


def _open_hours(world: ReferralWorld) -> AppointmentType:
    SchedulingSettings.objects.create(
        organisation=world.psychiatry,
        reminder_hours=[48, 2],
        confirmation_rule=ConfirmationRule.AUTOMATIC,
    )
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
    return kind


def _client_books(world: ReferralWorld, kind: AppointmentType, starts_at: dt.datetime):
    held = actions.hold_slot(
        actor=world.client_user,
        organisation=world.psychiatry,
        prescriber=world.prescriber,
        appointment_type=kind,
        starts_at=starts_at,
        client=world.client,
    )
    return actions.put_payment_on_file(
        actor=world.client_user, appointment=held, provider=OfflineProvider(), token=AGREED
    )


def test_automatic_confirmation_schedules_the_referral_on_the_practices_behalf():
    # Given an accepted referral, and a practice that confirms automatically once payment is on file
    world = ReferralWorld()
    referral = world.accepted()
    kind = _open_hours(world)
    Notification.objects.all().delete()

    # When the client picks a time and puts payment on file
    with time_machine.travel(NOW, tick=False):
        appointment = _client_books(world, kind, SLOT)

    # Then the appointment is confirmed and the referral is scheduled, carrying it
    assert appointment.status == AppointmentStatus.CONFIRMED
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (ReferralStatus.SCHEDULED, appointment)
    # the event names no person and says it was automatic
    event = referral.events.order_by("-at", "-pk").first()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        ReferralStatus.ACCEPTED,
        ReferralStatus.SCHEDULED,
        None,
        referral_actions.AUTOMATIC_NOTE,
    )
    # the audit row is the system's, and the therapist is told (no PHI)
    last = AuditEvent.objects.filter(object_id=str(referral.public_id)).order_by("-seq").first()
    assert last is not None
    assert (last.actor_id, last.detail) == (
        None,
        {
            "status": ReferralStatus.SCHEDULED,
            "appointment": str(appointment.public_id),
            "automatic": True,
        },
    )
    assert list(Notification.objects.values_list("recipient", flat=True)) == [world.therapist.pk]


def test_the_automatic_path_refuses_a_visit_that_is_not_confirmed():
    # Given an accepted referral and a visit only held (payment not on file)
    world = ReferralWorld()
    referral = referral_actions.accept(actor=world.coordinator, referral=world.sent())
    kind = _open_hours(world)
    with time_machine.travel(NOW, tick=False):
        held = actions.hold_slot(
            actor=world.client_user,
            organisation=world.psychiatry,
            prescriber=world.prescriber,
            appointment_type=kind,
            starts_at=SLOT,
            client=world.client,
        )

    # When trusted code tries to schedule the referral with it
    with pytest.raises(ValidationError) as refused:
        loop.schedule_by_practice_rule(referral=referral, appointment=held)

    # Then it is refused and the referral is unchanged
    assert refused.value.message_dict == {
        "appointment": ["Only this client's confirmed visit with this practice."]
    }
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (ReferralStatus.ACCEPTED, None)


def test_taking_an_earlier_time_from_the_waitlist_moves_the_referrals_visit_too():
    # Given a referral scheduled with the client's later visit, and the client on the waitlist
    world = ReferralWorld()
    referral_actions.accept(actor=world.coordinator, referral=world.sent())
    kind = _open_hours(world)
    with time_machine.travel(NOW, tick=False):
        later = _client_books(world, kind, SLOT + dt.timedelta(days=7))
        entry = waitlist.join(actor=world.client_user, appointment=later)
        # When an earlier time frees up, is offered and taken
        offered = waitlist.offer(
            organisation_id=world.psychiatry.pk,
            prescriber_id=world.prescriber.pk,
            appointment_type_id=kind.pk,
            starts_at=SLOT,
        )
        assert offered == entry
        entry.refresh_from_db()
        earlier = waitlist.accept(actor=world.client_user, entry=entry)

    # Then the scheduled referral carries the earlier visit
    referral = Referral.objects.get(client=world.client)
    assert (referral.status, referral.appointment) == (ReferralStatus.SCHEDULED, earlier)
    assert earlier.starts_at == SLOT


def test_after_a_no_show_the_next_confirmed_visit_reopens_the_loop_and_its_outcome_counts():
    # Given an accepted referral whose first visit the client missed
    world = ReferralWorld()
    referral = world.accepted()
    missed = actions.confirm(actor=world.coordinator, appointment=_pending_appointment(world))
    after_missed = missed.starts_at + dt.timedelta(hours=2)
    actions.record_outcome(
        actor=world.coordinator, appointment=missed, outcome="no_show", now=after_missed
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NO_SHOW

    # When the coordinator books and confirms another visit for the client
    with time_machine.travel(after_missed, tick=False):
        kind = AppointmentType.objects.get(organisation=world.psychiatry)
        pending = _book_first_open(world, kind)
        second = actions.confirm(actor=world.coordinator, appointment=pending)

    # Then the referral is scheduled again, carrying the new visit
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (ReferralStatus.SCHEDULED, second)

    # And when that visit takes place, the loop moves on to the consult note
    actions.record_outcome(
        actor=world.coordinator,
        appointment=second,
        outcome="completed",
        now=second.starts_at + dt.timedelta(hours=2),
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.FIRST_VISIT_DONE


def test_an_outcome_moves_only_the_referral_that_carries_that_visit():
    # Given a scheduled referral carrying one visit, and another visit of the same client
    world = ReferralWorld()
    referral = world.accepted()
    carried = actions.confirm(actor=world.coordinator, appointment=_pending_appointment(world))
    referral.refresh_from_db()
    assert referral.appointment == carried
    kind = AppointmentType.objects.get(organisation=world.psychiatry)
    later = next(
        s for s in selectors.slots(world.psychiatry, kind, weeks=3) if s.starts_at > carried.ends_at
    )
    # (a follow-up: a client has one live first visit per practice)
    follow_up = AppointmentType.objects.create(
        organisation=world.psychiatry, code="follow-up", name="Follow-up", duration_minutes=30
    )
    other = actions.book_for_client(
        actor=world.coordinator,
        organisation=world.psychiatry,
        prescriber=world.prescriber,
        appointment_type=follow_up,
        starts_at=later.starts_at,
        client=world.client,
    )

    # When the practice marks the other visit as missed
    actions.record_outcome(
        actor=world.coordinator,
        appointment=other,
        outcome="no_show",
        now=other.starts_at + dt.timedelta(hours=1),
    )

    # Then the referral, which waits for its own visit, is still scheduled
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (ReferralStatus.SCHEDULED, carried)
