"""Timers of collaboration, run by the task worker. Each takes ids and is idempotent.

The actions never queue work themselves: they announce it with a signal of their
sub-domain (``checkins.signals``, ``crisis.signals``, ``visits.signals``) inside
their transaction. The receivers below queue the task once that transaction
commits (``enqueue_on_commit``); each task calls back the action that does the
work. The tasks keep their names and this module's path: queued rows name them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.care.checkins import actions as checkin_actions
from tandem.care.checkins import signals as checkin_signals
from tandem.care.crisis import actions as crisis_actions
from tandem.care.crisis import signals as crisis_signals
from tandem.care.visits import actions as visit_actions
from tandem.care.visits import signals as visit_signals
from tandem.core.tasks import enqueue_on_commit


@task()
def request_checkin(cadence_id: int, version: int, due_on: str) -> None:
    """Ask the primary therapist for a progress check-in due today, then plan the next one."""
    checkin_actions.request_due_checkin(cadence_id, version, due_on)


@task()
def remind_checkin(checkin_id: int, number: int) -> None:
    """Remind the therapist of an overdue check-in (once per reminder number)."""
    checkin_actions.remind_overdue(checkin_id, number)


@task()
def escalate_safety_alert(alert_id: int, level: int) -> None:
    """Escalate an alert still unacknowledged when its window closes."""
    crisis_actions.escalate(alert_id, level)


@task()
def check_rota_gaps(organisation_id: int) -> None:
    """Warn the practice admin of gaps in the coming week's on-call rota; check again tomorrow."""
    crisis_actions.check_rota(organisation_id)


@task()
def check_visit_booked(plan_id: int, version: int) -> None:
    """Tell the coordinators when the planned follow-up visit is due and nothing is booked."""
    visit_actions.warn_unbooked_visit(plan_id, version)


# --- Receivers: what the actions announce, queued after commit ---------------------------


@receiver(checkin_signals.checkin_due)
def _queue_checkin_request(
    *, cadence_id: int, version: int, due_on: str, run_after: dt.datetime, **_: Any
) -> None:
    enqueue_on_commit(request_checkin, cadence_id, version, due_on, run_after=run_after)


@receiver(checkin_signals.reminder_due)
def _queue_checkin_reminder(
    *, checkin_id: int, number: int, run_after: dt.datetime | None, **_: Any
) -> None:
    enqueue_on_commit(remind_checkin, checkin_id, number, run_after=run_after)


@receiver(crisis_signals.escalation_due)
def _queue_escalation(*, alert_id: int, level: int, run_after: dt.datetime, **_: Any) -> None:
    enqueue_on_commit(escalate_safety_alert, alert_id, level, run_after=run_after)


@receiver(crisis_signals.rota_check_due)
def _queue_rota_check(*, organisation_id: int, run_after: dt.datetime | None, **_: Any) -> None:
    enqueue_on_commit(check_rota_gaps, organisation_id, run_after=run_after)


@receiver(visit_signals.visit_plan_set)
def _queue_visit_check(*, plan_id: int, version: int, run_after: dt.datetime, **_: Any) -> None:
    enqueue_on_commit(check_visit_booked, plan_id, version, run_after=run_after)
