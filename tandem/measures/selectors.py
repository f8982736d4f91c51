"""Reads of measurement-based care, scoped to the viewer and gated by consent.

A result collected by the viewer's own practice is always shown. One collected
by another practice is shown only while the consent decision point allows
"questionnaire results" to go from that practice to the viewer's; otherwise it
stays in the list as a withheld line with the reason (the collecting practice
keeps it). The registry computes every client's row in a constant number of
queries, whatever the size of the caseload.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Collate, Lower
from django.utils import timezone

from tandem.care.models import MedicationEvent
from tandem.clients.access import current_seats, seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent import actions as consent_actions
from tandem.consent.categories import Category
from tandem.consent.decision import ConsentContext, Decision, Party, decide
from tandem.core import policy
from tandem.core.policy import Action
from tandem.measures import registry_sql
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.models import (
    CaseReview,
    MeasureSchedule,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)
from tandem.measures.registry import PARTS, ClientName, Row, Score
from tandem.measures.sharing import CASE_REVIEW_CATEGORY, CATEGORY, PURPOSE
from tandem.scheduling.models import Appointment, AppointmentStatus


class Gate:
    """Decide, for one viewer, whether records collected by other practices may be shown.

    ``viewer_orgs`` maps a client id to the organisation through which the viewer
    sits on that client's care team; a client reading their own record sees all.

    The releases (``ConsentContext``) are read when a decision first needs them, not
    before: an item of the viewer's own practice needs none, so a registry whose scores
    are all the viewer's practice's reads no release at all. ``prepare`` reads them
    for only the clients of a batch of items that need a decision; a decision about a
    client not read yet reads every client of ``client_ids`` not read yet (one load,
    as if loaded up front). Either way each decision is ``decide``'s, on the same
    releases, read during this request.
    """

    def __init__(
        self, viewer: Any, client_ids: list[int] | Any, viewer_orgs: dict[int, int]
    ) -> None:
        self.viewer = viewer
        self.viewer_orgs = viewer_orgs
        self.client_ids = client_ids
        self.now = timezone.now()
        self._context = ConsentContext()
        self._loaded: set[int] = set()
        self._exception_orgs_read = False
        self._memo: dict[tuple[int, int, int | None], Decision | None] = {}

    @property
    def context(self) -> ConsentContext:
        """Return the releases of every client of ``client_ids`` (each client read once)."""
        self._load(self.client_ids)
        return self._context

    def _load(self, client_ids: Iterable[int]) -> None:
        """Read the releases of those of ``client_ids`` not read yet (no query when none)."""
        missing = [c for c in client_ids if c not in self._loaded]
        if not missing and self._exception_orgs_read:
            return
        more = ConsentContext.load(missing)
        self._context.releases_by_client.update(more.releases_by_client)
        self._context.treatment_exception_orgs = more.treatment_exception_orgs
        self._exception_orgs_read = True
        self._loaded.update(missing)

    def needs_decision(self, client_id: int, org_id: int) -> bool:
        """Return whether an item of ``org_id`` about the client is another practice's."""
        viewer_org = self.viewer_orgs.get(client_id)
        return viewer_org is not None and viewer_org != org_id

    def prepare(self, items: Iterable[tuple[int, int]]) -> None:
        """Read in one load the releases of the clients of ``(client id, org id)`` items
        (clients of ``client_ids``) that need a decision; nothing when none does."""
        clients = {c for c, org in items if self.needs_decision(c, org)}
        if clients:
            self._load(sorted(clients - self._loaded))

    def __call__(self, client_id: int, org_id: int, author_id: int | None) -> Decision | None:
        """Return None when the viewer may see it as their own practice's, else the decision."""
        if not self.needs_decision(client_id, org_id):
            return None
        key = (client_id, org_id, author_id)
        if key not in self._memo:
            if client_id not in self._loaded:
                self._load(self.client_ids)  # not prepared: every client's, as one load
            self._memo[key] = decide(
                self._context,
                client_id=client_id,
                category=CATEGORY,
                source=Party(org_id, author_id),
                recipient=Party(self.viewer_orgs[client_id], self.viewer.pk),
                purpose=PURPOSE,
                now=self.now,
            )
        return self._memo[key]

    def shows(self, client_id: int, org_id: int, author_id: int | None) -> bool:
        decision = self(client_id, org_id, author_id)
        return decision is None or decision.allowed


# --- One client's measures ----------------------------------------------------------------


@dataclass
class ShownResponse:
    response: QuestionnaireResponse
    decision: Decision | None

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed

    @property
    def withheld_label(self) -> str:
        return "" if self.shown or self.decision is None else self.decision.withheld_label


@dataclass
class ShownTracker:
    tracker: SymptomTracker
    entries: list[SymptomEntry]
    decision: Decision | None

    @property
    def shown(self) -> bool:
        return self.decision is None or self.decision.allowed

    @property
    def withheld_label(self) -> str:
        return "" if self.shown or self.decision is None else self.decision.withheld_label


@dataclass
class Marker:
    """Something that happened in the client's care, marked on the charts' time axis."""

    at: dt.datetime
    kind: str  # "medication" or "appointment"
    label: str


@dataclass
class ClientMeasures:
    client: Client
    responses: list[ShownResponse]
    trackers: list[ShownTracker]
    markers: list[Marker]
    schedules: list[MeasureSchedule]
    reviews: list[CaseReview]
    viewer_org_id: int | None
    by_instrument: dict[str, list[ShownResponse]] = field(default_factory=dict)


def _viewer_org(viewer: Any, client: Client) -> int | None:
    if client.user_id == viewer.pk:
        return None
    member = seat(viewer, client)
    return member.organisation_id if member else None


def client_measures(viewer: Any, client: Client) -> ClientMeasures:
    """Return the client's responses, trackers, schedules and reviews as the viewer may see them.

    Medication changes (tandem.care) and appointments (tandem.scheduling) are
    included as chart markers when those apps are installed, each gated by its
    own consent category like on the timeline.
    """
    viewer_org = _viewer_org(viewer, client)
    orgs = {client.pk: viewer_org} if viewer_org is not None else {}
    gate = Gate(viewer, [client.pk], orgs)
    also_shown: list[consent_actions.Shown] = []  # markers and reviews of other practices shown
    responses = [
        ShownResponse(r, gate(client.pk, r.organisation_id, r.entered_by_id))
        for r in QuestionnaireResponse.objects.filter(client=client)
        .select_related("organisation", "entered_by")
        .order_by("entered_at", "pk")
    ]
    entries: dict[int, list[SymptomEntry]] = defaultdict(list)
    for entry in SymptomEntry.objects.filter(tracker__client=client).order_by("recorded_on"):
        entries[entry.tracker_id].append(entry)
    trackers = [
        ShownTracker(
            t,
            entries.get(t.pk, []),
            gate(client.pk, t.organisation_id, t.created_by_id) if t.organisation_id else None,
        )
        for t in SymptomTracker.objects.filter(client=client).order_by("name")
    ]
    result = ClientMeasures(
        client=client,
        responses=responses,
        trackers=trackers,
        markers=_markers(viewer, client, viewer_org, gate.context, also_shown),
        # Another practice's measurement cadence is part of its plan: shown under a release.
        schedules=[
            s
            for s in MeasureSchedule.objects.filter(client=client, is_active=True).order_by(
                "next_due"
            )
            if gate.shows(client.pk, s.organisation_id, s.set_by_id)
        ],
        reviews=(
            _reviews(viewer, client, viewer_org, gate.context, also_shown)
            if viewer_org is not None
            else []
        ),
        viewer_org_id=viewer_org,
    )
    for shown in responses:
        result.by_instrument.setdefault(shown.response.instrument, []).append(shown)
    account_shown_responses(viewer, client, viewer_org, responses, also_shown)
    return result


def account_shown_responses(
    viewer: Any,
    client: Client,
    viewer_org: int | None,
    shown: list[ShownResponse],
    also_shown: Iterable[consent_actions.Shown] = (),
) -> None:
    """Record the first showing of other practices' results to the viewer's practice.

    A result held when it was entered (no release covered results) and released
    later reaches the viewer here, not through ``record_response``'s disclosure.
    ``also_shown`` adds the page's other items (chart markers, case reviews).
    """
    if viewer_org is None:
        return
    consent_actions.account_shown(
        viewer=viewer,
        client=client,
        recipient_organisation_id=viewer_org,
        purpose=PURPOSE,
        shown=[
            consent_actions.Shown(
                s.response,
                CATEGORY,
                Party(s.response.organisation_id, s.response.entered_by_id),
                s.decision,
                f"{s.response.instrument_name} result",
            )
            for s in shown
            if s.decision is not None and s.decision.allowed
        ]
        + list(also_shown),
    )


def _reviews(
    viewer: Any,
    client: Client,
    viewer_org: int,
    context: ConsentContext,
    shown: list[consent_actions.Shown],
) -> list[CaseReview]:
    """Return the case reviews the viewer may read: their practice's, or released to it.

    A review is the consultant's recommendations on the treatment plan and goes to
    another practice under "consultation notes", as on the care timeline. ``context``
    holds the client's releases, loaded once for the whole page. Reviews of another
    practice that are shown are added to ``shown``, for the accounting.
    """
    reviews = list(
        CaseReview.objects.filter(client=client).select_related("reviewed_by", "organisation")
    )
    if all(r.organisation_id == viewer_org for r in reviews):
        return reviews
    now = timezone.now()
    result = []
    for r in reviews:
        if r.organisation_id == viewer_org:
            result.append(r)
            continue
        source = Party(r.organisation_id, r.reviewed_by_id)
        decision = decide(
            context,
            client_id=client.pk,
            category=CASE_REVIEW_CATEGORY,
            source=source,
            recipient=Party(viewer_org, viewer.pk),
            purpose=PURPOSE,
            now=now,
        )
        if decision.allowed:
            result.append(r)
            shown.append(
                consent_actions.Shown(
                    r, CASE_REVIEW_CATEGORY, source, decision, "Case review recommendations"
                )
            )
    return result


def _markers(
    viewer: Any,
    client: Client,
    viewer_org: int | None,
    context: ConsentContext,
    shown: list[consent_actions.Shown],
) -> list[Marker]:
    """Return medication changes and appointments the viewer may see, oldest first.

    ``context`` holds the client's releases, loaded once for the whole page. Those of
    another practice that are shown are added to ``shown``, for the accounting.
    """
    now = timezone.now()

    def allowed(
        category: str, org_id: int, author_id: int | None, obj: Any, description: str
    ) -> bool:
        if viewer_org is None or viewer_org == org_id:
            return True
        source = Party(org_id, author_id)
        decision = decide(
            context,
            client_id=client.pk,
            category=category,
            source=source,
            recipient=Party(viewer_org, viewer.pk),
            purpose=PURPOSE,
            now=now,
        )
        if decision.allowed:
            shown.append(consent_actions.Shown(obj, category, source, decision, description))
        return decision.allowed

    markers: list[Marker] = []
    for med in MedicationEvent.objects.filter(client=client):
        if allowed(
            Category.MEDICATIONS,
            med.organisation_id,
            med.prescriber_id,
            med,
            f"Medication update {med.reference}",
        ):
            markers.append(
                Marker(med.occurred_at, "medication", f"{med.get_change_display()} {med.drug}")
            )
    for appt in Appointment.objects.filter(
        client=client, status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED]
    ):
        if allowed(
            Category.ATTENDANCE,
            appt.organisation_id,
            appt.prescriber_id,
            appt,
            "Psychiatric appointment: date, status and type",
        ):
            markers.append(Marker(appt.starts_at, "appointment", "Psychiatric appointment"))
    markers.sort(key=lambda m: m.at)
    return markers


# --- The registry ---------------------------------------------------------------------------


def _seats(actor: Any) -> QuerySet[CareTeamMember]:
    """Return the actor's current seats on the care teams of clients they may see."""
    return current_seats(actor).filter(
        client__in=policy.scope(actor, Action.VIEW, Client.objects.all())
    )


def registry_rows(actor: Any, measure: str = "phq-9", *, scores: bool = True) -> list[Row]:
    """Return one row per active client of the actor's care teams, for ``measure``, by client id.

    With ``scores=False`` the rows carry only their client; ``fill_scores`` then
    completes them. Every number comes from a fixed set of queries: the seats (with
    the clients' names), the first and last score per (client, practice, author), the
    releases, the schedules, the last contacts, and the open safety alerts. A row's
    client is a ``ClientName`` (id, public id, names), not a model instance.
    """
    today = timezone.localdate()
    seats = (
        _seats(actor)
        .order_by("client_id", "pk")
        .values_list(
            "client_id",
            "organisation_id",
            "client__public_id",
            "client__last_name",
            "client__first_name",
        )
    )
    rows: dict[int, Row] = {}
    for client_id, org_id, public_id, last_name, first_name in seats:
        if client_id not in rows:
            rows[client_id] = Row(
                client=ClientName(client_id, public_id, last_name, first_name),
                measure=measure,
                today=today,
                viewer_org_id=org_id,
            )
    if scores and rows:
        fill_scores(actor, list(rows.values()))
    return list(rows.values())


def _name_key(field_name: str) -> Any:
    """Order by the lower-cased name code point by code point, as Python compares strings.

    PostgreSQL's ``LOWER`` follows the database's character type (Unicode under a UTF-8
    one) and ``COLLATE "C"`` compares the result byte by byte: UTF-8 bytes order as code
    points do, whatever language collation the database has. SQLite compares bytes
    already; its ``LOWER`` folds ASCII letters only (capital accented letters of
    development databases sort by their capital code point).
    """
    lowered = Lower(field_name)
    return Collate(lowered, "C") if connection.vendor == "postgresql" else lowered


def registry_by_name(
    actor: Any, *, descending: bool = False, counted: bool = False
) -> QuerySet[Client, tuple[Any, ...]]:
    """Return the actor's caseload, one entry per client, ordered by name, for paging in SQL.

    Each entry is ``(id, public id, last name, first name, viewer's practice)``, the
    practice being that of the actor's first seat on the client's team (as in
    ``registry_rows``). The order is the one ``registry.sort_rows`` gives by name:
    lower-cased last then first name, ties by client id ascending either way. With
    ``counted``, each entry ends with the number of entries in all (``COUNT(*) OVER ()``,
    counted before a slice cuts the page), so a page and the count are one query.
    """
    seats = current_seats(actor)
    first_seat_org = seats.filter(client_id=OuterRef("pk")).order_by("pk").values("organisation_id")
    last, first = _name_key("last_name"), _name_key("first_name")
    order = (last.desc(), first.desc()) if descending else (last.asc(), first.asc())
    # The access policy narrows the clients themselves (those with a seat: ``_seats``'s
    # clients), not the seats: each client is read once, not once more to check its seat.
    entries = policy.scope(
        actor, Action.VIEW, Client.objects.filter(pk__in=seats.values("client_id"))
    ).annotate(viewer_org_id=Subquery(first_seat_org[:1]))
    columns = ["pk", "public_id", "last_name", "first_name", "viewer_org_id"]
    if counted:
        entries = entries.annotate(total=Window(Count("*")))
        columns.append("total")
    return entries.order_by(*order, "pk").values_list(*columns)


def registry_by_score(
    actor: Any, measure: str, sort: str, *, offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """Return a page of the actor's caseload ordered in SQL by each client's latest or first
    score of ``measure`` (``registry_sql.by_score``: the sort ``sort_rows`` gives when no
    score needs a consent decision, and how many clients have one that would).

    Each entry is ``registry_by_name``'s five values, then the number of clients in all and
    the number of clients with a score of another practice than the viewer's; the caseload
    is ``registry_by_name``'s (the same access rule and seats), unordered.
    """
    caseload = registry_by_name(actor).order_by().query.sql_with_params()
    return registry_sql.by_score(caseload, measure, sort, offset=offset, limit=limit)


def name_rows(entries: Iterable[tuple[Any, ...]], measure: str) -> list[Row]:
    """Return unscored rows for entries of ``registry_by_name`` (then ``fill_scores`` them)."""
    today = timezone.localdate()
    return [
        Row(
            client=ClientName(pk, public_id, last_name, first_name),
            measure=measure,
            today=today,
            viewer_org_id=org_id,
        )
        for pk, public_id, last_name, first_name, org_id in entries
    ]


def registry_gate(actor: Any, rows: list[Row], client_ids: Any = None) -> Gate:
    """Return the consent gate for ``rows`` (their clients' releases, loaded once)."""
    viewer_orgs = {r.client.pk: r.viewer_org_id for r in rows if r.viewer_org_id}
    if client_ids is None:
        client_ids = [r.client.pk for r in rows]
    return Gate(actor, client_ids, viewer_orgs)


def fill_scores(
    actor: Any,
    rows: list[Row],
    client_ids: Collection[int] | None = None,
    *,
    parts: Collection[str] = PARTS,
    gate: Gate | None = None,
) -> list[Row]:
    """Complete ``rows`` (from ``registry_rows(scores=False)``) with scores, dues, contacts, alerts.

    ``client_ids`` (ids of clients of the caseload) defaults to the rows' clients.
    ``parts`` (of ``registry.PARTS``) says which to fill: a sorted page fills what its
    order and filter read for every row, then the rest for its own rows only, passing
    the ``gate`` of the first call to the second. The gate reads releases only for the
    clients with another practice's scores or cadences, in one load per call (none when
    every item is the viewer's practice's): the parts it decides ("scores",
    "schedules") are best filled in one call. "contacts" needs the rows' scores filled
    before or with it. The parts are one statement (``registry_sql.read``) whatever the
    number of rows and of parts.
    """
    if not rows:
        return rows
    today = rows[0].today
    measure = rows[0].measure
    by_client = {r.client.pk: r for r in rows}
    if client_ids is None:
        client_ids = list(by_client)
    viewer_orgs = {cid: r.viewer_org_id for cid, r in by_client.items() if r.viewer_org_id}
    if gate is None:
        gate = registry_gate(actor, rows, list(client_ids))

    # Every part in one statement; then the gate reads the releases of the clients with
    # another practice's items (if any) in one load.
    found = registry_sql.read(measure, client_ids, set(viewer_orgs.values()), parts)
    ends: dict[tuple[int, int, int | None], list[Score]] = defaultdict(list)
    for pk, client_id, org_id, author_id, total, at, flags in found.ends:
        if client_id in by_client:
            ends[(client_id, org_id, author_id)].append(Score(total or 0, at, flags, pk))
    schedules = [schedule for schedule in found.schedules if schedule[0] in by_client]
    gate.prepare([(c, org) for c, org, _ in ends] + [(sched[0], sched[3]) for sched in schedules])

    for (end_client, end_org, end_author), scores in ends.items():
        row = by_client[end_client]
        first = min(scores, key=lambda s: (s.at, s.response_id))
        last = max(scores, key=lambda s: (s.at, s.response_id))
        if not gate.shows(end_client, end_org, end_author):
            row.withheld += 1 if first is last else 2
            continue
        if row.baseline is None or (first.at, first.response_id) < (
            row.baseline.at,
            row.baseline.response_id,
        ):
            row.baseline = first
        if row.latest is None or (last.at, last.response_id) > (
            row.latest.at,
            row.latest.response_id,
        ):
            row.latest = last

    for client_id, instrument, due, org_id, set_by_id in schedules:
        # Another practice's cadence is part of its treatment: shown only under a release.
        if not gate.shows(client_id, org_id, set_by_id):
            continue
        row = by_client[client_id]
        name = INSTRUMENTS[instrument].name if instrument in INSTRUMENTS else instrument
        if row.next_due is None or due < row.next_due:
            row.next_due, row.next_due_measure = due, name
        if due < today:
            row.overdue_measures.append(name)

    if "contacts" in parts:
        contacts = found.contacts
        for row in rows:
            if row.latest is not None:
                contacts.append((row.client.pk, row.latest.at))
        for client_id, moment in contacts:
            if client_id not in by_client:
                continue
            row = by_client[client_id]
            if moment is not None and (row.last_contact is None or moment > row.last_contact):
                row.last_contact = moment

    if "alerts" in parts:
        for client_id, count in found.alerts.items():
            if client_id in by_client:
                by_client[client_id].open_alerts = count
    return rows
