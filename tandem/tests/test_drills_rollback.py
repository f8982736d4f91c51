"""Drill: work whose transaction rolls back queues no task and sends no email.

Real commits and rollbacks on PostgreSQL (not the test's own wrapping transaction):
a confirmation that fails after its reminders were scheduled must leave nothing for
the worker, while the same confirmation committed is sent.
"""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from tandem.scheduling import actions, reminders
from tandem.scheduling.models import Appointment, AppointmentStatus, Reminder
from tandem.scheduling.payments import OfflineProvider
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.tasks import run_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = at(2027, 4, 12, 10)


class Interrupted(Exception):
    """Whatever fails after the action, in the same transaction (a later step, a crash)."""


def _held(p: Practice) -> Appointment:
    held = actions.hold_slot(
        actor=p.client_user,
        organisation=p.org,
        prescriber=p.prescriber,
        appointment_type=p.new_eval,
        starts_at=at(2027, 4, 15, 10),
        client=p.client,
    )
    return actions.put_payment_on_file(
        actor=p.client_user, appointment=held, provider=OfflineProvider(), token="agree"
    )


def _confirm_then_fail(p: Practice, held: Appointment) -> None:
    with transaction.atomic():
        actions.confirm(actor=p.coordinator, appointment=held)
        assert Reminder.objects.filter(appointment=held).exists()  # scheduled, queued on commit
        raise Interrupted


def test_a_rolled_back_confirmation_queues_and_sends_nothing():
    with time_machine.travel(NOW, tick=False):
        p = Practice()
        held = _held(p)
        queued_before = DBTaskResult.objects.count()

        # When the confirmation (which schedules its reminders) is rolled back
        with pytest.raises(Interrupted):
            _confirm_then_fail(p, held)

        run_worker()

    # Then nothing was queued, nothing sent, and the appointment still waits
    assert DBTaskResult.objects.count() == queued_before
    assert not Reminder.objects.filter(appointment=held).exists()
    assert mail.outbox == []
    held.refresh_from_db()
    assert held.status != AppointmentStatus.CONFIRMED

    # While the same confirmation, committed, is sent (the drill would notice a dead queue)
    with time_machine.travel(NOW, tick=False):
        actions.confirm(actor=p.coordinator, appointment=held)
        run_worker()
    assert [m.subject for m in mail.outbox] == [reminders.CONFIRMATION_SUBJECT]
