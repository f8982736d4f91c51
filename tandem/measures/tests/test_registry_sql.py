"""The registry's SQL reads return what the ORM queries they replaced return (SQLite and PostgreSQL).

Each ``ORM`` function below is the query ``selectors.fill_scores`` ran before the reads
were written as SQL (``measures/registry_sql.py``), kept here as the oracle.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.care.crisis.models import AlertStatus, SafetyAlert
from tandem.clients.models import Client
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, OrganisationFactory, make_staff
from tandem.measures import registry_sql
from tandem.measures.models import (
    MeasureSchedule,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)
from tandem.measures.registry import PARTS
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType

pytestmark = pytest.mark.django_db


def orm_ends(measure: str, client_ids: Any) -> QuerySet[QuestionnaireResponse]:
    """The first and last scored response per (client, practice, author), as the ORM read them."""
    scored = QuestionnaireResponse.objects.filter(instrument=measure, total__isnull=False)
    same = scored.filter(
        client_id=OuterRef("client_id"),
        organisation_id=OuterRef("organisation_id"),
        entered_by_id=OuterRef("entered_by_id"),
    )
    parts = (
        scored.filter(client__in=client_ids)
        .order_by()
        .values("client_id", "organisation_id", "entered_by_id")
        .annotate(n=Count("pk"))
    )
    firsts = parts.annotate(end=Subquery(same.order_by("entered_at", "pk").values("pk")[:1]))
    lasts = parts.annotate(end=Subquery(same.order_by("-entered_at", "-pk").values("pk")[:1]))
    anonymous = scored.filter(client__in=client_ids, entered_by_id__isnull=True)
    ends = firsts.values("end").union(lasts.values("end"), anonymous.values("pk"))
    return QuestionnaireResponse.objects.filter(pk__in=ends).order_by()


def orm_contacts(client_ids: list[int], own_orgs: set[int]) -> list[tuple[int, Any]]:
    responses = (
        QuestionnaireResponse.objects.filter(client__in=client_ids, organisation_id__in=own_orgs)
        .order_by()
        .values("client_id")
        .annotate(at=Max("entered_at"))
        .values_list("client_id", "at")
    )
    entries = (
        SymptomEntry.objects.filter(tracker__client__in=client_ids, organisation_id__in=own_orgs)
        .order_by()
        .values("tracker__client_id")
        .annotate(at=Max("entered_at"))
        .values_list("tracker__client_id", "at")
    )
    visits = (
        Appointment.objects.filter(
            client__in=client_ids,
            organisation_id__in=own_orgs,
            status=AppointmentStatus.COMPLETED,
        )
        .order_by()
        .values("client_id")
        .annotate(at=Max("starts_at"))
        .values_list("client_id", "at")
    )
    return [c for c in responses.union(entries, visits, all=True).order_by() if c[1] is not None]


def orm_alerts(client_ids: list[int]) -> dict[int, int]:
    rows = (
        SafetyAlert.objects.filter(client_id__in=client_ids)
        .exclude(status=AlertStatus.RESOLVED)
        .values("client_id")
        .annotate(n=Count("pk"))
    )
    return {row["client_id"]: row["n"] for row in rows}


@pytest.fixture(params=[20261205, 12, 2027])
def network(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Twelve clients with series from two practices and three authors (and none), ties in
    time, unscored and other measures' answers; cadences, symptom entries, visits, alerts
    (three draws of it)."""
    rng = random.Random(request.param)
    psychiatry, therapy = OrganisationFactory(), OrganisationFactory()
    prescriber = make_staff(Role.PRESCRIBER, psychiatry)
    other = make_staff(Role.PRESCRIBER, psychiatry)
    therapist = make_staff(Role.THERAPIST, therapy)
    authors = [(psychiatry, prescriber), (psychiatry, other), (therapy, therapist), (therapy, None)]
    people = [ClientFactory() for _ in range(12)]
    now = timezone.now().replace(microsecond=0)
    responses = []
    for n, person in enumerate(people[:10]):
        for w in range(rng.randint(0, 8)):
            org, author = rng.choice(authors)
            same_moment = w % 3 == 0  # several answers entered at the same second
            responses.append(
                QuestionnaireResponse(
                    client=person,
                    instrument=rng.choice(["phq-9", "phq-9", "gad-7"]),
                    instrument_version="oracle",
                    answers=[1] * 9,
                    total=None if w == 5 else rng.randint(0, 27),
                    flags=["suicide_item_positive"] if w == 2 else [],
                    complete=w != 5,
                    source="clinician",
                    organisation=org,
                    entered_by=author,
                    entered_at=now - dt.timedelta(weeks=0 if same_moment else w, days=n),
                    idempotency_key=uuid.uuid4().hex,
                )
            )
    QuestionnaireResponse.objects.bulk_create(responses)
    for n, person in enumerate(people):
        for org, author in authors[::2]:
            MeasureSchedule.objects.create(
                client=person, instrument="phq-9" if org == psychiatry else "gad-7", every_days=14,
                next_due=timezone.localdate() + dt.timedelta(days=n - 6),
                organisation=org, set_by=author, is_active=n % 3 != 0,
            )  # fmt: skip
        tracker = SymptomTracker.objects.create(
            client=person, name="Panic", created_by=prescriber, organisation=psychiatry
        )
        SymptomEntry.objects.bulk_create(
            SymptomEntry(
                tracker=tracker,
                recorded_on=timezone.localdate() - dt.timedelta(days=d),
                value=Decimal("2"),
                organisation=psychiatry if d % 2 else therapy,
                entered_by=prescriber,
                entered_at=now - dt.timedelta(days=d, hours=n),
            )
            for d in range(n % 4)
        )
    kind = AppointmentType.objects.create(
        organisation=psychiatry, code="fu", name="Follow-up", duration_minutes=30
    )
    for n, person in enumerate(people):
        for d, status in enumerate(
            [AppointmentStatus.COMPLETED, AppointmentStatus.CONFIRMED][: n % 3]
        ):
            starts = now - dt.timedelta(days=3 + d + n)
            Appointment.objects.create(
                organisation=psychiatry, prescriber=prescriber, client=person,
                appointment_type=kind, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
                blocked_until=starts + dt.timedelta(minutes=30), status=status,
            )  # fmt: skip
        for status in [AlertStatus.OPEN, AlertStatus.RESOLVED, AlertStatus.ACKNOWLEDGED][: n % 4]:
            SafetyAlert.objects.create(
                client=person, raised_by=therapist, organisation=therapy, level="concern",
                source="clinician", summary="Passive ideation.", raised_at=now,
                ack_due_at=now, status=status,
            )  # fmt: skip
    return {
        "ids": [p.pk for p in people[:11]],  # the last client is not asked about
        "orgs": {psychiatry.pk},
        "both": {psychiatry.pk, therapy.pk},
        "psychiatry": psychiatry.pk,
    }


@pytest.mark.parametrize("measure", ["phq-9", "gad-7"])
def test_the_score_ends_are_the_orm_querys_first_and_last_of_each_series(network, measure):
    # Given the network's responses (ties, unscored answers, answers without an author)
    ids = network["ids"]

    # When the ends are read in SQL and through the ORM query they replaced
    ends = registry_sql.score_ends(measure, ids)
    expected = orm_ends(measure, ids).values_list(
        "pk", "client_id", "organisation_id", "entered_by_id", "total", "entered_at", "flags"
    )

    # Then they are the same responses with the same values
    assert sorted(ends) == sorted(
        (pk, c, o, a, t, at, tuple(flags)) for pk, c, o, a, t, at, flags in expected
    )
    assert ends, "the network has series to compare"
    assert all(at.tzinfo is not None for *_, at, _ in ends)


def test_the_score_ends_are_each_series_first_and_last_by_time_then_id():
    # Given one client's PHQ-9 series of one, two and four scores (the last two of four
    # entered at the same second), and two scores without an author
    practice = OrganisationFactory()
    authors = [make_staff(Role.PRESCRIBER, practice) for _ in range(3)]
    person = ClientFactory()
    now = timezone.now().replace(microsecond=0)

    def score(author: Any, weeks_ago: int) -> int:
        return QuestionnaireResponse.objects.create(
            client=person, instrument="phq-9", instrument_version="ends", answers=[1] * 9,
            total=10, complete=True, source="clinician", organisation=practice,
            entered_by=author, entered_at=now - dt.timedelta(weeks=weeks_ago),
            idempotency_key=uuid.uuid4().hex,
        ).pk  # fmt: skip

    single = score(authors[0], 1)
    pair = [score(authors[1], 3), score(authors[1], 2)]
    four = [score(authors[2], 6), score(authors[2], 5), score(authors[2], 0), score(authors[2], 0)]
    anonymous = [score(None, 4), score(None, 3)]

    # When the ends are read
    ends = {pk for pk, *_ in registry_sql.score_ends("phq-9", [person.pk])}

    # Then each series gives its first and its last (ties in time by id), the one-score
    # series its one score, and every score without an author is kept
    assert ends == {single, *pair, four[0], four[3], *anonymous}


def test_the_cadences_contacts_and_alerts_are_the_orm_querys(network):
    # Given the network's cadences, entries, visits and alerts
    ids = network["ids"]

    # When each is read in SQL, Then it is what the ORM query read
    assert sorted(registry_sql.active_schedules(ids)) == sorted(
        MeasureSchedule.objects.filter(client__in=ids, is_active=True).values_list(
            "client_id", "instrument", "next_due", "organisation_id", "set_by_id"
        )
    )
    for orgs in (network["orgs"], network["both"]):
        contacts = registry_sql.last_contacts(ids, orgs)
        assert sorted(contacts) == sorted(orm_contacts(ids, orgs))
        assert {c for c, _ in contacts} >= {ids[1], ids[2]}  # visits and entries included
    assert registry_sql.open_alert_counts(ids) == orm_alerts(ids)
    assert registry_sql.open_alert_counts(ids)  # some alerts are open


@pytest.mark.parametrize(
    "parts",
    [
        set(chosen)
        for n in range(1, 5)
        for chosen in itertools.combinations(["scores", "schedules", "contacts", "alerts"], n)
    ],
)
def test_the_parts_read_together_are_each_parts_own_read(network, parts):
    # Given the network (every part has rows), and the clients asked about by practice
    ids, orgs = network["ids"], network["both"]

    # When some of a row's parts are read in one statement
    with CaptureQueriesContext(connection) as ran:
        found = registry_sql.read("phq-9", ids, orgs, parts)

    # Then it is one statement, and each part read is that part's own read, with its
    # values in their types (moments aware, days as dates, flags as tuples), and the parts
    # not asked for are empty
    assert len(ran) == 1
    assert sorted(found.ends) == (
        sorted(registry_sql.score_ends("phq-9", ids)) if "scores" in parts else []
    )
    assert sorted(found.schedules) == (
        sorted(registry_sql.active_schedules(ids)) if "schedules" in parts else []
    )
    assert sorted(found.contacts) == (
        sorted(registry_sql.last_contacts(ids, orgs)) if "contacts" in parts else []
    )
    assert found.alerts == (registry_sql.open_alert_counts(ids) if "alerts" in parts else {})
    for _, _, _, _, total, at, flags in found.ends:
        assert isinstance(total, int)
        assert at.tzinfo is not None
        assert isinstance(flags, tuple)
    assert {type(day) for _, _, day, _, _ in found.schedules} <= {dt.date}
    assert {type(at) for _, at in found.contacts} <= {dt.datetime}
    assert any(flags for *_, flags in found.ends) == ("scores" in parts)
    assert {type(n) for n in found.alerts.values()} <= {int}


def test_no_clients_read_nothing():
    with CaptureQueriesContext(connection) as ran:
        assert registry_sql.read("phq-9", [], {1}, PARTS) == registry_sql.Read()
        assert registry_sql.read("phq-9", [1], set(), {"contacts"}) == registry_sql.Read()
    assert not ran
    assert registry_sql.score_ends("phq-9", []) == []
    assert registry_sql.active_schedules([]) == []
    assert registry_sql.last_contacts([], {1}) == []
    assert registry_sql.last_contacts([1], set()) == []
    assert registry_sql.open_alert_counts([]) == {}


def orm_by_score(measure: str, ids: list[int], viewer_org: int, sort: str) -> list[int]:
    """The clients in the order ``registry.sort_rows`` gives by ``sort`` ("latest" or
    "baseline", "-" for descending) when every score is visible: each client's last (or
    first) scored response by time then id, ties by client id, the unscored last by name."""
    newest = sort.lstrip("-") == "latest"
    score = {}
    for client_id in sorted(ids):
        found = (
            QuestionnaireResponse.objects.filter(
                client_id=client_id, instrument=measure, total__isnull=False
            )
            .order_by(*(("-entered_at", "-pk") if newest else ("entered_at", "pk")))
            .values_list("total", flat=True)
            .first()
        )
        score[client_id] = found
    names = {c.pk: (c.last_name.lower(), c.first_name.lower()) for c in Client.objects.all()}
    scored = sorted(
        (c for c in sorted(ids) if score[c] is not None),
        key=lambda c: score[c],
        reverse=sort.startswith("-"),
    )
    return scored + sorted((c for c in sorted(ids) if score[c] is None), key=lambda c: names[c])


@pytest.mark.parametrize("measure", ["phq-9", "gad-7"])
@pytest.mark.parametrize("sort", ["latest", "-latest", "baseline", "-baseline"])
def test_the_caseload_by_score_is_the_python_sort_and_counts_other_practices_scores(
    network, measure, sort
):
    # Given the network's clients as a caseload seen through the psychiatric practice
    ids, viewer_org = network["ids"], network["psychiatry"]
    caseload = (
        Client.objects.filter(pk__in=ids)
        .annotate(viewer_org_id=Value(viewer_org))
        .values_list("pk", "public_id", "last_name", "first_name", "viewer_org_id")
        .query.sql_with_params()
    )

    # When the caseload is read in score order, whole and a page of it
    every = registry_sql.by_score(caseload, measure, sort, offset=0, limit=100)
    page = registry_sql.by_score(caseload, measure, sort, offset=3, limit=4)

    # Then it is the Python sort of the visible scores, the page a slice of it, each entry
    # with the client's names, the count of all, and how many have another practice's score
    assert [e[0] for e in every] == orm_by_score(measure, ids, viewer_org, sort)
    assert page == every[3:7]
    others = (
        QuestionnaireResponse.objects.filter(
            client_id__in=ids, instrument=measure, total__isnull=False
        )
        .exclude(organisation_id=viewer_org)
        .values("client_id")
        .distinct()
        .count()
    )
    clients = {c.pk: c for c in Client.objects.filter(pk__in=ids)}
    assert others, "the network has other practices' scores"
    assert {e[1:] for e in every} == {
        (clients[c].public_id, clients[c].last_name, clients[c].first_name, viewer_org, 11, others)
        for c in ids
    }
