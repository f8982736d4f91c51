"""Run the real task worker inside a test."""

import io
from unittest import mock

from django.core.management import call_command


def run_worker() -> str:
    """Process every task that is due now with django-tasks-db's worker, then return its log.

    The worker recycles database connections between tasks, as a long-running
    process should; inside a test's transaction that would close the test's own
    connection, so (like Django's test client) the recycling is switched off here.
    """
    out = io.StringIO()
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command(
            "db_worker", batch=True, startup_delay=False, interval=0, stdout=out, stderr=out
        )
    return out.getvalue()
