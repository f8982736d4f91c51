"""The Bulk Data ``$export`` endpoints: kick-off, status (poll, cancel), and file downloads.

See ``export`` for what an export holds and how the worker writes it; these views only
parse, authenticate (``views.fhir_endpoint``), check the scope and the job's door, and
answer as the FHIR Bulk Data Access IG says.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_http_methods

from tandem.fhir import export, mapping, scopes
from tandem.fhir.auth import Caller
from tandem.fhir.models import ExportJob, ExportStatus, SystemClient
from tandem.fhir.outcome import error, errors, operation_outcome, resource_response
from tandem.fhir.validation import Problem
from tandem.fhir.views import fhir_endpoint

NDJSON = "application/fhir+ndjson"
_PARAMS = ("_type", "_since", "_outputFormat")


#: The manifest echoes the kick-off's URL, kept in a column of this size.
MAX_REQUEST_URL = ExportJob._meta.get_field("request_url").max_length or 2000


@require_GET
@fhir_endpoint
def kick_off(request: HttpRequest, caller: Caller) -> HttpResponse:
    """Queue an export of the practice's own data; answer 202 with the status URL to poll."""
    if caller.system is None:
        return error(
            403,
            "Bulk export is for a practice's systems (client credentials), not apps acting "
            "for a person.",
            "forbidden",
        )
    if "respond-async" not in request.headers.get("Prefer", ""):
        return error(
            400,
            "A bulk export answers later: send the header Prefer: respond-async.",
            "required",
            "Prefer",
        )
    problems = [
        Problem(name, f"Unknown parameter {name!r}; this server takes {', '.join(_PARAMS)}.")
        for name in request.GET
        if name not in _PARAMS
    ]
    output_format = request.GET.get("_outputFormat", NDJSON)
    if output_format not in export.OUTPUT_FORMATS:
        problems.append(Problem("_outputFormat", f"_outputFormat is {NDJSON} (the only one)."))
    types = [t for raw in request.GET.getlist("_type") for t in raw.split(",") if t.strip()]
    unknown = [t for t in types if t not in export.EXPORT_TYPES]
    if unknown:
        problems.append(
            Problem(
                "_type",
                f"Not a type this server exports: {', '.join(unknown)}; it exports "
                f"{', '.join(export.EXPORT_TYPES)}.",
                "not-supported",
            )
        )
    since = None
    raw_since = request.GET.get("_since")
    if raw_since is not None:
        since = _instant(raw_since)
        if since is None:
            problems.append(
                Problem("_since", "_since is an instant with its zone, e.g. 2026-11-01T00:00:00Z.")
            )
    if len(request.build_absolute_uri()) > MAX_REQUEST_URL:
        problems.append(
            Problem("_type", f"The kick-off URL is at most {MAX_REQUEST_URL:,} characters long.")
        )
    if problems:
        return errors(400, problems)
    wanted = list(dict.fromkeys(types))
    lacking = [
        t for t in wanted or export.EXPORT_TYPES if not scopes.permits(caller.scopes, t, "read")
    ]
    if lacking:
        return error(
            403,
            "The access token lacks a read scope for "
            f"{', '.join(lacking)} (system/*.read, or system/<type>.read with _type).",
            "forbidden",
        )
    try:
        job = export.start_export(
            system=caller.system,  # not None: checked above
            actor=caller.actor,
            types=wanted,
            since=since,
            request_url=request.build_absolute_uri(),
        )
    except export.Busy as busy:
        return error(429, f"{busy} Poll it, or cancel it with DELETE.", "too-costly")
    status_url = request.build_absolute_uri(
        reverse("fhir:export-status", kwargs={"job_id": job.public_id})
    )
    accepted = operation_outcome(
        [Problem("", "Export queued; poll the Content-Location.", "informational")],
        severity="information",
    )
    return resource_response(accepted, status=202, headers={"Content-Location": status_url})


def _instant(value: str) -> Any:
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


def _system(caller: Caller) -> SystemClient:
    """The system client behind the call; an app acting for a person has no exports (404)."""
    if caller.system is None:
        raise Http404
    return caller.system


@require_http_methods(["GET", "DELETE"])
@fhir_endpoint
def status(request: HttpRequest, caller: Caller, job_id: Any) -> HttpResponse:
    """GET: 202 while it runs, the manifest when done. DELETE: cancel it, or delete its files."""
    job = export.job_for(_system(caller), job_id)
    if request.method == "DELETE":
        export.cancel_export(actor=caller.actor, job=job)
        cancelled = operation_outcome(
            [Problem("", "Export cancelled; its files are deleted.", "informational")],
            severity="information",
        )
        return resource_response(cancelled, status=202)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or str(job.status)
        response["Retry-After"] = "5"
        return response
    if job.status != ExportStatus.DONE:
        return error(500, job.error or "The export failed; start a new one.", "exception")
    manifest = {
        "transactionTime": mapping.instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": request.build_absolute_uri(
                    reverse(
                        "fhir:export-file",
                        kwargs={"job_id": job.public_id, "resource_type": item["type"]},
                    )
                ),
                "count": item["count"],
            }
            for item in job.output
        ],
        "error": [],
    }
    response = HttpResponse(json.dumps(manifest), content_type="application/json")
    if job.expires_at is not None:
        response["Expires"] = http_date(job.expires_at.timestamp())
    return response


@require_GET
@fhir_endpoint
def download(request: HttpRequest, caller: Caller, job_id: Any, resource_type: str) -> HttpResponse:
    """Stream one of a finished export's ndjson files, to the system that asked for it."""
    job = export.job_for(_system(caller), job_id)
    item = export.output_file(job, resource_type)
    if not scopes.permits(caller.scopes, resource_type, "read"):
        return error(403, f"The access token lacks system/{resource_type}.read.", "forbidden")
    handle = export.open_download(actor=caller.actor, job=job, item=item)
    # A streaming response: fhir_endpoint passes it through like any other.
    return cast(HttpResponse, FileResponse(handle, content_type=NDJSON))
