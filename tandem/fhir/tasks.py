"""Background work of the FHIR API: bulk exports, and deleting their files once expired."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.fhir import export, signals


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
