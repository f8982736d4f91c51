"""The fhir app's background work: roster imports, bulk exports, and deleting expired exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core import stalled
from tandem.core.tasks import enqueue_on_commit
from tandem.fhir import export, roster_actions, signals, stuck
from tandem.fhir.signals import roster_import_queued


@task()
def run_roster_import(import_id: int) -> None:
    """Check and apply the roster import ``import_id`` (does nothing if it has already run)."""
    roster_actions.run_roster_import(import_id=import_id)


@receiver(roster_import_queued, dispatch_uid="fhir.run_roster_import")
def _queue_import(*, import_id: int, **_: Any) -> None:
    enqueue_on_commit(run_roster_import, import_id)


@task()
def run_export(job_id: int) -> None:
    """Write a bulk export's ndjson files and manifest; see ``export.run_export``."""
    export.run_export(job_id)


@task()
def expire_export(job_id: int) -> None:
    """Delete an expired export's files (a no-op before it expires or once done)."""
    export.expire_export(job_id)


@receiver(signals.export_requested, dispatch_uid="fhir.run_export")
def _queue_export(sender: Any, *, job_id: int, **kwargs: Any) -> None:
    enqueue_on_commit(run_export, job_id)


@receiver(signals.export_finished, dispatch_uid="fhir.expire_export")
def _queue_expiry(sender: Any, *, job_id: int, expires_at: dt.datetime, **kwargs: Any) -> None:
    enqueue_on_commit(expire_export, job_id, run_after=expires_at)


def _settle_stuck_jobs(older_than: dt.timedelta) -> int:
    return stuck.settle_stuck_jobs(
        older_than,
        export_task=stalled.task_path(run_export),
        import_task=stalled.task_path(run_roster_import),
    )


# Exports and imports a dead worker left under way are failed after each stalled-task sweep.
stalled.also_sweep(_settle_stuck_jobs)
