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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tandem.accounts.models import User
from tandem.audit.actions import record, record_many
from tandem.audit.models import AuditAction
from tandem.care.medications.models import MedicationChange, MedicationEvent
from tandem.care.notes.access import note_for
from tandem.care.notes.models import Addendum, ConsultNote, NoteStatus
from tandem.care.notes.pdf import note_pdf
from tandem.care.notes.selectors import note_decision, note_decisions
from tandem.clients.access import client_for, seat, seats
from tandem.clients.models import Client
from tandem.consent.access import release_for
from tandem.consent.categories import Category
from tandem.consent.models import Release
from tandem.consent.timeline import Gate
from tandem.core import policy
from tandem.core.policy import Action
from tandem.fhir import codes, mapping, versions
from tandem.fhir.validation import InvalidResource, Problem
from tandem.measures import sharing as measures_sharing
from tandem.measures.models import QuestionnaireResponse
from tandem.organisations.models import Membership, Organisation
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.access import referral_for, side_of
from tandem.referrals.models import Referral
from tandem.scheduling import timeline as appointment_timeline
from tandem.scheduling.models import Appointment


@dataclass(frozen=True)
class Search:
    """A search's parsed parameters (already checked)."""

    patient: str | None
    status: str | None
    last_updated: list[tuple[str, dt.datetime]]
    count: int
    offset: int
    #: The resource's clinical date (Appointment ``date``, MedicationStatement ``effective``,
    #: QuestionnaireResponse ``authored``, Observation ``date``), with prefixes.
    date: list[tuple[str, dt.datetime]] = field(default_factory=list)
    #: Every allowed parameter as sent (a resource's own ones: Slot ``start``, ``service-type``).
    params: dict[str, list[str]] = field(default_factory=dict)


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
    version, at = versions.consent_version_of([release])[release.pk]
    return versions.with_meta(mapping.consent(release), version, at)


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


def _note_shown(actor: Any, note: ConsultNote, *, account: bool = True) -> bool:
    if note.status != NoteStatus.SIGNED:
        return False
    decision = note_decision(actor, note, account=account)  # accounted when shown across
    return decision is None or decision.allowed


def _document(actor: Any, note: ConsultNote) -> dict[str, Any]:
    _record_read(actor, note, note.client)
    return mapping.document_reference(note, note_pdf(note))


def _read_entry(actor: Any, obj: models.Model, client: Any, via: str) -> dict[str, Any]:
    """``record``'s arguments for one read of ``obj`` about ``client`` through the API."""
    member = seat(actor, client)
    return {
        "actor": actor,
        "action": AuditAction.VIEW,
        "obj": obj,
        "client": client,
        "organisation": member.organisation if member else None,
        "detail": {"via": via},
    }


def _record_read(actor: Any, obj: models.Model, client: Any, via: str = "fhir") -> None:
    record(**_read_entry(actor, obj, client, via))


def _record_page(actor: Any, rows: list[Any], via: str = "fhir-search") -> None:
    """Audit each record a search page shows, one event each, in one batched append."""
    members = seats(actor, {row.client_id for row in rows}) if rows else {}
    entries = []
    for row in rows:
        member = members.get(row.client_id)
        entries.append(
            {
                "actor": actor,
                "action": AuditAction.VIEW,
                "obj": row,
                "client": row.client,
                "organisation": member.organisation if member else None,
                "detail": {"via": via},
            }
        )
    record_many(entries)


# --- search -----------------------------------------------------------------------------

_PREFIXES = ("ge", "gt", "le", "lt", "eq")


def parse_search(params: Any, allowed: set[str], max_count: int, default_count: int) -> Search:
    """Return the search's parameters, or raise InvalidResource naming the bad parameter."""
    problems = [
        Problem(name, f"Unknown search parameter {name!r}.", "not-supported")
        for name in params
        if name not in allowed | {"_count", "_offset", "_format"}
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
    bounds = _bounds(params, "_lastUpdated", problems)
    dates = [b for name in DATE_PARAMS if name in allowed for b in _bounds(params, name, problems)]
    if problems:
        raise InvalidResource(problems)
    patient = params.get("patient")
    if patient:
        patient = patient.removeprefix("Patient/")
    sent = {name: params.getlist(name) for name in allowed if name in params}
    return Search(patient or None, params.get("status") or None, bounds, count, offset, dates, sent)


#: The date search parameters, by the name FHIR gives each resource's clinical date.
DATE_PARAMS = ("date", "effective", "authored")


def _bounds(params: Any, name: str, problems: list[Problem]) -> list[tuple[str, dt.datetime]]:
    bounds = []
    for raw in params.getlist(name):
        prefix, value = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
        moment = _moment(value)
        if moment is None:
            problems.append(Problem(name, f"{name} is a date or date-time, e.g. ge2026-01-31."))
        else:
            bounds.append((prefix, moment))
    return bounds


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
    return _filter_moments(qs, field, search.last_updated)


def _filter_moments(
    qs: models.QuerySet[Any], field: str, bounds: list[tuple[str, dt.datetime]]
) -> models.QuerySet[Any]:
    lookups = {"ge": "gte", "gt": "gt", "le": "lte", "lt": "lt", "eq": "gte"}
    for prefix, moment in bounds:
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
    record_referral_reads(actor, rows, via="fhir-search")
    return rows, total


def record_referral_reads(actor: Any, referrals: list[Referral], *, via: str) -> None:
    """Audit one read of each of ``referrals`` by ``actor``, in one batched append."""
    record_many(
        [
            {
                "actor": actor,
                "action": AuditAction.VIEW,
                "obj": referral,
                "client": referral.client,
                "organisation": referral.to_organisation,
                "actor_role": side_of(actor, referral),
                "detail": {"via": via},
            }
            for referral in referrals
        ]
    )


def search_service_requests(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    rows, total = _referrals(actor, search, codes.SERVICE_REQUEST_STATUS)
    # Each packet's consent is decided over the page's releases, loaded once for the page.
    packets = referral_selectors.packets(actor, rows)
    return [
        mapping.service_request(r, [s.key for s in packets[r.pk] if s.shown]) for r in rows
    ], total


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
    # Consent decides for every candidate (the total counts only what may be shown), over
    # inputs loaded once for them all, without accounting: only the page is disclosed, so
    # only the page is accounted and audited. The PDFs are made for the page only.
    candidates = list(qs)
    decisions = note_decisions(actor, candidates)
    shown = [n for n in candidates if decisions.shown(n)]
    page = shown[search.offset : search.offset + search.count]
    decisions.account(page)  # the accounting of disclosures, for what is sent
    _record_page(actor, page)
    models.prefetch_related_objects(
        page, models.Prefetch("addenda", queryset=Addendum.objects.select_related("author"))
    )
    return [mapping.document_reference(n, note_pdf(n)) for n in page], len(shown)


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
    _record_page(actor, rows, via="fhir")
    numbers = versions.consent_version_of(rows)
    return [versions.with_meta(mapping.consent(r), *numbers[r.pk]) for r in rows], total


def _uuid_or_none(value: str) -> Any:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- the shared record: appointments, medications, questionnaires ----------------------
#
# The doors are the pages' own: the one care-team rule for medication changes and
# questionnaire responses (``clients.access.register_team_rule``), the appointment rule
# (``scheduling.access``) for a practice's own calendar and the client door for the care
# team's view of it, as on the timeline. What another practice wrote reaches the caller
# only while the consent decision lets its category across (``consent.timeline.Gate``,
# the pages' gate); what it withholds is simply absent, and every showing across
# practices lands in the client's accounting of disclosures.


@dataclass(frozen=True)
class _Shared:
    """How one kind of shared record is gated: its consent category and who wrote it."""

    category: str
    author: Callable[[Any], int | None]
    describe: Callable[[Any], str]


_MEDICATION = _Shared(
    Category.MEDICATIONS,
    lambda e: e.prescriber_id,
    lambda e: f"Medication update {e.reference}",
)
_RESPONSE = _Shared(
    measures_sharing.CATEGORY,
    lambda r: r.entered_by_id,
    lambda r: f"{r.instrument_name} result",
)
_APPOINTMENT = _Shared(
    Category.ATTENDANCE,
    lambda a: a.prescriber_id,
    lambda a: "Psychiatric appointment: date, status and type",
)


def _shown(actor: Any, rows: Iterable[Any], kind: _Shared) -> tuple[list[Any], dict[int, Gate]]:
    """Return the rows consent lets reach ``actor`` (own practice's always), and the gates."""
    own = {m.organisation_id for m in policy.active_memberships(actor)}
    gates: dict[int, Gate] = {}
    shown = []
    for row in rows:
        if row.organisation_id in own:
            shown.append(row)
            continue
        gate = gates.get(row.client_id)
        if gate is None:
            member = seat(actor, row.client)
            gate = gates[row.client_id] = Gate(
                actor, row.client, member.organisation_id if member else None
            )
        decision = gate(
            kind.category,
            row.organisation_id,
            kind.author(row),
            obj=row,
            description=kind.describe(row),
        )
        if decision is None or decision.allowed:
            shown.append(row)
    return shown, gates


def _disclose(actor: Any, page: list[Any], gates: dict[int, Gate], via: str) -> None:
    """Account the page's showings across practices and audit each read of the page."""
    on_page = {id(row) for row in page}
    for gate in gates.values():
        gate.shown = [s for s in gate.shown if id(s.obj) in on_page]
        gate.account()
    _record_page(actor, page, via)


def _one(actor: Any, row: Any, kind: _Shared) -> Any:
    shown, gates = _shown(actor, [row], kind)
    if not shown:
        raise policy.Forbidden("No release lets this record across to the caller's practice.")
    _disclose(actor, shown, gates, "fhir")
    return row


def _search_shared(
    actor: Any, qs: models.QuerySet[Any], search: Search, kind: _Shared
) -> tuple[list[Any], int]:
    """Gate every candidate (the total counts only what may be shown); account the page."""
    if search.patient:
        qs = qs.filter(client__public_id=_uuid_or_none(search.patient))
    shown, gates = _shown(actor, qs, kind)
    page = shown[search.offset : search.offset + search.count]
    _disclose(actor, page, gates, "fhir-search")
    return page, len(shown)


def _appointments(actor: Any) -> models.QuerySet[Appointment]:
    """The practice's own calendar (the appointment rule) and the care team's clients' visits."""
    own = policy.scope(actor, Action.VIEW, Appointment.objects.all()).values("pk")
    teams = policy.scope(actor, Action.VIEW, Client.objects.all()).values("pk")
    return Appointment.objects.filter(
        models.Q(pk__in=own)
        | models.Q(client__in=teams, status__in=list(appointment_timeline.SHOWN_STATUSES))
    ).select_related("client", "organisation", "prescriber", "appointment_type")


def appointment(actor: Any, public_id: Any) -> dict[str, Any]:
    appt = _appointments(actor).filter(public_id=public_id, client__isnull=False).first()
    if appt is None:
        raise policy.Forbidden("No appointment the caller may read.")
    return mapping.appointment(_one(actor, appt, _APPOINTMENT))


def search_appointments(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    qs = _appointments(actor).filter(client__isnull=False)
    if search.status:
        wanted = search.status.split(",")
        qs = qs.filter(status__in=[s for s, f in codes.APPOINTMENT_STATUS.items() if f in wanted])
    qs = _filter_moments(qs, "starts_at", search.date).order_by("-starts_at", "-pk")
    page, total = _search_shared(actor, qs, search, _APPOINTMENT)
    return [mapping.appointment(a) for a in page], total


def _medications() -> models.QuerySet[MedicationEvent]:
    return MedicationEvent.objects.select_related("client", "prescriber", "organisation")


def medication_statement(actor: Any, public_id: Any) -> dict[str, Any]:
    event = policy.get_or_404(actor, Action.VIEW, _medications(), public_id=public_id)
    return mapping.medication_statement(_one(actor, event, _MEDICATION))


def search_medication_statements(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    qs = policy.scope(actor, Action.VIEW, _medications())
    if search.status:
        wanted = search.status.split(",")
        if "stopped" not in wanted:
            qs = qs.exclude(change=MedicationChange.STOP)
        if "active" not in wanted:
            qs = qs.filter(change=MedicationChange.STOP)
    qs = _filter_moments(qs, "occurred_at", search.date).order_by("-occurred_at", "-pk")
    page, total = _search_shared(actor, qs, search, _MEDICATION)
    return [mapping.medication_statement(e) for e in page], total


def _responses(actor: Any, search: Search | None = None) -> models.QuerySet[QuestionnaireResponse]:
    qs = policy.scope(
        actor,
        Action.VIEW,
        QuestionnaireResponse.objects.select_related("client", "organisation", "entered_by"),
    )
    if search is not None:
        if search.status:
            wanted = search.status.split(",")
            done = {"completed": True, "final": True, "in-progress": False, "preliminary": False}
            qs = qs.filter(complete__in=[done[w] for w in wanted if w in done])
        qs = _filter_moments(qs, "entered_at", search.date).order_by("-entered_at", "-pk")
    return qs


def questionnaire_response(actor: Any, public_id: Any) -> dict[str, Any]:
    response = policy.get_or_404(actor, Action.VIEW, _responses(actor), public_id=public_id)
    return mapping.questionnaire_response(_one(actor, response, _RESPONSE))


def search_questionnaire_responses(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    page, total = _search_shared(actor, _responses(actor, search), search, _RESPONSE)
    return [mapping.questionnaire_response(r) for r in page], total


def observation(actor: Any, public_id: Any) -> dict[str, Any]:
    """The total score of a response, with its band (a response without a total has none)."""
    response = policy.get_or_404(
        actor, Action.VIEW, _responses(actor).filter(total__isnull=False), public_id=public_id
    )
    return mapping.score_observation(_one(actor, response, _RESPONSE)) or {}


def search_observations(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    qs = _responses(actor, search).filter(total__isnull=False)
    page, total = _search_shared(actor, qs, search, _RESPONSE)
    return [mapping.score_observation(r) or {} for r in page], total


# --- clinicians -------------------------------------------------------------------------
#
# The door is the membership rule: colleagues see each other's roles, as on the practice's
# pages. A directory read through the API asks, besides, for the acting person's second
# factor (``policy.has_mfa``), as every read of a client's record does.


def _roles(actor: Any) -> models.QuerySet[Membership]:
    if not policy.has_mfa(actor):
        return Membership.objects.none()
    return policy.scope(
        actor,
        Action.VIEW,
        Membership.objects.select_related("user__clinician_profile", "organisation"),
    )


def _directory_entry(actor: Any, obj: models.Model, organisation: Any, via: str) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": AuditAction.VIEW,
        "obj": obj,
        "organisation": organisation,
        "detail": {"via": via},
    }


def _audit_directory(actor: Any, obj: models.Model, organisation: Any, via: str) -> None:
    record(**_directory_entry(actor, obj, organisation, via))


def practitioner_role(actor: Any, public_id: Any) -> dict[str, Any]:
    membership = _roles(actor).filter(public_id=public_id).first()
    if membership is None:
        raise policy.Forbidden("Not a colleague's role.")
    _audit_directory(actor, membership, membership.organisation, "fhir")
    return mapping.practitioner_role(membership)


def search_practitioner_roles(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    rows, total = _page(_roles(actor).order_by("pk"), search)
    record_many([_directory_entry(actor, m, m.organisation, "fhir-search") for m in rows])
    return [mapping.practitioner_role(m) for m in rows], total


def _practitioners(actor: Any) -> models.QuerySet[User]:
    return (
        User.objects.filter(pk__in=_roles(actor).values("user_id"))
        .select_related("clinician_profile")
        .order_by("pk")
    )


def practitioner(actor: Any, public_id: Any) -> dict[str, Any]:
    user = _practitioners(actor).filter(public_id=public_id).first()
    if user is None:
        raise policy.Forbidden("Not a colleague.")
    _audit_directory(actor, user, None, "fhir")
    return mapping.practitioner(user)


def search_practitioners(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    rows, total = _page(_practitioners(actor), search)
    record_many([_directory_entry(actor, u, None, "fhir-search") for u in rows])
    return [mapping.practitioner(u) for u in rows], total


SearchFn = Callable[[Any, Search], tuple[list[dict[str, Any]], int]]
ReadFn = Callable[[Any, Any], dict[str, Any]]

#: Resource type -> (read, search or None, the search parameters it takes besides the common ones).
RESOURCES: dict[str, tuple[ReadFn, SearchFn | None, set[str]]] = {
    "ServiceRequest": (
        service_request,
        search_service_requests,
        {"patient", "status", "_lastUpdated"},
    ),
    "Task": (task, search_tasks, {"patient", "status", "_lastUpdated"}),
    "Patient": (patient, None, set()),
    "Consent": (consent, search_consents, {"patient", "status", "_lastUpdated"}),
    "DocumentReference": (
        document_reference,
        search_document_references,
        {"patient", "_lastUpdated"},
    ),
    "Organization": (organization, None, set()),
    "Appointment": (appointment, search_appointments, {"patient", "status", "date"}),
    "MedicationStatement": (
        medication_statement,
        search_medication_statements,
        {"patient", "status", "effective"},
    ),
    "QuestionnaireResponse": (
        questionnaire_response,
        search_questionnaire_responses,
        {"patient", "status", "authored"},
    ),
    "Observation": (observation, search_observations, {"patient", "status", "date"}),
    "Practitioner": (practitioner, search_practitioners, set()),
    "PractitionerRole": (practitioner_role, search_practitioner_roles, set()),
}

# tandem.fhir.more (Slot, Schedule, Questionnaire, Communication, AuditEvent) reads through
# this module's helpers and adds its resources to RESOURCES (loaded by FhirConfig.ready).
