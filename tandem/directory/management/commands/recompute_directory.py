"""Recompute every practice's measured figures now and start the nightly chain."""

from typing import Any

from django.core.management.base import BaseCommand

from tandem.directory import actions


class Command(BaseCommand):
    help = "Recompute the directory's measured figures now; the worker then repeats it nightly."

    def handle(self, *args: Any, **options: Any) -> None:
        count = actions.recompute_metrics(plan_next=True)
        self.stdout.write(f"Recomputed the measured figures of {count} practices.")
