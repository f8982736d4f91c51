"""After booking: reminders once each, texts off by default, the waitlist, no-shows and referrals."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from tandem.notifications.models import Notification
from tandem.referrals.models import ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling import actions, ics, reminders, sms, waitlist
from tandem.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    MessageKind,
    Reminder,
    SchedulingSettings,
    WaitlistStatus,
    WeeklyHours,
)
from tandem.scheduling.payments import OfflineProvider
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db
NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 15, 10)  # Thursday


def book(p, start=SLOT, who=None, client=None, confirm=True):
    who = who or p.client_user
    held = actions.hold_slot(
        actor=who,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=start,
        client=client or p.client,
    )
    held = actions.put_payment_on_file(
        actor=who, appointment=held, provider=OfflineProvider(), token="agree"
    )
    return actions.confirm(actor=p.coordinator, appointment=held) if confirm else held


def test_confirmation_and_reminders_at_48_and_2_hours_are_each_sent_exactly_once(
    django_capture_on_commit_callbacks,
):
    p = Practice()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        appointment = book(p)
    assert sorted(Reminder.objects.values_list("kind", "hours_before", "due_at")) == [
        (MessageKind.CONFIRMATION, 0, NOW),
        (MessageKind.REMINDER, 2, SLOT - dt.timedelta(hours=2)),
        (MessageKind.REMINDER, 48, SLOT - dt.timedelta(hours=48)),
    ]
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        run_worker()
    assert [m.subject for m in mail.outbox] == [reminders.CONFIRMATION_SUBJECT]

    with time_machine.travel(SLOT - dt.timedelta(hours=47), tick=False):
        run_worker()
        run_worker()  # a restarted worker finds nothing left to send
        # Even a task that runs twice for the same reminder sends nothing more.
        reminders.send_due.call(Reminder.objects.get(hours_before=48).pk)
        run_worker()
    assert [m.subject for m in mail.outbox] == [
        reminders.CONFIRMATION_SUBJECT,
        reminders.REMINDER_SUBJECT,
    ]
    body = mail.outbox[1].body
    assert "You have an upcoming appointment" in body
    assert p.org.name not in body
    assert "evaluation" not in body.lower()
    assert f"/scheduling/appointments/{appointment.public_id}/" in body

    with time_machine.travel(SLOT - dt.timedelta(hours=1), tick=False):
        run_worker()
    assert len(mail.outbox) == 3
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0


def test_a_cancelled_appointment_gets_no_reminder(django_capture_on_commit_callbacks):
    p = Practice()
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = book(p)
        run_worker()
        with django_capture_on_commit_callbacks(execute=True):
            actions.cancel(actor=p.client_user, appointment=appointment)
    with time_machine.travel(SLOT - dt.timedelta(hours=1), tick=False):
        run_worker()
    assert [m.subject for m in mail.outbox] == [reminders.CONFIRMATION_SUBJECT]


def test_texts_are_off_by_default_and_the_console_provider_keeps_them_phi_free(
    django_capture_on_commit_callbacks,
):
    assert sms.provider() is None
    p = Practice()
    p.client.phone = "617-555-0100"
    p.client.save()
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        book(p)
    with (
        override_settings(SMS_PROVIDER="console"),
        time_machine.travel(SLOT - dt.timedelta(hours=1), tick=False),
    ):
        provider = sms.provider()
        assert provider is not None
        before = len(provider.sent)
        run_worker()
        sent = provider.sent[before:]
    assert [to for to, _ in sent] == ["617-555-0100", "617-555-0100"]
    assert all(text.startswith("You have an upcoming appointment. Sign in:") for _, text in sent)


def test_the_invite_is_valid_icalendar_with_no_phi():
    p = Practice()
    with time_machine.travel(NOW, tick=False):
        appointment = book(p)
    text = ics.invite(appointment, sign_in_url="https://tandem.example/x", now=NOW)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR"
    assert "SUMMARY:Appointment" in lines
    assert "DTEND:20270415T150000Z" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert p.org.name not in text
    assert "New evaluation" not in text


def test_a_freed_slot_is_offered_first_come_first_served_with_a_short_hold(
    django_capture_on_commit_callbacks,
):
    p = Practice()
    early, later = SLOT, at(2027, 4, 22, 10)
    from tandem.core.tests.factories import ClientFactory, UserFactory

    second_user = UserFactory()
    second = ClientFactory(user=second_user)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        taken = book(p, start=early, who=UserFactory(), client=ClientFactory(user=UserFactory()))
        mine = book(p, start=later)
        theirs = book(p, start=at(2027, 4, 22, 11), who=second_user, client=second)
        first_entry = waitlist.join(actor=p.client_user, appointment=mine)
        waitlist.join(actor=second_user, appointment=theirs)
        actions.cancel(actor=p.coordinator, appointment=taken)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        run_worker()
    first_entry.refresh_from_db()
    assert first_entry.status == WaitlistStatus.OFFERED
    offer = first_entry.offered
    assert (offer.starts_at, offer.status, offer.client) == (
        early,
        AppointmentStatus.HELD,
        p.client,
    )
    # held for the waitlist's hold time (default 10 min), not the booking hold (15 min)
    assert offer.hold_expires_at == NOW + dt.timedelta(minutes=1) + dt.timedelta(minutes=10)
    assert Notification.objects.filter(recipient=p.client_user).exists()

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        moved = waitlist.accept(actor=p.client_user, entry=first_entry)
    assert (moved.starts_at, moved.status) == (early, AppointmentStatus.CONFIRMED)
    assert moved.payment_reference == mine.payment_reference
    assert Appointment.objects.get(pk=mine.pk).status == AppointmentStatus.CANCELLED


def test_a_waitlist_offer_is_held_for_the_practices_waitlist_hold_time(
    django_capture_on_commit_callbacks,
):
    # Given a practice whose waitlist offers hold for 7 minutes, and a client waiting
    p = Practice()
    SchedulingSettings.objects.filter(organisation=p.org).update(waitlist_hold_minutes=7)
    from tandem.core.tests.factories import ClientFactory, UserFactory

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        taken = book(p, start=SLOT, who=UserFactory(), client=ClientFactory(user=UserFactory()))
        mine = book(p, start=at(2027, 4, 22, 10))
        entry = waitlist.join(actor=p.client_user, appointment=mine)

        # When the earlier slot frees up and is offered
        actions.cancel(actor=p.coordinator, appointment=taken)
        offered = waitlist.offer(
            organisation_id=p.org.pk,
            prescriber_id=p.prescriber.pk,
            appointment_type_id=p.new_eval.pk,
            starts_at=SLOT,
        )

    # Then it is held for 7 minutes, and a booking hold still lasts 15
    assert offered == entry
    entry.refresh_from_db()
    assert entry.offered.hold_expires_at == NOW + dt.timedelta(minutes=7)
    # (for another client: this one already has a first visit here)
    newcomer = UserFactory()
    with time_machine.travel(NOW, tick=False):
        held = actions.hold_slot(
            actor=newcomer,
            organisation=p.org,
            prescriber=p.prescriber,
            appointment_type=p.new_eval,
            starts_at=at(2027, 4, 16, 9),
            client=ClientFactory(user=newcomer),
        )
    assert held.hold_expires_at == NOW + dt.timedelta(minutes=15)


def test_a_no_show_recorded_by_the_practice_moves_the_referral():
    world = ReferralWorld()
    org = world.psychiatry
    SchedulingSettings.objects.create(organisation=org, reminder_hours=[48, 2])
    kind = AppointmentType.objects.create(
        organisation=org, code="new", name="New evaluation", duration_minutes=60, is_new_client=True
    )
    for weekday in range(5):
        WeeklyHours.objects.create(
            organisation=org,
            prescriber=world.prescriber,
            weekday=weekday,
            starts=dt.time(9),
            ends=dt.time(12),
        )
    referral = world.sent()
    referral.status = ReferralStatus.SCHEDULED
    referral.save()
    with time_machine.travel(NOW, tick=False):
        held = actions.hold_slot(
            actor=world.admin,
            organisation=org,
            prescriber=world.prescriber,
            appointment_type=kind,
            starts_at=SLOT,
            client=world.client,
        )
        held = actions.put_payment_on_file(
            actor=world.admin, appointment=held, provider=OfflineProvider(), token="agree"
        )
        appointment = actions.confirm(actor=world.coordinator, appointment=held)
        with pytest.raises(actions.BookingStateError, match="once its time has come"):
            actions.record_outcome(
                actor=world.coordinator, appointment=appointment, outcome="no_show"
            )
    with time_machine.travel(SLOT + dt.timedelta(minutes=20), tick=False):
        actions.record_outcome(actor=world.coordinator, appointment=appointment, outcome="no_show")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NO_SHOW
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW
