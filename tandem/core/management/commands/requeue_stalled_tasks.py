"""Put tasks whose worker died back in the queue: ``manage.py requeue_stalled_tasks``.

Moves every task RUNNING for longer than ``--older-than`` seconds (default 900) back to
READY at once. With ``--every N`` it also makes sure a sweep runs every N seconds from
then on, in the task workers themselves (``tandem.core.stalled``): run it that way at
every start on every machine (``scripts/serve-production`` does); the deployment keeps
one pending sweep however many machines ask.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.core.stalled import keep_sweeping, requeue_stalled


class Command(BaseCommand):
    help = (
        "Return tasks left RUNNING by a dead worker to the queue (and keep sweeping with --every)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=900.0,
            help="Seconds a task must have been running to count as stalled (default 900).",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            help="Also keep a sweep running in the task workers every this many seconds.",
        )

    def handle(self, *args: Any, older_than: float, every: float | None, **options: Any) -> None:
        if older_than < 0:
            raise CommandError("--older-than must be 0 seconds or more.")
        if every is not None and every < 10:
            raise CommandError("--every must be at least 10 seconds.")
        count = requeue_stalled(dt.timedelta(seconds=older_than))
        self.stdout.write(f"Requeued {count} stalled task(s).")
        if every is not None:
            period = dt.timedelta(seconds=every)
            started = keep_sweeping(dt.timedelta(seconds=older_than), period, first_in=period)
            self.stdout.write(
                f"Sweeping every {every:g} s: "
                + ("scheduled the first sweep." if started else "a sweep is already scheduled.")
            )
