"""The directory's background work: the nightly recompute of measured figures.

One daily chain (like care's rota check): ``actions.recompute_metrics`` computes every
practice's figures and announces the next night's run unless one is already planned;
the receiver below queues it after commit. ``manage.py recompute_directory`` starts the
chain (the demo seed runs it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.directory import actions
from tandem.directory.signals import recompute_due


@task()
def recompute_directory() -> None:
    """Recompute every practice's measured figures, then plan tomorrow night's run."""
    actions.recompute_metrics(plan_next=True)


@receiver(recompute_due, dispatch_uid="directory.recompute_directory")
def _queue_recompute(*, run_after: dt.datetime, **_: Any) -> None:
    enqueue_on_commit(recompute_directory, run_after=run_after)
