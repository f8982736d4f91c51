"""A roster import in any state, for the status-table test (``core/tests/test_status_assignments.py``)."""

from __future__ import annotations

from typing import Any

from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.fhir.models import ExportJob, RosterImport


def roster_import_in(source: str, target: str) -> tuple[RosterImport, dict[str, Any]]:
    admin = make_staff(Role.PRACTICE_ADMIN)
    job = RosterImport.objects.create(
        organisation=admin.memberships.get().organisation, requested_by=admin
    )
    RosterImport.objects.filter(pk=job.pk).update(status=source)
    job.refresh_from_db()
    return job, {}


SUBJECTS = {"roster_states": roster_import_in}


def export_job_in(source: str, target: str) -> tuple[ExportJob, dict[str, Any]]:
    from tandem.fhir.tests.factories import system_client

    prescriber = make_staff(Role.PRESCRIBER)
    system = system_client(prescriber, prescriber.memberships.get().organisation)
    job = ExportJob.objects.create(
        system=system, types=[], request_url="https://tandem.invalid/fhir/$export"
    )
    ExportJob.objects.filter(pk=job.pk).update(status=source)
    job.refresh_from_db()
    return job, {}


SUBJECTS["export_states"] = export_job_in
