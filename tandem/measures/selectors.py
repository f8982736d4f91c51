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
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from tandem.clients.access import caseload_for
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.decision import ConsentContext, Decision, Party, decide
from tandem.core import policy
from tandem.core.policy import Action
from tandem.measures import safety
from tandem.measures.access import seat
from tandem.measures.actions import CATEGORY, PURPOSE
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.models import (
    CaseReview,
    MeasureSchedule,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)
from tandem.measures.registry import Row, Score


class Gate:
    """Decide, for one viewer, whether records collected by other practices may be shown.

    ``viewer_orgs`` maps a client id to the organisation through which the viewer
    sits on that client's care team; a client reading their own record sees all.
    """

    def __init__(
        self, viewer: Any, client_ids: list[int] | Any, viewer_orgs: dict[int, int]
    ) -> None:
        self.viewer = viewer
        self.viewer_orgs = viewer_orgs
        self.context = ConsentContext.load(client_ids)
        self.now = timezone.now()
        self._memo: dict[tuple[int, int, int | None], Decision | None] = {}

    def __call__(self, client_id: int, org_id: int, author_id: int | None) -> Decision | None:
        """Return None when the viewer may see it as their own practice's, else the decision."""
        viewer_org = self.viewer_orgs.get(client_id)
        if viewer_org is None or viewer_org == org_id:
            return None
        key = (client_id, org_id, author_id)
        if key not in self._memo:
            self._memo[key] = decide(
                self.context,
                client_id=client_id,
                category=CATEGORY,
                source=Party(org_id, author_id),
                recipient=Party(viewer_org, self.viewer.pk),
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
        markers=_markers(viewer, client, viewer_org),
        schedules=list(
            MeasureSchedule.objects.filter(client=client, is_active=True).order_by("next_due")
        ),
        reviews=list(
            CaseReview.objects.filter(client=client).select_related("reviewed_by", "organisation")
        )
        if viewer_org is not None
        else [],
        viewer_org_id=viewer_org,
    )
    for shown in responses:
        result.by_instrument.setdefault(shown.response.instrument, []).append(shown)
    return result


def _markers(viewer: Any, client: Client, viewer_org: int | None) -> list[Marker]:
    """Return medication changes and appointments the viewer may see, oldest first."""
    from tandem.consent.categories import Category

    context = ConsentContext.load([client.pk])
    now = timezone.now()

    def allowed(category: str, org_id: int, author_id: int | None) -> bool:
        if viewer_org is None or viewer_org == org_id:
            return True
        return decide(
            context,
            client_id=client.pk,
            category=category,
            source=Party(org_id, author_id),
            recipient=Party(viewer_org, viewer.pk),
            purpose=PURPOSE,
            now=now,
        ).allowed

    markers: list[Marker] = []
    if apps.is_installed("tandem.care"):
        from tandem.care.models import MedicationEvent

        for med in MedicationEvent.objects.filter(client=client):
            if allowed(Category.MEDICATIONS, med.organisation_id, med.prescriber_id):
                markers.append(
                    Marker(med.occurred_at, "medication", f"{med.get_change_display()} {med.drug}")
                )
    if apps.is_installed("tandem.scheduling"):
        from tandem.scheduling.models import Appointment, AppointmentStatus

        for appt in Appointment.objects.filter(
            client=client, status__in=[AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED]
        ):
            if allowed(Category.ATTENDANCE, appt.organisation_id, appt.prescriber_id):
                markers.append(Marker(appt.starts_at, "appointment", "Psychiatric appointment"))
    markers.sort(key=lambda m: m.at)
    return markers


# --- The registry ---------------------------------------------------------------------------


def _seats(actor: Any) -> QuerySet[CareTeamMember]:
    org_ids = [m.organisation_id for m in policy.active_memberships(actor)]
    return CareTeamMember.objects.filter(
        user=actor,
        ended_on__isnull=True,
        organisation_id__in=org_ids,
        client__in=policy.scope(actor, Action.VIEW, Client.objects.all()),
    )


def registry_rows(actor: Any, measure: str = "phq-9") -> list[Row]:
    """Return one row per active client of the actor's care teams, for ``measure``.

    Every number comes from a fixed set of queries: the seats (with the clients),
    the first and last score per (client, practice, author) by window functions,
    the releases, the schedules, the last contacts, and the open safety alerts.
    """
    today = timezone.localdate()
    seats = list(_seats(actor).select_related("client").order_by("client_id", "pk"))
    viewer_orgs: dict[int, int] = {}
    clients: dict[int, Client] = {}
    for s in seats:
        viewer_orgs.setdefault(s.client_id, s.organisation_id)
        clients[s.client_id] = s.client
    if not clients:
        return []
    caseload = caseload_for(actor).values_list("pk", flat=True)
    rows = {cid: Row(client=c, measure=measure, today=today) for cid, c in clients.items()}
    gate = Gate(actor, caseload, viewer_orgs)

    partition = [F("client_id"), F("organisation_id"), F("entered_by_id")]
    ends = (
        QuestionnaireResponse.objects.filter(
            client__in=caseload, instrument=measure, total__isnull=False
        )
        .annotate(
            first=Window(RowNumber(), partition_by=partition, order_by=[F("entered_at").asc(), F("pk").asc()]),
            last=Window(RowNumber(), partition_by=partition, order_by=[F("entered_at").desc(), F("pk").desc()]),
        )
        .filter(Q(first=1) | Q(last=1))
        .values_list(
            "pk", "client_id", "organisation_id", "entered_by_id", "total", "entered_at", "flags", "first", "last"
        )
    )  # fmt: skip
    for pk, client_id, org_id, author_id, total, at, flags, first, last in ends:
        row = rows.get(client_id)
        if row is None:
            continue
        if not gate.shows(client_id, org_id, author_id):
            row.withheld += 1
            continue
        score = Score(total or 0, at, tuple(flags or ()), pk)  # total__isnull=False above
        if first == 1 and (
            row.baseline is None or (at, pk) < (row.baseline.at, row.baseline.response_id)
        ):
            row.baseline = score
        if last == 1 and (row.latest is None or (at, pk) > (row.latest.at, row.latest.response_id)):
            row.latest = score

    for schedule in MeasureSchedule.objects.filter(client__in=caseload, is_active=True).values_list(
        "client_id", "instrument", "next_due"
    ):
        client_id, instrument, due = schedule
        row = rows[client_id]
        name = INSTRUMENTS[instrument].name if instrument in INSTRUMENTS else instrument
        if row.next_due is None or due < row.next_due:
            row.next_due, row.next_due_measure = due, name
        if due < today:
            row.overdue_measures.append(name)

    own_orgs = set(viewer_orgs.values())
    contacts: list[tuple[int, dt.datetime | None]] = list(
        QuestionnaireResponse.objects.filter(client__in=caseload, organisation_id__in=own_orgs)
        .values("client_id")
        .annotate(at=Max("entered_at"))
        .values_list("client_id", "at")
    )
    contacts += list(
        SymptomEntry.objects.filter(tracker__client__in=caseload, organisation_id__in=own_orgs)
        .values("tracker__client_id")
        .annotate(at=Max("entered_at"))
        .values_list("tracker__client_id", "at")
    )
    if apps.is_installed("tandem.scheduling"):
        from tandem.scheduling.models import Appointment, AppointmentStatus

        contacts += list(
            Appointment.objects.filter(
                client__in=caseload,
                organisation_id__in=own_orgs,
                status=AppointmentStatus.COMPLETED,
            )
            .values("client_id")
            .annotate(at=Max("starts_at"))
            .values_list("client_id", "at")
        )
    for row in rows.values():
        if row.latest is not None:
            contacts.append((row.client.pk, row.latest.at))
    for client_id, moment in contacts:
        row = rows[client_id]
        if moment is not None and (row.last_contact is None or moment > row.last_contact):
            row.last_contact = moment

    for client_id, count in safety.open_alert_counts(caseload).items():
        if client_id in rows:
            rows[client_id].open_alerts = count
    return list(rows.values())
