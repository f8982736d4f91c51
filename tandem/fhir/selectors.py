"""FHIR reads, each through the same door, policy and consent decision as the web pages.

Nothing here decides who may see what: the referral door (``referrals.access``)
and its consent-gated packet (``referrals.selectors.packet``), the client door
(``clients.access``), the note's consent decision (``care.notes.selectors``) and
the release door (``consent.access``) do. Every read writes its audit row, and
whatever crosses from one practice to another lands in the client's accounting
of disclosures, as it does on the pages.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.notes.access import note_for
from tandem.care.notes.models import ConsultNote, NoteStatus
from tandem.care.notes.pdf import note_pdf
from tandem.care.notes.selectors import note_decision
from tandem.clients.access import client_for, seat
from tandem.consent.access import release_for
from tandem.consent.models import Release
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir import codes, mapping
from tandem.fhir.validation import InvalidResource, Problem
from tandem.organisations.models import Organisation
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.access import referral_for, side_of
from tandem.referrals.models import Referral


@dataclass(frozen=True)
class Search:
    """A search's parsed parameters (already checked)."""

    patient: str | None
    status: str | None
    last_updated: list[tuple[str, dt.datetime]]
    count: int
    offset: int


# --- read -------------------------------------------------------------------------------


def service_request(actor: Any, public_id: Any) -> dict[str, Any]:
    referral = referral_for(actor, public_id)  # the door: 404 for missing or forbidden; audited
    return _service_request(actor, referral)


def _service_request(actor: Any, referral: Referral) -> dict[str, Any]:
    side = side_of(actor, referral)
    sections = referral_selectors.packet(actor, referral, side)  # consent-gated, accounted
    return mapping.service_request(referral, [s.key for s in sections if s.shown])


def task(actor: Any, public_id: Any) -> dict[str, Any]:
    return mapping.task(referral_for(actor, public_id))


def patient(actor: Any, public_id: Any) -> dict[str, Any]:
    return mapping.patient(client_for(actor, public_id))


def consent(actor: Any, public_id: Any) -> dict[str, Any]:
    release = release_for(actor, public_id)
    _record_read(actor, release, release.client)
    return mapping.consent(release)


def document_reference(actor: Any, public_id: Any) -> dict[str, Any]:
    note = note_for(actor, public_id)
    shown = _note_if_shown(actor, note)
    if shown is None:
        raise policy.Forbidden("No release covers this note for the caller's practice.")
    return shown


def organization(actor: Any, public_id: Any) -> dict[str, Any]:
    """Return a practice that takes referrals (its public page says as much), or the caller's own."""
    own = [m.organisation_id for m in policy.active_memberships(actor)]
    org = (
        (referral_selectors.referral_practices() | Organisation.objects.filter(pk__in=own))
        .filter(public_id=public_id)
        .first()
    )
    if org is None:
        raise policy.Forbidden("Not a practice the caller may look up.")
    return mapping.organization(org)


def _note_if_shown(actor: Any, note: ConsultNote) -> dict[str, Any] | None:
    """Return the signed note as a DocumentReference if consent lets it reach ``actor``."""
    if not _note_shown(actor, note):
        return None
    return _document(actor, note)


def _note_shown(actor: Any, note: ConsultNote) -> bool:
    if note.status != NoteStatus.SIGNED:
        return False
    decision = note_decision(actor, note)  # accounted when shown across practices
    return decision is None or decision.allowed


def _document(actor: Any, note: ConsultNote) -> dict[str, Any]:
    _record_read(actor, note, note.client)
    return mapping.document_reference(note, note_pdf(note))


def _record_read(actor: Any, obj: models.Model, client: Any) -> None:
    member = seat(actor, client)
    record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=obj,
        client=client,
        organisation=member.organisation if member else None,
        detail={"via": "fhir"},
    )


# --- search -----------------------------------------------------------------------------

_PREFIXES = ("ge", "gt", "le", "lt", "eq")


def parse_search(params: Any, allowed: set[str], max_count: int, default_count: int) -> Search:
    """Return the search's parameters, or raise InvalidResource naming the bad parameter."""
    problems = [
        Problem(name, f"Unknown search parameter {name!r}.", "not-supported")
        for name in params
        if name not in allowed | {"_count", "_offset", "_lastUpdated", "_format"}
    ]
    count, offset = default_count, 0
    try:
        count = int(params.get("_count", default_count))
        if not 1 <= count <= max_count:
            raise ValueError
    except ValueError:
        problems.append(Problem("_count", f"_count is a whole number from 1 to {max_count}."))
    try:
        offset = int(params.get("_offset", 0))
        if offset < 0:
            raise ValueError
    except ValueError:
        problems.append(Problem("_offset", "_offset is a whole number, 0 or more."))
    bounds = []
    for raw in params.getlist("_lastUpdated"):
        prefix, value = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        moment = _moment(value)
        if moment is None:
            problems.append(
                Problem("_lastUpdated", "_lastUpdated is a date or date-time, e.g. ge2026-01-31.")
            )
        else:
            bounds.append((prefix, moment))
    if problems:
        raise InvalidResource(problems)
    patient = params.get("patient")
    if patient:
        patient = patient.removeprefix("Patient/")
    return Search(patient or None, params.get("status") or None, bounds, count, offset)


def _moment(value: str) -> dt.datetime | None:
    try:
        return _parse_moment(value)
    except ValueError:  # well formed but not a real day or time: 2027-02-30
        return None


def _parse_moment(value: str) -> dt.datetime | None:
    moment = parse_datetime(value) if "T" in value else None
    if moment is None:
        day = parse_date(value) if len(value) == 10 else None
        if day is None:
            return None
        moment = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _filter_updated(qs: models.QuerySet[Any], field: str, search: Search) -> models.QuerySet[Any]:
    lookups = {"ge": "gte", "gt": "gt", "le": "lte", "lt": "lt", "eq": "gte"}
    for prefix, moment in search.last_updated:
        qs = qs.filter(**{f"{field}__{lookups[prefix]}": moment})
    return qs


def _page(qs: models.QuerySet[Any], search: Search) -> tuple[list[Any], int]:
    total = qs.count()
    return list(qs[search.offset : search.offset + search.count]), total


def _referrals(actor: Any, search: Search, status_map: dict[str, Any]) -> tuple[list[Any], int]:
    qs = policy.scope(actor, Action.VIEW, Referral.objects.all()).select_related(
        "client", "therapist", "from_organisation", "to_organisation"
    )
    if search.patient:
        qs = qs.filter(client__public_id=_uuid_or_none(search.patient))
    if search.status:
        wanted = [s for s, fhir in status_map.items() if fhir in search.status.split(",")]
        qs = qs.filter(status__in=wanted)
    qs = _filter_updated(qs, "updated_at", search).order_by("-updated_at", "-pk")
    rows, total = _page(qs, search)
    for referral in rows:
        record(
            actor=actor,
            action=AuditAction.VIEW,
            obj=referral,
            client=referral.client,
            organisation=referral.to_organisation,
            actor_role=side_of(actor, referral),
            detail={"via": "fhir-search"},
        )
    return rows, total


def search_service_requests(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    rows, total = _referrals(actor, search, codes.SERVICE_REQUEST_STATUS)
    return [_service_request(actor, r) for r in rows], total


def search_tasks(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    status_map = {state: pair[0] for state, pair in codes.TASK_STATUS.items()}
    rows, total = _referrals(actor, search, status_map)
    return [mapping.task(r) for r in rows], total


def search_document_references(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    """Signed notes the caller's team may open; those no release lets across are absent."""
    qs = policy.scope(
        actor, Action.VIEW, ConsultNote.objects.filter(status=NoteStatus.SIGNED)
    ).select_related("client", "author", "organisation")
    if search.patient:
        qs = qs.filter(client__public_id=_uuid_or_none(search.patient))
    qs = _filter_updated(qs, "updated_at", search).order_by("-updated_at", "-pk")
    # Consent decides for every candidate (the total counts only what may be shown); only the
    # page is rendered and audited.
    shown = [n for n in qs if _note_shown(actor, n)]
    page = shown[search.offset : search.offset + search.count]
    return [_document(actor, n) for n in page], len(shown)


def search_consents(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    qs = policy.scope(actor, Action.VIEW, Release.objects.all()).select_related("client")
    if search.patient:
        qs = qs.filter(client__public_id=_uuid_or_none(search.patient))
    if search.status:
        status_map = {
            "draft": ["draft"],
            "active": ["signed"],
            "inactive": ["revoked", "superseded"],
            "rejected": ["withdrawn"],
        }
        qs = qs.filter(
            status__in=[s for f in search.status.split(",") for s in status_map.get(f, [])]
        )
    qs = qs.order_by("-prepared_at", "-pk").prefetch_related("parties__organisation")
    rows, total = _page(qs, search)
    for release in rows:
        _record_read(actor, release, release.client)
    return [mapping.consent(r) for r in rows], total


def _uuid_or_none(value: str) -> Any:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


SearchFn = Callable[[Any, Search], tuple[list[dict[str, Any]], int]]
ReadFn = Callable[[Any, Any], dict[str, Any]]

#: Resource type -> (read, search or None, the search parameters it takes besides the common ones).
RESOURCES: dict[str, tuple[ReadFn, SearchFn | None, set[str]]] = {
    "ServiceRequest": (service_request, search_service_requests, {"patient", "status"}),
    "Task": (task, search_tasks, {"patient", "status"}),
    "Patient": (patient, None, set()),
    "Consent": (consent, search_consents, {"patient", "status"}),
    "DocumentReference": (document_reference, search_document_references, {"patient"}),
    "Organization": (organization, None, set()),
}
