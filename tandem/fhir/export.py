"""FHIR Bulk Data ``$export`` of a practice's own data: kick-off, the worker's run, cancel, expiry.

What a practice's export holds is what the practice itself wrote or holds, read
through the same policy rules as its pages and the API's searches, for the person
the system client acts for in that practice only (``auth.actor_for``):

- ``Organization``: the practice itself; ``Practitioner`` / ``PractitionerRole``: its
  colleagues (the directory rule, which asks for that person's second factor);
- ``Patient``: the clients on the acting person's care teams in the practice;
- ``ServiceRequest``: the referrals the practice sent (their whole packet is its own);
  ``Task``: the referrals it sent or received (the loop's state, no packet);
- ``Appointment``: visits on the practice's own calendar;
- ``MedicationStatement``, ``QuestionnaireResponse``, ``Observation``: medication changes
  and questionnaire answers and scores its own members recorded.

Nothing another practice wrote is in it, so no consent decision has to let anything
across and nothing lands in an accounting of disclosures; a received referral's packet,
consult notes and releases (which the consent decision gates record by record) are read
one by one through the API instead. Every exported record is an ``export`` event on the
audit trail, appended one chunk at a time (``record_many``), and each download is one more.

The worker streams: each type's queryset is read ``.iterator(chunk_size=...)`` with its
relations joined, each chunk mapped by ``mapping`` and written to a temporary file, its
audit events appended together, then the file is saved to the private ``fhir_exports``
storage. Memory and queries per chunk stay constant whatever the size of the practice.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import models, transaction
from django.utils import timezone

from tandem.audit.actions import record, record_many
from tandem.audit.models import AuditAction
from tandem.care.medications.models import MedicationEvent
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir import export_states, mapping, selectors, signals
from tandem.fhir.auth import actor_for
from tandem.fhir.models import ExportJob, ExportStatus, SystemClient
from tandem.measures.models import QuestionnaireResponse
from tandem.organisations.models import Organisation
from tandem.referrals.models import Referral
from tandem.scheduling.models import Appointment, AppointmentHistory

OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
STORAGE_ALIAS = "fhir_exports"
#: The packet sections a ServiceRequest the practice sent carries: all of them (its own words).
_ALL_SECTIONS = tuple(mapping.SECTION_FIELDS)


class Busy(Exception):
    """The system client already has an export queued or running."""


# --- what each type exports --------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One exportable resource type: its rows for (actor, practice, since), and its mapping."""

    rows: Callable[[Any, Organisation, dt.datetime | None], models.QuerySet[Any]]
    resource: Callable[[Any], dict[str, Any]]
    #: The client a row is about (its audit event names them), if any.
    client: Callable[[Any], Any] = lambda row: row.client


def _nobody(row: Any) -> None:
    return None


def _since(qs: models.QuerySet[Any], field: str, since: dt.datetime | None) -> models.QuerySet[Any]:
    return qs.filter(**{f"{field}__gte": since}) if since else qs


def _organization(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    return Organisation.objects.filter(pk=org.pk)


def _roles(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    return selectors._roles(actor).filter(organisation=org).order_by("pk")


def _practitioners(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    return selectors._practitioners(actor)


def _patients(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    qs = policy.scope(actor, Action.VIEW, Client.objects.all()).order_by("pk")
    return _since(qs, "created_at", since)


def _referrals(actor: Any, org: Organisation, since: dt.datetime | None, sent_only: bool) -> Any:
    qs = policy.scope(actor, Action.VIEW, Referral.objects.all()).select_related(
        "client", "therapist", "to_organisation"
    )
    owned = models.Q(from_organisation=org)
    if not sent_only:
        owned |= models.Q(to_organisation=org)
    return _since(qs.filter(owned), "updated_at", since).order_by("pk")


def _appointments(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    qs = (
        policy.scope(actor, Action.VIEW, Appointment.objects.all())
        .filter(organisation=org, client__isnull=False)
        .select_related("client", "prescriber", "appointment_type")
        .order_by("pk")
    )
    if since:
        changed = AppointmentHistory.objects.filter(at__gte=since).values("appointment_id")
        qs = qs.filter(models.Q(created_at__gte=since) | models.Q(pk__in=changed))
    return qs


def _medications(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    qs = policy.scope(
        actor,
        Action.VIEW,
        MedicationEvent.objects.filter(organisation=org).select_related("client", "prescriber"),
    ).order_by("pk")
    return _since(qs, "occurred_at", since)


def _responses(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    qs = policy.scope(
        actor,
        Action.VIEW,
        QuestionnaireResponse.objects.filter(organisation=org).select_related("client"),
    ).order_by("pk")
    return _since(qs, "entered_at", since)


def _scores(actor: Any, org: Organisation, since: dt.datetime | None) -> Any:
    return _responses(actor, org, since).filter(total__isnull=False)


#: Resource type -> where its rows come from; the order is the export's.
SOURCES: dict[str, Source] = {
    "Organization": Source(_organization, mapping.organization, client=_nobody),
    "Practitioner": Source(_practitioners, mapping.practitioner, client=_nobody),
    "PractitionerRole": Source(_roles, mapping.practitioner_role, client=_nobody),
    "Patient": Source(_patients, mapping.patient, client=lambda row: row),
    "ServiceRequest": Source(
        lambda a, o, s: _referrals(a, o, s, sent_only=True),
        lambda r: mapping.service_request(r, _ALL_SECTIONS),
    ),
    "Task": Source(lambda a, o, s: _referrals(a, o, s, sent_only=False), mapping.task),
    "Appointment": Source(_appointments, mapping.appointment),
    "MedicationStatement": Source(_medications, mapping.medication_statement),
    "QuestionnaireResponse": Source(_responses, mapping.questionnaire_response),
    "Observation": Source(_scores, lambda r: mapping.score_observation(r) or {}),
}
EXPORT_TYPES = tuple(SOURCES)


def storage() -> Storage:
    """Return the private storage export files live in (never under a public MEDIA URL)."""
    return storages[STORAGE_ALIAS]


def file_name(job: ExportJob, resource_type: str) -> str:
    return f"{job.public_id}/{resource_type}.ndjson"


# --- the job's door ---------------------------------------------------------------------


def job_for(system: SystemClient, public_id: Any) -> ExportJob:
    """Return the system's own live job; any other (someone else's, expired) is not found."""
    job = (
        ExportJob.objects.filter(public_id=public_id, system=system)
        .exclude(status__in=[ExportStatus.CANCELLED, ExportStatus.EXPIRED])
        .first()
    )
    if job is None:
        raise policy.Forbidden("No export of this client's.")
    if job.expires_at is not None and job.expires_at <= timezone.now():
        raise policy.Forbidden("This export has expired.")  # even before the cleanup has run
    return job


def output_file(job: ExportJob, resource_type: str) -> dict[str, Any]:
    """Return the manifest entry of the job's file for ``resource_type``; none is not found."""
    if job.status == ExportStatus.DONE:
        for item in job.output:
            if item["type"] == resource_type:
                return dict(item)
    raise policy.Forbidden("No such file in this export.")


# --- actions ------------------------------------------------------------------------------


def move(job: ExportJob, to: str, **fields: Any) -> bool:
    """Move ``job`` to ``to`` if its states allow it now; False if they don't or it moved first.

    A DELETE of an export already cancelled or expired, or a worker finishing one the
    system cancelled meanwhile, is not an error: the job is simply left as it is.
    """
    try:
        return export_states.move(job, to, **fields)
    except export_states.TransitionError:
        return False


def _audit_job(actor: Any, job: ExportJob, stage: str, **detail: Any) -> None:
    record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=job,
        organisation=job.system.organisation,
        detail={"via": "fhir-export", "stage": stage, **detail},
    )


def start_export(
    *,
    system: SystemClient,
    actor: Any,
    types: list[str],
    since: dt.datetime | None,
    request_url: str,
) -> ExportJob:
    """Queue an export of ``types`` (all exportable when empty) changed since ``since``."""
    with transaction.atomic():
        # One export at a time per system: a second would only compete for the worker.
        SystemClient.objects.select_for_update().filter(pk=system.pk).first()
        if ExportJob.objects.filter(
            system=system, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
        ).exists():
            raise Busy("This client already has an export queued or running.")
        job = ExportJob.objects.create(
            system=system, types=types, since=since, request_url=request_url
        )
        _audit_job(actor, job, "requested", types=types or list(EXPORT_TYPES))
        signals.export_requested.send(sender=ExportJob, job_id=job.pk)
    return job


def cancel_export(*, actor: Any, job: ExportJob) -> None:
    """Cancel a queued or running job, or delete a finished one's files (the client's DELETE)."""
    with transaction.atomic():
        move(job, ExportStatus.CANCELLED, finished_at=timezone.now())
        _audit_job(actor, job, "cancelled")
        transaction.on_commit(lambda: delete_files(job))


def open_download(*, actor: Any, job: ExportJob, item: dict[str, Any]) -> IO[bytes]:
    """Audit a download of one of the job's files and return it open for streaming."""
    handle = storage().open(item["file"], "rb")
    _audit_job(actor, job, "downloaded", type=item["type"], count=item["count"])
    return handle


def expire_export(job_id: int) -> None:
    """Delete a finished job's files once it has expired (idempotent; the cleanup task's)."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.expires_at is None or job.expires_at > timezone.now():
        return
    if move(job, ExportStatus.EXPIRED):
        delete_files(job)


def delete_files(job: ExportJob) -> None:
    store = storage()
    for resource_type in EXPORT_TYPES:
        name = file_name(job, resource_type)
        if store.exists(name):
            store.delete(name)


# --- the worker's run ---------------------------------------------------------------------


def run_export(job_id: int) -> None:
    """Write the job's files and manifest (the worker's body; a finished job is left alone)."""
    job = ExportJob.objects.select_related("system__organisation").filter(pk=job_id).first()
    if job is None or job.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        return
    now = timezone.now()
    if job.status == ExportStatus.QUEUED and not move(
        job, ExportStatus.RUNNING, started_at=now, transaction_time=now
    ):
        return  # cancelled meanwhile
    system = job.system
    if not system.is_active:
        move(job, ExportStatus.FAILED, error="The system client was switched off.")
        return
    try:
        output = _write_all(job, actor_for(system))
    except _Cancelled:
        delete_files(job)
        return
    except Exception:
        delete_files(job)
        move(
            job,
            ExportStatus.FAILED,
            error="The export failed on the server; start a new one.",
            finished_at=timezone.now(),
        )
        raise
    finished = timezone.now()
    expires = finished + dt.timedelta(hours=settings.FHIR_EXPORT_TTL_HOURS)
    if move(
        job,
        ExportStatus.DONE,
        output=output,
        progress="done",
        finished_at=finished,
        expires_at=expires,
    ):
        signals.export_finished.send(sender=ExportJob, job_id=job.pk, expires_at=expires)
    else:
        delete_files(job)


class _Cancelled(Exception):
    pass


def _write_all(job: ExportJob, actor: Any) -> list[dict[str, Any]]:
    org = job.system.organisation
    output = []
    for resource_type in job.types or EXPORT_TYPES:
        count = _write_type(job, actor, org, resource_type)
        if count:
            output.append(
                {"type": resource_type, "file": file_name(job, resource_type), "count": count}
            )
    return output


def _write_type(job: ExportJob, actor: Any, org: Organisation, resource_type: str) -> int:
    """Stream one type's rows into its ndjson file, chunk by chunk; return how many."""
    source = SOURCES[resource_type]
    rows = source.rows(actor, org, job.since)
    chunk_size = settings.FHIR_EXPORT_CHUNK
    count = 0
    with tempfile.TemporaryFile() as spool:
        for chunk in _chunks(rows.iterator(chunk_size=chunk_size), chunk_size):
            for row in chunk:
                spool.write(json.dumps(source.resource(row), separators=(",", ":")).encode())
                spool.write(b"\n")
            record_many([_entry(actor, org, row, source, resource_type) for row in chunk])
            count += len(chunk)
            still = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
                progress=f"{resource_type}: {count} written"
            )
            if not still:
                raise _Cancelled
        if count:
            spool.seek(0)
            store = storage()
            name = file_name(job, resource_type)
            if store.exists(name):  # a rerun after a crash: write it afresh
                store.delete(name)
            store.save(name, File(spool))
    return count


def _chunks(rows: Iterator[Any], size: int) -> Iterator[tuple[Any, ...]]:
    return itertools.batched(rows, size, strict=False)


def _entry(
    actor: Any, org: Organisation, row: Any, source: Source, resource_type: str
) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": AuditAction.EXPORT,
        "obj": row,
        "organisation": org,
        "client": source.client(row),
        "detail": {"via": "fhir-export", "type": resource_type},
    }
