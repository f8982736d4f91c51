"""Enqueueing background work: the one way an action hands a job to the worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue ``task(*args)`` once the current transaction commits (at once outside one).

    Arguments are ids and plain values, never model instances: the worker reads the
    rows afresh, so a job never acts on data its transaction rolled back. With
    ``run_after`` the worker does not start it before that instant.
    """

    def go() -> None:
        bound = task.using(run_after=run_after) if run_after is not None else task
        bound.enqueue(*args)

    transaction.on_commit(go)
