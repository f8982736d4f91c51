"""Drill: the task worker is killed in the middle of a batch of reminders, then restarted.

A real ``db_worker`` process sends confirmation emails through a real (local) SMTP relay.
The relay stalls on one message, so the worker hangs inside that send; the drill kills
it there with SIGKILL (no clean-up runs), starts the recovery that
``scripts/serve-production`` runs before its workers, and a new worker. Every client
must get their email exactly once: none lost with the dead worker, none sent twice.
"""

from __future__ import annotations

import datetime as dt
import signal

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, OrganisationFactory, make_staff
from tandem.scheduling import reminders
from tandem.scheduling.models import (
    Appointment,
    AppointmentType,
    MessageKind,
    Reminder,
    SchedulingSettings,
)
from tandem.tests.support.services import mail_relay, manage, start_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 12
STALL_AT = 5


def _confirmed_appointments(count: int) -> list[str]:
    """Confirm ``count`` appointments (as the booking flow leaves them); return the addresses."""
    organisation = OrganisationFactory()
    SchedulingSettings.objects.create(organisation=organisation, reminder_hours=[48, 2])
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    kind = AppointmentType.objects.create(
        organisation=organisation, code="new", name="New evaluation", duration_minutes=60
    )
    addresses = []
    for day in range(count):
        starts = timezone.now() + dt.timedelta(days=7 + day)
        client = ClientFactory()
        with transaction.atomic():
            appointment = Appointment.objects.create(
                organisation=organisation,
                prescriber=prescriber,
                client=client,
                appointment_type=kind,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                blocked_until=starts + dt.timedelta(hours=1),
                status="confirmed",
                confirmed_at=timezone.now(),
            )
            reminders.schedule(appointment)  # the confirmation is due now; queued on commit
        addresses.append(client.email)
    return addresses


def _assert_queue_drained() -> None:
    """Every task ran to success, but the reminders 48 and 2 hours ahead, still waiting."""
    waiting = DBTaskResult.objects.filter(status="READY")
    assert waiting.count() == 2 * CLIENTS
    assert not waiting.filter(run_after__lte=timezone.now()).exists()
    ran = DBTaskResult.objects.exclude(status="READY")
    assert set(ran.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_worker_killed_mid_batch_and_restarted_sends_each_reminder_exactly_once():
    addresses = _confirmed_appointments(CLIENTS)
    due_now = DBTaskResult.objects.filter(status="READY", run_after__lte=timezone.now())
    assert due_now.count() == CLIENTS  # the reminders 48 and 2 hours before wait their turn

    with mail_relay(stall_at=STALL_AT) as relay:
        # When a worker is killed while it hangs sending the fifth email
        worker = start_worker("--interval", "0.1", "--no-startup-delay", EMAIL_URL=relay.url)
        try:
            assert relay.stalled.wait(120), worker.stdout.read() if worker.stdout else ""
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.communicate(timeout=30)
        assert len(relay.accepted) == STALL_AT - 1
        relay.stall_at = None

        # And the deployment restarts: recovery first, then a worker that drains the queue
        recovered = manage("requeue_stalled_tasks", "--older-than", "0", EMAIL_URL=relay.url)
        assert recovered.returncode == 0, recovered.stderr
        drained = manage(
            "db_worker",
            "--queue-name",
            "default",
            "--batch",
            "--no-startup-delay",
            EMAIL_URL=relay.url,
        )
        assert drained.returncode == 0, drained.stderr

    # Then every client got their confirmation exactly once
    recipients = sorted(to[0] for to, _ in relay.accepted)
    assert recipients == sorted(addresses)
    assert {message["Subject"] for _, message in relay.accepted} == {reminders.CONFIRMATION_SUBJECT}
    assert Reminder.objects.filter(kind=MessageKind.CONFIRMATION, sent_at__isnull=True).count() == 0
    _assert_queue_drained()


def test_two_workers_draining_one_queue_run_each_task_once():
    # Given a batch of confirmations, and two worker processes started together on it
    addresses = _confirmed_appointments(CLIENTS)

    with mail_relay() as relay:
        workers = [
            start_worker("--batch", "--no-startup-delay", EMAIL_URL=relay.url) for _ in range(2)
        ]
        logs = [worker.communicate(timeout=300)[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], logs

    # Then each task was claimed by one worker only (SKIP LOCKED), and each email sent once
    ran = DBTaskResult.objects.exclude(status="READY")
    assert ran.count() == 2 * CLIENTS  # send_due and deliver for each confirmation
    assert {(row.status, len(row.worker_ids)) for row in ran} == {("SUCCESSFUL", 1)}
    _assert_queue_drained()
    assert sorted(to[0] for to, _ in relay.accepted) == sorted(addresses)
