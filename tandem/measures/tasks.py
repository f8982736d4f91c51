"""Timers of measurement-based care, run by the task worker. Each takes ids and is idempotent.

The receivers here turn what the actions announce (``signals``) into queued work,
enqueued once the action's transaction commits; actions never import this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.measures import actions, signals


@task()
def remind_measure_due(schedule_id: int, version: int) -> bool:
    """Tell the client a questionnaire is due; return whether they were told."""
    return actions.remind_due(schedule_id, version)


@receiver(signals.due_reminder_planned)
def plan_due_reminder(
    sender: Any, *, schedule_id: int, version: int, remind_at: dt.datetime, **kwargs: Any
) -> None:
    """Queue ``remind_measure_due`` for ``remind_at``, once the action's transaction commits."""
    enqueue_on_commit(remind_measure_due, schedule_id, version, run_after=remind_at)
