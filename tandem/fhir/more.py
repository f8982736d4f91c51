"""Slot, Schedule, Questionnaire, Communication and AuditEvent reads, through the pages' doors.

- Slot and Schedule: the calendar's door (``scheduling.agenda.staff_org_ids``: a practice's
  coordinators, prescribers and admins, with a second factor) and the booking pages' own
  computation of open slots (``scheduling.selectors.slots``). Slots are computed, never
  stored: each has a stable id derived from its prescriber, appointment type and start.
- Questionnaire: the measures app's instruments, public definitions (a token still needs
  the read scope).
- Communication: clinicians' messages on a client's thread, through the thread door (the
  care-team rule) and the messaging pages' consent gate (messages between clinicians),
  accounted on first showing across practices as on the thread's page.
- AuditEvent: the audit trail about one client, as the audit pages' rule decides
  (``audit.reports``: a practice admin reads what happened in their practice).

Every read is audited; a search page's reads in one batched append.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record, record_many
from tandem.audit.models import AuditAction
from tandem.audit.models import AuditEvent as TrailEvent
from tandem.audit.reports.selectors import search_events
from tandem.care.messaging.models import Message, MessageThread
from tandem.clients.access import seat
from tandem.consent.categories import Category
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.fhir import more_mapping, selectors
from tandem.fhir.selectors import (
    ReadFn,
    Search,
    SearchFn,
    _bounds,
    _filter_moments,
    _one,
    _Shared,
    _shown,
    _uuid_or_none,
)
from tandem.fhir.validation import InvalidResource, Problem
from tandem.measures.instruments import INSTRUMENTS
from tandem.organisations.models import Membership
from tandem.scheduling import agenda
from tandem.scheduling import selectors as scheduling
from tandem.scheduling.models import AppointmentType

#: How far ahead open slots are offered: today and the next SLOT_DAYS days.
SLOT_DAYS = 28


# --- Slot and Schedule ------------------------------------------------------------------


def _schedules(actor: Any) -> models.QuerySet[Membership]:
    """The prescribers' roles in the practices whose calendar the caller may see."""
    return (
        Membership.objects.filter(
            organisation_id__in=agenda.staff_org_ids(actor),
            role=Role.PRESCRIBER,
            is_active=True,
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("pk")
    )


def _kinds(actor: Any) -> models.QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(
        organisation_id__in=agenda.staff_org_ids(actor), is_active=True
    ).order_by("organisation_id", "code", "pk")


def _audit_calendar(actor: Any, object_type: str, organisation: Any, via: str, n: int) -> None:
    """Record a read of a practice's calendar set-up (no client in it), one event per answer."""
    record(
        actor=actor,
        action=AuditAction.VIEW,
        object_type=object_type,
        organisation=organisation,
        detail={"via": via, "shown": n},
    )


def _caller_practice(actor: Any) -> Any:
    memberships = policy.active_memberships(actor)
    return memberships[0].organisation if memberships else None


def schedule(actor: Any, public_id: Any) -> dict[str, Any]:
    membership = _schedules(actor).filter(public_id=public_id).first()
    if membership is None:
        raise policy.Forbidden("Not a prescriber's calendar the caller may see.")
    kinds = [k for k in _kinds(actor) if k.organisation_id == membership.organisation_id]
    _audit_calendar(actor, "scheduling.schedule", membership.organisation, "fhir", 1)
    return more_mapping.schedule(membership, kinds)


def search_schedules(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    rows = list(_schedules(actor))
    kinds = list(_kinds(actor))
    page = rows[search.offset : search.offset + search.count]
    _audit_calendar(actor, "scheduling.schedule", _caller_practice(actor), "fhir-search", len(page))
    return [
        more_mapping.schedule(m, [k for k in kinds if k.organisation_id == m.organisation_id])
        for m in page
    ], len(rows)


def _open_slots(actor: Any, search: Search | None) -> list[dict[str, Any]]:
    """Return the open slots of the caller's practice's prescribers, earliest first."""
    params = search.params if search else {}
    problems: list[Problem] = []
    starts = _bounds(_Params(params), "start", problems)
    wanted_schedules = [
        _uuid_or_none(v.removeprefix("Schedule/")) for v in _values(params, "schedule")
    ]
    wanted_practitioners = [
        _uuid_or_none(v.removeprefix("Practitioner/")) for v in _values(params, "practitioner")
    ]
    wanted_types = [v.rpartition("|")[2] for v in _values(params, "service-type")]
    if problems:
        raise InvalidResource(problems)
    schedules = list(_schedules(actor))
    if wanted_schedules:
        schedules = [m for m in schedules if m.public_id in wanted_schedules]
    if wanted_practitioners:
        schedules = [m for m in schedules if m.user.public_id in wanted_practitioners]
    kinds = list(_kinds(actor))
    if wanted_types:
        kinds = [k for k in kinds if k.code in wanted_types]
    now = timezone.now()
    found: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    for kind in kinds:
        here = {m.user_id: m for m in schedules if m.organisation_id == kind.organisation_id}
        if not here:
            continue
        organisation = next(iter(here.values())).organisation
        today = timezone.localtime(now, organisation.zone).date()
        first, last = _days(starts, organisation.zone, today)
        if first > last:
            continue
        one = next(iter(here.values())).user if len(here) == 1 else None
        for open_slot in scheduling.slots(
            organisation, kind, days=(first, last), prescriber=one, now=now
        ):
            member = here.get(open_slot.prescriber.pk)
            if member is None or not _within(open_slot.starts_at, starts):
                continue
            resource = more_mapping.slot(member, kind, open_slot.starts_at, open_slot.ends_at)
            found.append((open_slot.starts_at, member.pk, resource))
    found.sort(key=lambda row: (row[0], row[1], row[2]["id"]))
    return [resource for _, _, resource in found]


class _Params:
    """The ``getlist`` view of a search's parameters that ``selectors._bounds`` reads."""

    def __init__(self, params: dict[str, list[str]]) -> None:
        self.params = params

    def getlist(self, name: str) -> list[str]:
        return self.params.get(name, [])


def _values(params: dict[str, list[str]], name: str) -> list[str]:
    return [v for raw in params.get(name, []) for v in raw.split(",") if v]


def _days(
    bounds: list[tuple[str, dt.datetime]], zone: Any, today: dt.date
) -> tuple[dt.date, dt.date]:
    """Return the practice-calendar days to compute: today to SLOT_DAYS ahead, narrowed by start."""
    first, last = today, today + dt.timedelta(days=SLOT_DAYS)
    for prefix, moment in bounds:
        day = moment.astimezone(zone).date()
        if prefix in ("ge", "gt", "eq"):
            first = max(first, day)
        if prefix in ("le", "lt", "eq"):
            last = min(last, day)
    return first, last


def _within(start: dt.datetime, bounds: list[tuple[str, dt.datetime]]) -> bool:
    for prefix, moment in bounds:
        if prefix in ("ge", "eq") and start < moment:
            return False
        if prefix == "gt" and start <= moment:
            return False
        if prefix == "le" and start > moment:
            return False
        if prefix == "lt" and start >= moment:
            return False
    return True


def slot(actor: Any, public_id: Any) -> dict[str, Any]:
    wanted = str(public_id)
    found = next((s for s in _open_slots(actor, None) if s["id"] == wanted), None)
    if found is None:
        raise policy.Forbidden("No open slot by that id (taken, past, or not the caller's).")
    _audit_calendar(actor, "scheduling.slot", _caller_practice(actor), "fhir", 1)
    return found


def search_slots(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    found = _open_slots(actor, search)
    page = found[search.offset : search.offset + search.count]
    _audit_calendar(actor, "scheduling.slot", _caller_practice(actor), "fhir-search", len(page))
    return page, len(found)


# --- Questionnaire ----------------------------------------------------------------------


def questionnaire(actor: Any, public_id: Any) -> dict[str, Any]:
    wanted = str(public_id)
    for instrument in INSTRUMENTS.values():
        if more_mapping.questionnaire_id(instrument) == wanted:
            return more_mapping.questionnaire(instrument)
    raise policy.Forbidden("No such questionnaire.")


def search_questionnaires(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    urls = set(_values(search.params, "url"))
    wanted_codes = {v.rpartition("|")[2] for v in _values(search.params, "code")}
    found = []
    for instrument in INSTRUMENTS.values():
        resource = more_mapping.questionnaire(instrument)
        if urls and resource["url"] not in urls:
            continue
        if wanted_codes and not wanted_codes & {c["code"] for c in resource.get("code", [])}:
            continue
        found.append(resource)
    return found[search.offset : search.offset + search.count], len(found)


# --- Communication ----------------------------------------------------------------------

_MESSAGE = _Shared(
    Category.CLINICIAN_MESSAGES,
    lambda m: m.author_id,
    # The thread page's own words, so its accounting and the API's are one row per message.
    lambda m: f"Clinician message in thread {m.thread.reference}",
)


def _messages(actor: Any) -> models.QuerySet[Message]:
    threads = policy.scope(actor, Action.VIEW, MessageThread.objects.all())
    return Message.objects.filter(thread__in=threads.values("pk")).select_related(
        "client", "author", "organisation", "thread"
    )


def communication(actor: Any, public_id: Any) -> dict[str, Any]:
    message = _messages(actor).filter(public_id=public_id).first()
    if message is None:
        raise policy.Forbidden("No message the caller may read.")
    return more_mapping.communication(_one(actor, message, _MESSAGE))


def search_communications(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    problems: list[Problem] = []
    sent = _bounds(_Params(search.params), "sent", problems)
    if problems:
        raise InvalidResource(problems)
    qs = _filter_moments(_messages(actor), "created_at", sent).order_by("-created_at", "-pk")
    if search.patient:
        qs = qs.filter(client__public_id=_uuid_or_none(search.patient))
    shown, gates = _shown(actor, qs, _MESSAGE)
    page = shown[search.offset : search.offset + search.count]
    on_page = {id(row) for row in page}
    for gate in gates.values():  # account what the page sends, as ``selectors._disclose``
        gate.shown = [s for s in gate.shown if id(s.obj) in on_page]
        gate.account()
    _record_messages(actor, page, "fhir-search")
    return [more_mapping.communication(m) for m in page], len(shown)


def _record_messages(actor: Any, page: list[Message], via: str) -> None:
    """Audit each message shown, one event each, in one append (the caller's seat once a client)."""
    seats = {}
    for m in {m.client_id: m for m in page}.values():
        member = seat(actor, m.client)
        seats[m.client_id] = member.organisation if member else None
    record_many(
        [
            {
                "actor": actor,
                "action": AuditAction.VIEW,
                "obj": m,
                "client": m.client,
                "organisation": seats[m.client_id],
                "detail": {"via": via},
            }
            for m in page
        ]
    )


# --- AuditEvent -------------------------------------------------------------------------


def _audit_page(actor: Any, events: list[TrailEvent], via: str) -> list[dict[str, Any]]:
    """Map events (one query for the people in them) and record that they were read."""
    people = dict(
        User.objects.filter(pk__in={e.actor_id for e in events if e.actor_id}).values_list(
            "pk", "public_id"
        )
    )
    practice = _caller_practice(actor)
    record_many(
        [
            {
                "actor": actor,
                "action": AuditAction.VIEW,
                "object_type": "audit.auditevent",
                "object_id": more_mapping.audit_event_id(e),
                "client": e.client_id,
                "organisation": practice,
                "detail": {"via": via},
            }
            for e in events
        ]
    )
    return [more_mapping.audit_event(e, people.get(e.actor_id or 0)) for e in events]


def audit_event(actor: Any, public_id: Any) -> dict[str, Any]:
    prefix = uuid.UUID(str(public_id)).hex
    found = search_events(actor).filter(hash__startswith=prefix).first()
    if found is None:
        raise policy.Forbidden("No audit event the caller may read.")
    return _audit_page(actor, [found], "fhir")[0]


def search_audit_events(actor: Any, search: Search) -> tuple[list[dict[str, Any]], int]:
    """The trail about one client (``patient`` is required), as the audit pages show it."""
    if not search.patient:
        raise InvalidResource(
            [Problem("patient", "Name the client: patient=Patient/<id>.", "required")]
        )
    client = _uuid_or_none(search.patient)
    qs = search_events(actor, client_id=str(client) if client else "-")
    qs = _filter_moments(qs, "occurred_at", search.date).order_by("-id")
    total = qs.count()
    events = list(qs[search.offset : search.offset + search.count])
    return _audit_page(actor, events, "fhir-search"), total


#: Resource type -> (read, search, the search parameters it takes besides the common ones).
RESOURCES: dict[str, tuple[ReadFn, SearchFn | None, set[str]]] = {
    "Slot": (slot, search_slots, {"start", "schedule", "practitioner", "service-type"}),
    "Schedule": (schedule, search_schedules, set()),
    "Questionnaire": (questionnaire, search_questionnaires, {"url", "code"}),
    "Communication": (communication, search_communications, {"patient", "sent"}),
    "AuditEvent": (audit_event, search_audit_events, {"patient", "date"}),
}

selectors.RESOURCES.update(RESOURCES)
