"""Put tasks whose worker died back in the queue: ``manage.py requeue_stalled_tasks``.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED
when it ends. A worker killed in between (SIGKILL, the machine lost, the OOM killer)
leaves the row RUNNING for ever, and no other worker takes it: the reminder, the
escalation or the hold expiry it carried never happens. This command moves every
task that has been RUNNING for longer than ``--older-than`` seconds (default 900,
longer than any Tandem task runs) back to READY, for the next free worker.

Tandem's tasks are idempotent (they re-read their rows under a lock and do nothing
when the work is done), so a task that was in fact still running somewhere is safe
to run again. ``scripts/serve-production`` runs this before it starts its workers;
on several machines, run it from one of them every few minutes (cron or a timer).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def requeue_stalled(older_than: dt.timedelta) -> int:
    """Move tasks RUNNING since before ``now - older_than`` back to READY; return how many."""
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
    return len(stalled)


class Command(BaseCommand):
    help = "Return tasks left RUNNING by a dead worker to the queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=900.0,
            help="Seconds a task must have been running to count as stalled (default 900).",
        )

    def handle(self, *args: Any, older_than: float, **options: Any) -> None:
        count = requeue_stalled(dt.timedelta(seconds=older_than))
        self.stdout.write(f"Requeued {count} stalled task(s).")
