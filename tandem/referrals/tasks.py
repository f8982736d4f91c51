"""The response clock, run by the task worker at the moment a referral falls due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.referrals import actions
from tandem.referrals.signals import response_clock_due


@task()
def check_response_clock(referral_id: int, level: int) -> None:
    """Mark an unanswered referral overdue and tell the practice; see ``actions.mark_overdue``."""
    actions.mark_overdue(referral_id, level)


@receiver(response_clock_due, dispatch_uid="referrals.check_response_clock")
def _queue_response_clock(
    sender: Any, *, referral_id: int, level: int, due_at: dt.datetime, **kwargs: Any
) -> None:
    enqueue_on_commit(check_response_clock, referral_id, level, run_after=due_at)
