"""Background work of the FHIR API: bulk exports, and deleting their files once expired."""

from __future__ import annotations

from django.tasks import task

from tandem.fhir import export


@task()
def run_export(job_id: int) -> None:
    """Write a bulk export's ndjson files and manifest; see ``export.run_export``."""
    export.run_export(job_id)


@task()
def expire_export(job_id: int) -> None:
    """Delete an expired export's files (a no-op before it expires or once done)."""
    export.expire_export(job_id)
