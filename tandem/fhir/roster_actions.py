"""Writes of a roster import's job: starting it from an upload, and the worker's run.

The import itself (checking and applying the Bundle) is ``roster.import_roster``;
these keep the job the admin's page follows: its progress, its report, its state.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.policy import Forbidden
from tandem.fhir import roster_states, signals
from tandem.fhir.models import RosterImport, RosterStatus
from tandem.fhir.roster import Report, import_roster
from tandem.fhir.validation import Problem
from tandem.organisations.models import Organisation
from tandem.organisations.settings_actions import require_manager

logger = logging.getLogger(__name__)

#: The report of an import that failed on an error of Tandem's own (its details are logged).
FAILED_REPORT = Report(
    problems=[
        Problem(
            "Bundle",
            "Tandem could not finish this import, and nothing was imported. Try again; if it "
            "fails again, tell your Tandem operator the import's id.",
            "exception",
        )
    ]
)

NOT_ADMIN_REPORT = Report(
    problems=[
        Problem(
            "Bundle",
            "Nothing was imported: whoever uploaded it is no longer an admin of the practice.",
            "forbidden",
        )
    ]
)


@transaction.atomic
def start_roster_import(
    *, actor: Any, organisation: Organisation, bundle: dict[str, Any]
) -> RosterImport:
    """Keep the uploaded Bundle as a job for the worker and queue it after commit."""
    require_manager(actor, organisation)
    entries = bundle.get("entry")
    job = RosterImport.objects.create(
        organisation=organisation,
        requested_by=actor,
        bundle=bundle,
        total=len(entries) if isinstance(entries, list) else 0,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=job,
        organisation=organisation,
        detail={"entries": job.total},
    )
    signals.roster_import_queued.send(sender=RosterImport, import_id=job.pk)
    return job


def run_roster_import(*, import_id: int) -> None:
    """Check and apply a queued import, keeping its progress and report; run once per job.

    Runs outside a transaction so the page can follow the progress of the check;
    the import applies everything in its own transaction, or nothing.
    """
    with transaction.atomic():
        job = (
            RosterImport.objects.select_for_update()
            .select_related("organisation", "requested_by")
            .filter(pk=import_id, status=RosterStatus.QUEUED)
            .first()
        )
        if job is None:  # already run (a second delivery of the task)
            return
        roster_states.move(job, RosterStatus.RUNNING)

    def progress(checked: int, total: int) -> None:
        # A write per percent, not per entry: a roster of thousands stays a few hundred writes.
        if checked == total or checked % max(1, total // 100) == 0:
            RosterImport.objects.filter(pk=job.pk).update(checked=checked, total=total)

    try:
        report = import_roster(
            actor=job.requested_by,
            organisation=job.organisation,
            bundle=job.bundle,
            progress=progress,
        )
        target = RosterStatus.DONE if report.applied else RosterStatus.REJECTED
    except Forbidden:  # no longer the practice's admin since the upload
        report, target = NOT_ADMIN_REPORT, RosterStatus.REJECTED
    except Exception:
        logger.exception("Roster import %s failed", job.public_id)
        report, target = FAILED_REPORT, RosterStatus.FAILED
    job.refresh_from_db(fields=["checked", "total"])
    job.report = report.as_json()
    job.bundle = {}  # the people's details are in their records now, or nowhere
    job.finished_at = timezone.now()
    roster_states.move(job, target, also=("report", "bundle", "finished_at"))


def record_report_read(*, actor: Any, job: RosterImport) -> None:
    """Put the admin's reading of an import's page on the trail (it lists the records made)."""
    record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=job,
        organisation=job.organisation,
        detail={"status": job.status},
    )
