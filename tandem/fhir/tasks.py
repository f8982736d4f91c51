"""The fhir app's background work: running an uploaded roster import in the worker."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.fhir import roster_actions
from tandem.fhir.signals import roster_import_queued


@task()
def run_roster_import(import_id: int) -> None:
    """Check and apply the roster import ``import_id`` (does nothing if it has already run)."""
    roster_actions.run_roster_import(import_id=import_id)


@receiver(roster_import_queued, dispatch_uid="fhir.run_roster_import")
def _queue_import(*, import_id: int, **_: Any) -> None:
    enqueue_on_commit(run_roster_import, import_id)
