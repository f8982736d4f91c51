"""Tasks a dead worker left RUNNING go back to the queue, by a sweep that keeps itself going.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED
when it ends. A worker killed in between (SIGKILL, the machine lost, the OOM killer)
leaves the row RUNNING for ever, and no other worker takes it: the reminder, the
escalation or the hold expiry it carried would never happen. ``requeue_stalled`` moves
every task RUNNING for longer than a cut-off (default 15 minutes, longer than any
Tandem task runs) back to READY, for the next free worker.

``sweep_stalled_tasks`` is a task that does this and schedules its own next run
``every`` seconds later, so the sweep runs on whichever machine's worker is free, with
no cron on any machine. ``keep_sweeping`` starts the chain if none is pending; it is
safe to call from every machine at every start (``manage.py requeue_stalled_tasks
--every 300``, which ``scripts/serve-production`` runs): a transaction-scoped lock
makes the check-and-enqueue one step, so the deployment keeps exactly one pending
sweep. A sweep schedules its successor before it sweeps, so a worker killed during a
sweep does not end the chain (the killed sweep is itself requeued by the next one).

Apps whose jobs keep a status of their own (a bulk export, a roster import) register a
job sweep with ``also_sweep``: after the tasks are requeued it settles each job left
running with no live task (its task gone, or run again and returned at once), so a job a
dead worker held does not block the next one for ever.

Tandem's tasks are idempotent (they re-read their rows under a lock and do nothing when
the work is done), so a task that was in fact still running somewhere is safe to run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

#: Any constant: the PostgreSQL advisory lock that makes "is a sweep pending?" and
#: "enqueue one" a single step across machines (SQLite serialises writers by itself).
_SWEEP_LOCK = 0x7A3D_0001


#: ``sweep(older_than)``: settle the app's jobs running longer than that with no live task.
JobSweep = Callable[[dt.timedelta], int]
_job_sweeps: list[JobSweep] = []


def also_sweep(sweep: JobSweep) -> None:
    """Run ``sweep`` after every requeue of stalled tasks (an app calls it from ``ready``)."""
    if sweep not in _job_sweeps:
        _job_sweeps.append(sweep)


def live_task_args(task_path: str) -> set[Any]:
    """Return the first argument of every READY or RUNNING task of ``task_path`` (a job id)."""
    rows = DBTaskResult.objects.filter(
        task_path=task_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("args_kwargs", flat=True)
    return {row["args"][0] for row in rows if row.get("args")}


def requeue_stalled(older_than: dt.timedelta) -> int:
    """Move tasks RUNNING since before ``now - older_than`` back to READY; return how many.

    Then run the apps' job sweeps (``also_sweep``) with the same cut-off.
    """
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        # Lock what we move and skip what a live worker is finishing right now.
        stalled = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        DBTaskResult.objects.filter(pk__in=stalled, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
    for sweep in _job_sweeps:
        sweep(older_than)
    return len(stalled)


def task_path(task: Any) -> str:
    """Return the dotted path django-tasks-db stores for ``task`` (its ``task_path``)."""
    return f"{task.func.__module__}.{task.func.__qualname__}"


def _sweep_path() -> str:
    return task_path(sweep_stalled_tasks)


def keep_sweeping(older_than: dt.timedelta, every: dt.timedelta, *, first_in: dt.timedelta) -> bool:
    """Enqueue a sweep ``first_in`` from now unless one is already waiting; True if enqueued."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SWEEP_LOCK])
        if DBTaskResult.objects.filter(
            task_path=_sweep_path(), status=TaskResultStatus.READY
        ).exists():
            return False
        sweep_stalled_tasks.using(run_after=timezone.now() + first_in).enqueue(
            older_than.total_seconds(), every.total_seconds()
        )
    return True


@task()
def sweep_stalled_tasks(older_than_seconds: float, every_seconds: float) -> int:
    """Schedule the next sweep, then requeue what is stalled; return how many were requeued."""
    every = dt.timedelta(seconds=every_seconds)
    keep_sweeping(dt.timedelta(seconds=older_than_seconds), every, first_in=every)
    return requeue_stalled(dt.timedelta(seconds=older_than_seconds))
