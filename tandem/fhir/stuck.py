"""Settle bulk exports and roster imports that a dead worker left queued or running.

A job's task can be lost while the job's row still says it is under way: the worker
killed after it claimed the task (the stalled-task sweep requeues the task, but a roster
import run again leaves a job it finds running alone), or the task's row gone. Such a
job blocked the system client's next export (429) for ever, and showed "Importing" for
ever. ``settle_stuck_jobs`` runs after each stalled-task sweep (``tandem.core.stalled``):
every job under way for longer than the sweep's cut-off (its lease) whose task is
neither waiting nor running is marked failed, with the reason where its reader looks
(an export's status answer, an import's report), and audited.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.stalled import live_task_args
from tandem.fhir import export, roster_states
from tandem.fhir.models import ExportJob, ExportStatus, RosterImport, RosterStatus
from tandem.fhir.roster import Report
from tandem.fhir.validation import Problem

EXPORT_LOST = (
    "The worker running this export was lost before it finished; start a new one "
    "(nothing from this one can be downloaded)."
)
IMPORT_LOST = Report(
    problems=[
        Problem(
            "Bundle",
            "The worker running this import was lost before it finished. An import applies "
            "all or nothing: upload the roster again (records a run did make are updated, "
            "never duplicated).",
            "exception",
        )
    ]
)


def settle_stuck_jobs(older_than: dt.timedelta, *, export_task: str, import_task: str) -> int:
    """Fail every export and import under way since before ``now - older_than`` with no live
    task (``export_task``, ``import_task``: the task paths that run them); return how many."""
    now = timezone.now()
    cutoff = now - older_than
    settled = 0
    with transaction.atomic():
        live = live_task_args(export_task)
        exports = (
            ExportJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("system__organisation")
            .filter(
                Q(status=ExportStatus.RUNNING, started_at__lt=cutoff)
                | Q(status=ExportStatus.QUEUED, created_at__lt=cutoff)
            )
            .exclude(pk__in=live)
        )
        for job in exports:
            if not export.move(job, ExportStatus.FAILED, error=EXPORT_LOST, finished_at=now):
                continue
            transaction.on_commit(partial(export.delete_files, job))  # a partial run's files
            record(
                actor=None,
                action=AuditAction.EXPORT,
                obj=job,
                organisation=job.system.organisation,
                detail={"via": "fhir-export", "stage": "failed", "reason": "worker lost"},
            )
            settled += 1
    with transaction.atomic():
        live = live_task_args(import_task)
        imports = (
            RosterImport.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organisation")
            .filter(status__in=[RosterStatus.QUEUED, RosterStatus.RUNNING], created_at__lt=cutoff)
            .exclude(pk__in=live)
        )
        for upload in imports:
            upload.report = IMPORT_LOST.as_json()
            upload.bundle = {}
            upload.finished_at = now
            roster_states.move(
                upload, RosterStatus.FAILED, also=("report", "bundle", "finished_at")
            )
            record(
                actor=None,
                action=AuditAction.UPDATE,
                obj=upload,
                organisation=upload.organisation,
                detail={"status": "failed", "reason": "worker lost"},
            )
            settled += 1
    return settled
