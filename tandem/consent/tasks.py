"""Background work of the consent engine, run by the task worker.

The receivers here turn what the actions announce (``signals``) into queued work,
enqueued once the action's transaction commits; actions never import this module.
"""

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.consent import actions, signals
from tandem.core.tasks import enqueue_on_commit


@task()
def remind_release_expiry(release_id: int, days_before: int) -> None:
    """Tell the client and the therapist that a signed release expires soon (once per threshold)."""
    actions.remind_expiry(release_id, days_before)


@receiver(signals.expiry_reminder_planned)
def plan_expiry_reminder(
    sender: Any, *, release_id: int, days_before: int, remind_at: dt.datetime, **kwargs: Any
) -> None:
    """Queue ``remind_release_expiry`` for ``remind_at``, once the signing commits."""
    enqueue_on_commit(remind_release_expiry, release_id, days_before, run_after=remind_at)
