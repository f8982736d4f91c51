"""The registry's definitions (exact formulas) and the page: flags, sort, filter, views, CSV."""

import csv
import datetime as dt
import io
import random
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, add_to_care_team, make_staff
from tandem.measures import actions, views
from tandem.measures.models import QuestionnaireResponse, SavedView
from tandem.measures.registry import Row, Score, matches, round_half_away, sort_rows
from tandem.measures.selectors import registry_rows
from tandem.measures.tests.factories import MeasuresWorld, answers_totalling
from tandem.tests.support.audit import fewer_on_postgresql

TODAY = dt.date(2026, 6, 1)


def _row(baseline, latest, weeks_ago=0, **kwargs):
    """A row whose baseline was ``weeks_ago`` weeks before TODAY and latest is today."""
    at0 = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC) - dt.timedelta(weeks=weeks_ago)
    at1 = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    client = SimpleNamespace(first_name="Ada", last_name="Quill", pk=1)
    return Row(
        client=client, measure="phq-9", today=TODAY,
        baseline=Score(baseline, at0, (), 1) if baseline is not None else None,
        latest=Score(latest, at1, (), 2) if latest is not None else None,
        **kwargs,
    )  # fmt: skip


# Definitions from the AIMS Center's Collaborative Care registry (response: a 50% drop;
# remission: PHQ-9 below 5; not improving: no response by weeks 10-12), as docs/measures.md.
@pytest.mark.parametrize(
    ("baseline", "latest", "weeks", "points", "percent", "response", "remission", "not_improving"),
    [
        (20, 10, 8, -10, -50, True, False, False),  # exactly half: a response
        (20, 11, 8, -9, -45, False, False, False),  # 45%: no response yet
        (20, 11, 10, -9, -45, False, False, True),  # week 10 without response: case review
        (20, 11, 9, -9, -45, False, False, False),  # week 9: not yet
        (12, 4, 12, -8, -67, True, True, False),  # below 5: remission
        (12, 5, 12, -7, -58, True, False, False),  # 5 is not remission
        (9, 12, 3, 3, 33, False, False, False),  # worse
        (0, 3, 11, 3, None, False, True, False),  # no per cent from 0; below 5 is remission
        (0, 6, 11, 6, None, False, False, True),  # worse from 0 after 10 weeks: case review
        (15, 15, 0, 0, 0, False, False, False),
    ],
)
def test_registry_definitions(
    baseline, latest, weeks, points, percent, response, remission, not_improving
):
    row = _row(baseline, latest, weeks_ago=weeks)
    assert row.change_points == points
    assert row.change_percent == percent
    assert row.weeks_in_treatment == weeks
    assert (row.response, row.remission, row.not_improving) == (response, remission, not_improving)


def test_one_score_is_a_baseline_without_change_response_or_remission():
    row = _row(3, None, weeks_ago=11)
    row.latest = row.baseline
    assert row.change_points is None
    assert row.change_percent is None
    assert row.response is False
    assert row.remission is False
    assert row.not_improving is True  # 11 weeks with one score: bring to review


def test_percent_rounds_halves_away_from_zero():
    assert round_half_away(-50, 8) == -6  # -6.25
    assert round_half_away(-100, 8) == -13  # -12.5
    assert round_half_away(100, 8) == 13


def test_filters_and_sort_put_rows_without_a_value_last():
    a, b, c = _row(20, 9, weeks_ago=6), _row(10, 9, weeks_ago=11), _row(None, None)
    a.client = SimpleNamespace(first_name="A", last_name="Alder", pk=1)
    b.client = SimpleNamespace(first_name="B", last_name="Birch", pk=2)
    c.client = SimpleNamespace(first_name="C", last_name="Cedar", pk=3)
    assert [r.client.last_name for r in sort_rows([c, b, a], "change")] == [
        "Alder",
        "Birch",
        "Cedar",
    ]
    assert [r.client.last_name for r in sort_rows([c, b, a], "-change")] == [
        "Birch",
        "Alder",
        "Cedar",
    ]
    assert [r.client.last_name for r in [a, b, c] if matches(r, "not_improving")] == ["Birch"]
    assert [r.client.last_name for r in [a, b, c] if matches(r, "no_score")] == ["Cedar"]
    assert [r.client.last_name for r in [a, b, c] if matches(r, "new")] == ["Cedar"]


@pytest.mark.django_db
def test_registry_rows_use_first_and_last_visible_scores_and_withhold_the_others():
    # Given PHQ-9s by the therapist (other practice, no release) and by the prescriber
    world = MeasuresWorld()
    world.phq9(answers_totalling(21), by=world.therapist, days_ago=90)
    world.phq9(answers_totalling(18), days_ago=77)
    world.phq9(answers_totalling(12), days_ago=30)
    world.phq9(answers_totalling(8), days_ago=1)
    world.phq9(answers_totalling(6), by=world.therapist)

    # When the prescriber reads the registry
    (row,) = registry_rows(world.prescriber)

    # Then only the prescriber's own practice's scores count, and the others show as withheld
    assert (row.baseline.total, row.latest.total) == (18, 8)
    assert row.withheld == 2
    assert row.weeks_in_treatment == 11
    assert (row.change_points, row.change_percent, row.response) == (-10, -56, True)

    # And once a release covers questionnaire results, the therapist's scores count too
    world.release_questionnaires()
    (row,) = registry_rows(world.prescriber)
    assert (row.baseline.total, row.latest.total, row.withheld) == (21, 6, 0)


def _login(client, user):
    client.force_login(user)


@pytest.mark.django_db
def test_the_registry_page_flags_a_positive_item_9_and_overdue_measures(client):
    # Given a client whose latest PHQ-9 has item 9 at 1 and whose cadence is overdue
    world = MeasuresWorld()
    actions.set_schedule(
        actor=world.prescriber, client=world.client, instrument="gad-7", every_days=14
    )
    from tandem.measures.models import MeasureSchedule

    MeasureSchedule.objects.update(next_due=timezone.localdate() - dt.timedelta(days=3))
    world.phq9(answers_totalling(12, item9=1))
    _login(client, world.prescriber)

    # When the prescriber opens the registry
    body = client.get(reverse("measures:registry")).content.decode()

    # Then the row carries the flags
    assert "Suicide item positive" in body
    assert "Overdue: GAD-7" in body
    assert "Safety alert open" in body  # tandem.care raised one
    assert f'href="/measures/clients/{world.client.public_id}/"' in body


@pytest.mark.django_db
def test_filter_save_view_and_export_are_the_viewers_own_and_audited(client):
    world = MeasuresWorld()
    world.phq9(answers_totalling(15), days_ago=84)
    world.phq9(answers_totalling(14))
    other = ClientFactory(first_name="Zed", last_name="Improver")
    add_to_care_team(other, world.prescriber, Role.PRESCRIBER)
    _login(client, world.prescriber)

    body = client.get(reverse("measures:registry"), {"flag": "not_improving"}).content.decode()
    assert world.client.last_name in body
    assert "Improver" not in body

    client.post(
        reverse("measures:save_view"),
        {"name": "Stuck", "query": "measure=phq-9&flag=not_improving"},
    )
    assert list(SavedView.objects.values_list("user", "name", "query")) == [
        (world.prescriber.pk, "Stuck", "measure=phq-9&flag=not_improving")
    ]

    csv_response = client.get(reverse("measures:registry_export"), {"flag": "not_improving"})
    lines = csv_response.content.decode().splitlines()
    assert lines[0].startswith("Client,Measure,Baseline,Baseline date,Latest")
    assert len(lines) == 2
    assert lines[1].startswith(f'"{world.client.last_name}, {world.client.first_name}",PHQ-9,15,')
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.detail["clients"] == [str(world.client.public_id)]


@pytest.mark.django_db
def test_someone_without_a_caseload_sees_no_clients(client):
    MeasuresWorld().phq9([0] * 9)
    _login(client, make_staff(Role.PRESCRIBER))
    body = client.get(reverse("measures:registry")).content.decode()
    assert "No clients match." in body


@pytest.mark.django_db
def test_answers_without_an_author_count_as_first_and_last_scores():
    # Given two PHQ-9s answered at intake (no author), then one entered by the prescriber
    world = MeasuresWorld()
    early = world.phq9(answers_totalling(20), days_ago=80)
    later = world.phq9(answers_totalling(15), days_ago=60)
    QuestionnaireResponse.objects.filter(pk__in=[early.pk, later.pk]).update(entered_by=None)

    # When the prescriber reads the registry, before and after the third score
    (before,) = registry_rows(world.prescriber)
    world.phq9(answers_totalling(8), days_ago=1)
    (after,) = registry_rows(world.prescriber)

    # Then the authorless answers are the baseline and, until a newer score, the latest
    assert (before.baseline.total, before.latest.total, before.withheld) == (20, 15, 0)
    assert (after.baseline.total, after.latest.total, after.change_points) == (20, 8, -12)


@pytest.mark.django_db
def test_a_name_sorted_page_scores_only_its_rows_and_shows_what_the_full_registry_shows(
    client, monkeypatch
):
    # Given three clients (pages of two rows) with different scores
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    world = MeasuresWorld()
    world.phq9(answers_totalling(21), days_ago=84)
    world.phq9(answers_totalling(17))
    for name, (first, last) in {"Abbot": (12, 4), "Zephyr": (9, 11)}.items():
        other = ClientFactory(first_name="Pat", last_name=name)
        add_to_care_team(other, world.prescriber, Role.PRESCRIBER)
        for days_ago, total in ((84, first), (0, last)):
            actions.record_response(
                world.prescriber, other, "phq-9", answers_totalling(total), source="clinician",
                idempotency_key=f"{name}-{days_ago}", organisation=world.psychiatry,
                entered_at=timezone.now() - dt.timedelta(days=days_ago),
            )  # fmt: skip
    _login(client, world.prescriber)

    def cells(query):
        body = client.get(reverse("measures:registry"), query).content.decode()
        rows = re.findall(
            r'href="/measures/clients/[0-9a-f-]{36}/">([^<]+)</a></td>\s*<td>(\d+)', body
        )
        return rows, re.search(r'<p role="status">(\d+) clients', body).group(1)

    # When the prescriber pages through by name, both ways, and sorts by latest score
    first_page, total = cells({"sort": "name"})
    last_page, _ = cells({"sort": "-name", "page": 2})
    by_latest, _ = cells({"sort": "latest"})

    # Then each page shows its own rows' baselines, and the count is of every client
    assert first_page == [
        ("Abbot, Pat", "12"),
        (f"{world.client.last_name}, {world.client.first_name}", "21"),
    ]
    assert last_page == [("Abbot, Pat", "12")]
    assert total == "3"
    assert by_latest == [("Abbot, Pat", "12"), ("Zephyr, Pat", "9")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "queries", "set_aside"),
    # Sorted by name, the database counts the caseload and cuts the page, whose own client
    # ids scope the scores (17 queries, with the audit row indexing the page's clients and
    # the open-alert banner); any other sort or filter reads the seats once (their ids are
    # the releases' ids: no query for the caseload ids) and fills every row's scores (16).
    # Was 21 and 20: the consent gate read every row's releases and the treatment-exception
    # practices up front; it now reads them only when a row has another practice's score
    # or cadence to decide on (none here: every score is the prescriber's practice's).
    # Then 19 and 18 -> 17 and 16: the user now comes with their second factor and client
    # record in one query (tandem.accounts.backends). Then 17 -> 16 by name: the page's
    # clients come with the caseload's count (``COUNT(*) OVER ()``), one query for both.
    # Then 16 -> 15: no open-alert banner query when the user's own query says no alert
    # may wait for them; and one fewer on PostgreSQL, whose audit append inserts the event
    # and moves its chain's head in one statement.
    # Sorted by latest, the database now orders, counts and cuts the caseload as it does by
    # name (15, the same number: the page's clients with the count instead of the seats);
    # when a client has another practice's score (``shared``), whose consent decision the
    # order depends on, that query's answer is set aside and the page is sorted in Python
    # as before (one query more).
    # Then 15 -> 12: a row's scores, cadences, contacts and alerts are one statement
    # (``registry_sql.read``), not four; the set-aside page reads them in two (the parts its
    # order reads for every row, the rest for its page: was four), two more than by score.
    [({}, 12, 0), ({"sort": "-latest"}, 12, 2)],
)
@pytest.mark.parametrize("count", [10, 200])
@pytest.mark.parametrize("shared", [False, True])
def test_the_registry_runs_a_constant_number_of_queries(
    client, count, shared, query, queries, set_aside
):
    # Given a prescriber with ``count`` clients, each with two PHQ-9s and a cadence
    world = MeasuresWorld()
    prescriber = world.prescriber
    for i in range(count):
        c = ClientFactory()
        add_to_care_team(c, prescriber, Role.PRESCRIBER)
        for days_ago, total in ((70, 16), (0, 9)):
            actions.record_response(
                prescriber, c, "phq-9", answers_totalling(total), source="clinician",
                idempotency_key=f"{i}-{days_ago}", organisation=world.psychiatry,
                entered_at=timezone.now() - dt.timedelta(days=days_ago),
            )  # fmt: skip
    if shared:
        # and one client whose therapist's score is released to the prescriber's practice
        world.release_questionnaires()
        world.phq9(answers_totalling(12), by=world.therapist, days_ago=7)
    _login(client, prescriber)

    # session, user (with MFA and client record), memberships, the caseload (the page's clients
    # by name with its count, or every seat with its client's name), the first-and-last scores, schedules,
    # the three last-contact aggregates and open alerts in one statement, saved views, and the audit write
    # (savepoint, chain head, insert, head update, release), no session write; with another
    # practice's score to decide on, the releases of those rows' clients with their parties
    # and the treatment-exception practices (1 more, in one statement, was 3; however many
    # such rows; sorted by name,
    # only when the shared client is on the page: among 200 others, it may not be)
    with CaptureQueriesContext(connection) as ran:
        response = client.get(reverse("measures:registry"), query)

    body = response.content.decode()
    assert len(re.findall(r'href="/measures/clients/[0-9a-f-]{36}/"', body)) == min(count + 1, 100)
    on_page = shared and str(world.client.public_id) in body
    if shared and (query or count == 10):  # first by latest (12 > 9), or one of 11 rows
        assert on_page
    expected = (
        queries
        - fewer_on_postgresql(indexed=1)
        + (1 if on_page else 0)
        + (set_aside if shared else 0)
    )
    assert len(ran) == expected, "\n".join(q["sql"] for q in ran.captured_queries)
    if on_page:
        baselines = dict(
            re.findall(
                r'href="/measures/clients/[0-9a-f-]{36}/">([^<]+)</a></td>\s*<td>(\d+)', body
            )
        )
        # the therapist's released score is the shared client's baseline
        assert baselines[f"{world.client.last_name}, {world.client.first_name}"] == "12"


@pytest.mark.django_db
def test_the_case_review_list_pages_and_its_audit_row_names_only_the_page(client, monkeypatch):
    # Given a prescriber with three clients and pages of two
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    world = MeasuresWorld()
    for last in ("Abbot", "Zephyr"):
        add_to_care_team(ClientFactory(last_name=last), world.prescriber, Role.PRESCRIBER)
    _login(client, world.prescriber)

    # When they open the second page of the case review list
    body = client.get(reverse("measures:case_reviews"), {"page": 2}).content.decode()

    # Then it shows one client, says where it is, and links back to the first page
    assert len(re.findall(r'<h2 class="referral-title">', body)) == 1
    assert "Page 2 of 2" in body
    assert 'href="?measure=phq-9&amp;page=1" rel="prev">Previous page</a>' in body
    # and the read is audited naming that page's client with the list's size
    event = AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="measures.registry"
    ).get()
    assert (event.detail["list"], len(event.detail["clients"]), event.detail["total"]) == (
        "case_review",
        1,
        3,
    )


@pytest.mark.django_db
def test_another_practices_cadence_shows_only_under_a_release(client):
    # Given the prescriber's overdue GAD-7 cadence for a client the therapist also treats
    world = MeasuresWorld()
    actions.set_schedule(
        actor=world.prescriber, client=world.client, instrument="gad-7", every_days=14
    )
    from tandem.measures.models import MeasureSchedule

    MeasureSchedule.objects.update(next_due=timezone.localdate() - dt.timedelta(days=3))
    _login(client, world.therapist)
    page = reverse("measures:client", kwargs={"client_id": world.client.public_id})

    # When the therapist reads the registry and the client's page without a release
    (row,) = registry_rows(world.therapist, "gad-7")
    registry = client.get(reverse("measures:registry")).content.decode()
    measures = client.get(page).content.decode()

    # Then the psychiatric practice's plan is not theirs to see
    assert (row.next_due, row.overdue_measures) == (None, [])
    assert "Overdue: GAD-7" not in registry
    assert "GAD-7 every 14 days" not in measures

    # And once the client releases questionnaire results to them, it is
    world.release_questionnaires()
    (row,) = registry_rows(world.therapist, "gad-7")
    assert row.overdue_measures == ["GAD-7"]
    assert "Overdue: GAD-7" in client.get(reverse("measures:registry")).content.decode()
    assert "GAD-7 every 14 days" in client.get(page).content.decode()


# Names with ties (the same name in another case), punctuation and spaces (which a
# language collation would skip) and lower-case accents: the registry's name order is
# Python's on the lower-cased names, code point by code point, ties in client-id order.
TRICKY_NAMES = [
    ("Quill", "ada"), ("quill", "Ada"), ("Quill", "Ada"), ("O'Neil", "Bo"), ("Oneil", "Bo"),
    ("de la Cruz", "Eva"), ("De La Cruz", "eva"), ("Van Dyke", "Al"), ("Vandyke", "Al"),
    ("élan", "Mo"), ("Zed", "ann"), ("Aaron-Smith", "Li"), ("Aaron Smith", "Li"),
    ("Aaronsmith", "Li"), ("Quill", "Ada"),
]  # fmt: skip


def _name_order(clients, descending=False):
    """The registry's order by name as it was defined: a stable sort of the id-ordered clients."""
    by_id = sorted(clients, key=lambda c: c.pk)
    return sorted(
        by_id, key=lambda c: (c.last_name.lower(), c.first_name.lower()), reverse=descending
    )


def _caseload_with_names(names):
    """A prescriber (with a second, coordinator seat elsewhere) and clients named ``names``."""
    from tandem.core.tests.factories import MembershipFactory, OrganisationFactory

    prescriber = make_staff(Role.PRESCRIBER)
    MembershipFactory(user=prescriber, organisation=OrganisationFactory(), role=Role.COORDINATOR)
    stranger = make_staff(Role.PRESCRIBER)
    clients = []
    for i, (last, first) in enumerate(names):
        c = ClientFactory(last_name=last, first_name=first)
        add_to_care_team(c, prescriber, Role.PRESCRIBER if i % 3 else Role.COORDINATOR)
        if i % 4 == 0:  # seated twice, through both practices: still one row
            add_to_care_team(c, prescriber, Role.COORDINATOR if i % 3 else Role.PRESCRIBER)
        clients.append(c)
    # Not on the caseload: another prescriber's client, and one whose seat has ended.
    add_to_care_team(
        ClientFactory(last_name="Aaa", first_name="Outsider"), stranger, Role.PRESCRIBER
    )
    ended = add_to_care_team(
        ClientFactory(last_name="Aab", first_name="Ended"), prescriber, Role.PRESCRIBER
    )
    ended.ended_on = timezone.localdate()
    ended.save()
    return prescriber, clients


def _registry_pages(client, query):
    """Return the client public ids of every page of the registry, in order, and the count."""
    ids, page, total = [], 1, None
    while True:
        body = client.get(reverse("measures:registry"), {**query, "page": page}).content.decode()
        ids += re.findall(r'<td><a href="/measures/clients/([0-9a-f-]{36})/">', body)
        total = int(re.search(r'<p role="status">(\d+) client', body).group(1))
        if 'rel="next"' not in body:
            return ids, total
        page += 1


@pytest.mark.django_db
@pytest.mark.parametrize("descending", [False, True])
def test_the_name_order_pages_every_client_once_in_the_order_it_always_had(
    client, monkeypatch, descending
):
    # Given a caseload of 15 clients with tied and punctuated names over two practices' seats
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    prescriber, clients = _caseload_with_names(TRICKY_NAMES)
    _login(client, prescriber)
    expected = [str(c.public_id) for c in _name_order(clients, descending)]

    # When the prescriber pages through the registry sorted by name
    ids, total = _registry_pages(client, {"sort": "-name" if descending else "name"})

    # Then every client of the caseload is on exactly one page, in the name order, counted once
    assert (ids, total) == (expected, 15)
    # and the CSV export lists the same clients in the same order
    export_body = client.get(
        reverse("measures:registry_export"), {"sort": "-name" if descending else "name"}
    ).content.decode()
    by_id = {str(c.public_id): c for c in clients}
    assert [line[0] for line in list(csv.reader(io.StringIO(export_body)))[1:]] == [
        f"{by_id[i].last_name}, {by_id[i].first_name}" for i in expected
    ]
    export = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert export.detail["clients"] == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asked", "shown"),
    # Django's Paginator.get_page: not a number is the first page, below 1 or past the
    # end the last; the page and the count come from one query unless there is no such page
    [(None, 1), ("2", 2), ("4", 4), ("5", 4), ("99", 4), ("0", 4), ("-1", 4), ("x", 1),
     ("2.0", 1), (" 3 ", 3), ("99999999999999999999999", 4)],
)  # fmt: skip
def test_a_page_by_name_is_the_page_django_s_paginator_picked(client, monkeypatch, asked, shown):
    # Given 15 clients in pages of 4 (the last page holds 3)
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    prescriber, clients = _caseload_with_names(TRICKY_NAMES)
    _login(client, prescriber)
    expected = [str(c.public_id) for c in _name_order(clients)]

    # When the prescriber asks for the page ``asked``
    body = client.get(
        reverse("measures:registry"), {} if asked is None else {"page": asked}
    ).content.decode()

    # Then it is page ``shown`` of four, with its clients, and the count is of all of them
    ids = re.findall(r'<td><a href="/measures/clients/([0-9a-f-]{36})/">', body)
    assert ids == expected[(shown - 1) * 4 : shown * 4]
    assert f"Page {shown} of 4" in body
    assert '<p role="status">15 clients' in body


@pytest.mark.django_db
def test_an_empty_caseload_by_name_shows_no_clients_and_no_pages(client):
    # Given a prescriber without clients
    prescriber, _ = _caseload_with_names([])
    _login(client, prescriber)

    # When they open the registry, and its second page
    first = client.get(reverse("measures:registry")).content.decode()
    second = client.get(reverse("measures:registry"), {"page": 2}).content.decode()

    # Then both say so, and offer no other page
    for body in (first, second):
        assert '<p role="status">0 clients.' in body
        assert "No clients match." in body
        assert 'rel="next"' not in body
        assert 'rel="prev"' not in body


@pytest.mark.django_db
@pytest.mark.postgres
def test_on_postgresql_capital_accents_sort_as_their_lower_case(client, monkeypatch):
    # Given clients whose names start with capital accented letters
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    prescriber, clients = _caseload_with_names(
        [("Åberg", "Ida"), ("Ärger", "Ole"), ("Zorn", "Anders"), ("Östlund", "Eva"),
         ("ábaco", "Luz"), ("Émile", "Jo"), ("élan", "Mo")]
    )  # fmt: skip
    _login(client, prescriber)

    # When the prescriber pages through the registry by name
    ids, total = _registry_pages(client, {})

    # Then they sort as Python's lower case does (Zorn, ábaco, Ärger, Åberg, élan, Émile, ...)
    assert (ids, total) == ([str(c.public_id) for c in _name_order(clients)], 7)


@pytest.mark.django_db
@pytest.mark.parametrize("flag", ["", "safety", "overdue", "not_improving", "no_score"])
def test_every_sorted_or_filtered_page_shows_the_rows_the_full_registry_shows(
    rf, monkeypatch, flag
):
    # Given pages of two rows over four clients: one with a withheld score from the other
    # practice, a positive item 9 (an open alert) and an overdue cadence; two with scores
    # of their own; one without any
    from tandem.measures.models import MeasureSchedule
    from tandem.measures.registry import SORTS

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    world = MeasuresWorld()
    world.phq9(answers_totalling(21), by=world.therapist, days_ago=90)
    world.phq9(answers_totalling(18), days_ago=77)
    world.phq9(answers_totalling(12, item9=1), days_ago=1)
    actions.set_schedule(
        actor=world.prescriber, client=world.client, instrument="gad-7", every_days=14
    )
    MeasureSchedule.objects.update(next_due=timezone.localdate() - dt.timedelta(days=3))
    for name, scores in {"Abbot": ((84, 12), (0, 4)), "Zephyr": ((30, 9), (2, 11))}.items():
        other = ClientFactory(first_name="Pat", last_name=name)
        add_to_care_team(other, world.prescriber, Role.PRESCRIBER)
        for days_ago, total in scores:
            actions.record_response(
                world.prescriber, other, "phq-9", answers_totalling(total), source="clinician",
                idempotency_key=f"{name}-{days_ago}", organisation=world.psychiatry,
                entered_at=timezone.now() - dt.timedelta(days=days_ago),
            )  # fmt: skip
    add_to_care_team(ClientFactory(last_name="Nobody"), world.prescriber, Role.PRESCRIBER)

    for sort in [key for key in SORTS] + [f"-{key}" for key in SORTS]:
        for number in (1, 2, 3):
            # When the prescriber opens that page of the registry so sorted and filtered
            request = rf.get("/", {"sort": sort, "flag": flag, "page": number})
            request.user = world.prescriber
            params = views._registry_params(request)
            page, total = views._page(request, params)
            # Then its rows, complete in every column and flag, are that page of the whole
            # registry computed row by row (as the CSV export does), and the count is its size
            every = views._rows(request, params)
            cut = every[(page.number - 1) * 2 : page.number * 2]
            assert (list(page.object_list), total) == (cut, len(every)), (sort, number)


#: The registry table's row loop as ``registry.html`` wrote it before the rows were formatted
#: in Python (``views._registry_table_rows``): the reference their HTML must equal.
TEMPLATE_ROWS = """\
{% for r in lines %}
  <tr class="{{ r.row_class }}">
    <td><a href="{{ r.href }}">{{ r.last_name }}, {{ r.first_name }}</a></td>
    <td>{% if r.baseline is not None %}{{ r.baseline }} <span class="muted">{{ r.baseline_on }}</span>{% else %}<span class="muted">no score</span>{% endif %}{% if r.withheld %} <span class="tag">{{ r.withheld }} withheld</span>{% endif %}</td>
    <td>{% if r.latest is not None %}{{ r.latest }} <span class="muted">{{ r.latest_on }}</span>{% else %}—{% endif %}</td>
    <td>{% if r.change_points is not None %}{{ r.change_points }}{% else %}—{% endif %}</td>
    <td>{% if r.change_percent is not None %}{{ r.change_percent }}%{% else %}—{% endif %}</td>
    <td>{% if r.weeks is not None %}{{ r.weeks }}{% else %}—{% endif %}</td>
    <td class="flags">
      {% if r.open_alerts %}<span class="tag tag-danger">Safety alert open</span>{% endif %}
      {% if r.latest_flagged %}<span class="tag tag-danger">Suicide item positive</span>{% endif %}
      {% if r.latest_item9_blank %}<span class="tag tag-warn">Item 9 not answered</span>{% endif %}
      {% if r.not_improving %}<span class="tag tag-warn">Not improving: case review</span>{% endif %}
      {% if r.response %}<span class="tag tag-ok">Response</span>{% endif %}
      {% if r.remission %}<span class="tag tag-ok">Remission</span>{% endif %}
      {% if r.is_new %}<span class="tag">New</span>{% endif %}
      {% if r.overdue %}<span class="tag tag-warn">Overdue: {{ r.overdue }}</span>{% endif %}
    </td>
    <td>{% if r.last_contact_on %}{{ r.last_contact_on }}{% else %}—{% endif %}</td>
    <td>{% if r.next_due_on %}{{ r.next_due_measure }} {{ r.next_due_on }}{% else %}—{% endif %}</td>
  </tr>
  {% endfor %}"""


def _reference_lines(rows):
    """What the template's loop read of each row: the row's properties, each day through
    the ``date`` filter's formatter on the day in the current time zone (the table's
    values as ``views`` computed them before ``Row.figures`` and ``views._registry_table_rows``
    read the rows themselves)."""
    from django.urls import reverse
    from django.utils import dateformat

    def day(at):
        return timezone.localdate(at) if timezone.is_aware(at) else at.date()

    return [
        {
            "row_class": "row-safety" if r.safety else "row-review" if r.not_improving else "",
            "href": reverse("measures:client", args=[r.client.public_id]),
            "last_name": r.client.last_name,
            "first_name": r.client.first_name,
            "baseline": r.baseline.total if r.baseline else None,
            "baseline_on": dateformat.format(day(r.baseline.at), "M j") if r.baseline else "",
            "withheld": r.withheld,
            "latest": r.latest.total if r.latest else None,
            "latest_on": dateformat.format(day(r.latest.at), "M j") if r.latest else "",
            "change_points": r.change_points,
            "change_percent": r.change_percent,
            "weeks": r.weeks_in_treatment,
            "open_alerts": r.open_alerts,
            "latest_flagged": r.latest_flagged,
            "latest_item9_blank": r.latest_item9_blank,
            "not_improving": r.not_improving,
            "response": r.response,
            "remission": r.remission,
            "is_new": r.is_new,
            "overdue": ", ".join(r.overdue_measures),
            "last_contact_on": (
                dateformat.format(day(r.last_contact), "M j, Y") if r.last_contact else ""
            ),
            "next_due_measure": r.next_due_measure,
            "next_due_on": dateformat.format(r.next_due, "M j") if r.next_due else "",
        }
        for r in rows
    ]


def _varied_rows():
    """Rows of every kind the table shows: no score, one score, a change each way, flags,
    withheld scores, overdue and due measures, contacts near midnight, names HTML escapes."""
    import uuid

    from tandem.measures.registry import ClientName

    rng = random.Random(20261206)
    names = [("Doe", "Jo"), ("O'Brien & <Sons>", '"Al"'), ("Łukasiewicz", "Zoë"), ("", "")]
    flag_sets = [(), ("suicide_item_positive",), ("suicide_item_unanswered",), ("other",)]
    rows = []
    for n in range(160):
        last, first = names[n % len(names)]
        at0 = dt.datetime(2026, 1, 1, 4, 30, tzinfo=dt.UTC) + dt.timedelta(
            days=rng.randint(0, 150), hours=rng.choice([0, 1, 20])
        )
        at1 = at0 + dt.timedelta(days=rng.choice([0, 3, 30, 70, 90]), minutes=rng.randint(0, 900))
        total0, total1 = rng.choice([0, 4, 5, 9, 10, 20, 27]), rng.choice([0, 2, 4, 5, 10, 21])
        kind = n % 5
        baseline = None if kind == 0 else Score(total0, at0, (), 1)
        latest = (
            None if kind == 0 else baseline if kind == 1 else
            Score(total1, at1, rng.choice(flag_sets), 2)
        )  # fmt: skip
        due = rng.choice([None, dt.date(2026, 5, 2), dt.date(2026, 6, 1), dt.date(2026, 7, 9)])
        rows.append(
            Row(
                client=ClientName(n, uuid.UUID(int=n), last, first), measure="phq-9",
                today=dt.date(2026, 6, 1), baseline=baseline, latest=latest,
                withheld=rng.choice([0, 0, 1, 2]),
                last_contact=rng.choice([None, at1, at1 + dt.timedelta(hours=7)]),
                next_due=due, next_due_measure="PHQ-9 <&>" if n % 7 == 0 else "PHQ-9",
                overdue_measures=rng.choice([[], ["PHQ-9"], ["PHQ-9", "GAD-7 & co"], [""]]),
                open_alerts=rng.choice([0, 0, 0, 2]),
            )
        )  # fmt: skip
    # Moments either side of the clock changes of New York and Berlin (local midnight and
    # the change itself): the day shown is the day in the zone's time at that moment.
    changes = [
        dt.datetime(2026, 3, 8, 7, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC),
    ]  # fmt: skip
    for n, change in enumerate(changes):
        for minutes in (-301, -300, -299, -241, -240, -239, -61, -60, -1, 0, 1, 59, 60, 61):
            at = change + dt.timedelta(minutes=minutes)
            score = Score(n % 27, at, (), 3)
            rows.append(
                Row(
                    client=ClientName(1000 + n, uuid.UUID(int=1000 + n), "Clock", "Change"),
                    measure="phq-9", today=dt.date(2026, 12, 1), baseline=score,
                    latest=Score(n % 5, at + dt.timedelta(days=70), (), 4),
                    last_contact=at, next_due=at.date(),
                )
            )  # fmt: skip
    return rows


@pytest.mark.parametrize(
    ("zone", "language"),
    [
        ("America/New_York", "en-us"),
        ("UTC", "en-us"),
        ("Pacific/Kiritimati", "fr"),
        ("Europe/Berlin", "de"),
    ],
)
def test_the_registry_rows_are_the_html_the_template_wrote(zone, language):
    from django.template import engines
    from django.utils import translation

    # Given rows of every kind (names with characters HTML escapes, numbers, empty cells,
    # flags, moments that fall on another day in another time zone)
    rows = _varied_rows()

    with timezone.override(zone), translation.override(language):
        # When the rows are formatted, and the template's loop renders what the rows'
        # properties give
        html = views._registry_table_rows(rows)
        lines = _reference_lines(rows)
        reference = engines["django"].from_string(TEMPLATE_ROWS).render({"lines": lines})

    # Then the HTML is the same, byte for byte
    assert str(html) == reference
    # and text is escaped
    assert "O&#x27;Brien &amp; &lt;Sons&gt;, &quot;Al&quot;</a>" in html
    assert "PHQ-9 &lt;&amp;&gt; " in html
    assert "Overdue: PHQ-9, GAD-7 &amp; co</span>" in html


@pytest.mark.parametrize("language", ["en-us", "fr", "de"])
def test_the_table_writes_each_day_as_the_date_filter_does(language):
    from django.utils import dateformat, translation
    from django.utils.html import escape

    # Given every day of four years (leap year included)
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(4 * 365 + 1)]
    with translation.override(language):
        # When the table writes them; Then each is what ``|date`` writes, escaped
        written = views._Days()
        for day in days:
            assert written.on(day) == escape(dateformat.format(day, "M j"))
            assert written.on_year(day) == escape(dateformat.format(day, "M j, Y"))


def test_a_rows_figures_are_its_properties():
    def rows():
        # rows of every kind, and rows with every score pair around the thresholds (new
        # ones in each time zone: a score keeps the day it was first asked for)
        every = _varied_rows()
        for weeks in (0, 3, 4, 9, 10, 11):
            for first in (0, 1, 4, 5, 9, 10, 20):
                for last in (0, 2, 4, 5, 10, 20):
                    for flags in ((), ("suicide_risk_high",), ("suicide_item_unanswered",)):
                        every.append(_row(first, last, weeks, open_alerts=0))
                        every[-1].latest = Score(last, every[-1].latest.at, flags, 2)
        return [*every, _row(None, None)]

    for zone in ("America/New_York", "Pacific/Kiritimati"):
        with timezone.override(zone):
            for row in rows():
                # When the table reads a row's figures at once; Then each is its property's
                figures = row.figures(timezone.get_current_timezone())
                assert figures._asdict() == {f: getattr(row, f) for f in figures._fields}
                assert row.figures() == figures


@pytest.mark.parametrize(
    "text",
    ["O'Brien & <Sons>", '"Al"', "élan", "", 12, -3, "Nov 24, 2026", "/measures/clients/0b0e/"],
)
def test_the_table_escapes_text_as_django_s_conditional_escape(text):
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from tandem.core.html import text as escaped

    # Given a plain, a safe and a lazy text; Then the table's escape writes what Django's does
    for value in (text, mark_safe(str(text)), gettext_lazy(str(text))):  # noqa: S308 - a test value
        assert escaped(value) == str(conditional_escape(value))


def _scored_caseload(names, *, other_practice=False):
    """A caseload of ``names`` (``_caseload_with_names``) with PHQ-9s of the practice each
    client's first seat is through: tied totals, answers entered at the same second, answers
    without an author, clients with one score and with none; with ``other_practice``, one
    client also has the latest score, collected by a practice not the viewer's (withheld:
    no release)."""
    prescriber, clients = _caseload_with_names(names)
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(20261206)
    for n, c in enumerate(clients):
        seat_org = c.care_team.filter(user=prescriber).order_by("pk").first().organisation
        for w in range(n % 4):  # 0 to 3 scores
            QuestionnaireResponse.objects.create(
                client=c, instrument="phq-9", instrument_version="t", answers=[1] * 9,
                total=rng.choice([4, 9, 9, 15]), complete=True, source="clinician",
                organisation=seat_org, entered_by=None if w == 1 else prescriber,
                entered_at=now - dt.timedelta(days=7 * (n % 3 + w)), idempotency_key=f"{n}-{w}",
            )  # fmt: skip
    if other_practice:
        from tandem.core.tests.factories import OrganisationFactory

        QuestionnaireResponse.objects.create(
            client=clients[1], instrument="phq-9", instrument_version="t", answers=[3] * 9,
            total=27, complete=True, source="clinician", organisation=OrganisationFactory(),
            entered_by=None, entered_at=now, idempotency_key="elsewhere",
        )  # fmt: skip
    return prescriber


@pytest.mark.django_db
@pytest.mark.parametrize("other_practice", [False, True])
def test_pages_by_score_ordered_in_sql_are_the_pages_sorted_in_python(
    rf, monkeypatch, other_practice
):
    # Given 15 clients (tied names, two practices' seats) with tied scores and none, in
    # pages of four; and, the second time, one score another practice collected
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    prescriber = _scored_caseload(TRICKY_NAMES, other_practice=other_practice)
    python_sorted = []
    real_registry_rows = views.registry_rows

    def spied(*args, **kwargs):
        python_sorted.append(args)
        return real_registry_rows(*args, **kwargs)

    for sort in ("latest", "-latest", "baseline", "-baseline"):
        for asked in ("1", "2", "3", "4", "5", "0", "x", None):
            # When the prescriber opens that page of the registry sorted by a score
            request = rf.get(
                "/", {"sort": sort} if asked is None else {"sort": sort, "page": asked}
            )
            request.user = prescriber
            params = views._registry_params(request)
            with monkeypatch.context() as patched:
                patched.setattr(views, "registry_rows", spied)
                page, total = views._page(request, params)
            # Then its rows, complete in every column, are that page of the whole registry
            # sorted in Python, and the count is its size
            every = views._rows(request, params)
            cut = every[(page.number - 1) * 4 : page.number * 4]
            assert (list(page.object_list), total) == (cut, 15), (sort, asked)
            assert page.number == (
                4 if asked in ("5", "0") else 1 if asked in (None, "x") else int(asked)
            )
            # and the order came from the database, unless a score's consent decision
            # orders the page (another practice's score) or there is no such page
            assert bool(python_sorted) == (other_practice or asked in ("5", "0")), (sort, asked)
            python_sorted.clear()


#: ``registry.html`` as it was before its content block was written in Python
#: (``views._registry_content``), its rows being ``TEMPLATE_ROWS``: the page the registry
#: must still write, byte for byte.
OLD_REGISTRY_HTML = """\
{% extends "base.html" %}
{% load static %}
{% block title %}Registry{% endblock %}
{% block extra_head %}<link rel="stylesheet" href="{% static 'measures/measures.css' %}">{% endblock %}
{% block content %}
<h1>Caseload registry</h1>
<p class="lede">One row per active client of your care teams. Response: a drop of 50% or more from baseline. Remission: latest below 5. Not improving: 10 weeks or more without a response — bring to case review.</p>
<p><a href="{% url 'measures:case_reviews' %}?measure={{ params.measure }}">Case review list</a> · <a href="{% url 'measures:registry_export' %}?{{ query }}">Download CSV</a></p>
<form method="get" class="filters" aria-label="Filter the registry">
  <p class="field"><label for="measure">Measure</label>
    <select id="measure" name="measure">{% for code, name in measures.items %}<option value="{{ code }}" {% if params.measure == code %}selected{% endif %}>{{ name }}</option>{% endfor %}</select></p>
  <p class="field"><label for="flag">Show</label>
    <select id="flag" name="flag"><option value="">Everyone</option>{% for key, label in filters.items %}<option value="{{ key }}" {% if params.flag == key %}selected{% endif %}>{{ label }}</option>{% endfor %}</select></p>
  <p class="field"><label for="sort">Sort by</label>
    <select id="sort" name="sort">{% for key, label in sorts %}<option value="{{ key }}" {% if params.sort == key %}selected{% endif %}>{{ label }}, lowest first</option><option value="-{{ key }}" {% if params.sort == "-"|add:key %}selected{% endif %}>{{ label }}, highest first</option>{% endfor %}</select></p>
  <p class="field"><button type="submit">Apply</button></p>
</form>
<details class="saved-views">
  <summary>Saved views{% if views %} ({{ views|length }}){% endif %}</summary>
  {% if views %}<ul class="code-list">{% for v in views %}<li><a href="?{{ v.query }}">{{ v.name }}</a>
    <details class="confirm"><summary class="link-button">Delete…<span class="visually-hidden"> {{ v.name }}</span></summary>
      <form method="post" action="{% url 'measures:delete_view' %}">{% csrf_token %}<input type="hidden" name="view" value="{{ v.pk }}"><button type="submit" class="button button-danger-confirm">Yes, delete the saved view<span class="visually-hidden"> {{ v.name }}</span></button></form>
    </details></li>{% endfor %}</ul>{% endif %}
  <form method="post" action="{% url 'measures:save_view' %}" class="filters">
    {% csrf_token %}<input type="hidden" name="query" value="{{ query }}">
    <p class="field"><label for="view-name">Save this view as</label><input type="text" id="view-name" name="name" maxlength="60" required></p>
    <p class="field"><button type="submit" class="button button-secondary">Save view</button></p>
  </form>
</details>
<p role="status">{{ total }} client{{ total|pluralize }}{% if flag_label %} ({{ flag_label }}){% endif %}.</p>
{% if rows %}
<div class="table-scroll" tabindex="0" role="region" aria-label="Caseload registry"><table class="registry">
  <caption class="visually-hidden">Registry, {{ measure_label }}</caption>
  <thead><tr>
    {% for key, label, link, current in sort_links %}
    <th scope="col"{% if current %} aria-sort="{{ current }}"{% endif %}><a href="?{{ link }}">{{ label }}</a></th>
    {% if key == "weeks" %}<th scope="col">Flags</th>{% endif %}
    {% endfor %}
  </tr></thead>
  <tbody>
  {% include table_rows %}
  </tbody>
</table></div>
{% include "core/pages.html" with previous="Previous page" next="Next page" %}
{% else %}
<p class="muted">No clients match.</p>
{% endif %}
{% endblock %}
"""


def _first_difference(a, b):
    """Where two texts first differ, with some text either side (for a failure's message)."""
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return a[max(0, at - 80) : at + 80], b[max(0, at - 80) : at + 80]


def _old_registry_context(params, page, total, user):
    """The context the registry view gave ``OLD_REGISTRY_HTML`` (its code, as it was)."""
    from urllib.parse import urlencode

    from django.template import engines

    from tandem.measures.registry import FILTERS, REGISTRY_MEASURES, SORTS

    query = urlencode(params)
    sort_links = []
    for key, (label, _) in SORTS.items():
        if params["sort"] == key:
            current, target = "ascending", f"-{key}"
        elif params["sort"] == f"-{key}":
            current, target = "descending", key
        else:
            current, target = "", key
        sort_links.append((key, label, urlencode({**params, "sort": target}), current))
    return {
        "rows": page.object_list,
        "table_rows": engines["django"].from_string(TEMPLATE_ROWS),
        "lines": _reference_lines(page.object_list),
        "page": page,
        "params": params,
        "query": query,
        "measures": REGISTRY_MEASURES,
        "filters": FILTERS,
        "sorts": [(k, v[0]) for k, v in SORTS.items()],
        "sort_links": sort_links,
        "views": SavedView.objects.filter(user_id=user.pk),
        "total": total,
        "flag_label": FILTERS.get(params["flag"], ""),
        "measure_label": REGISTRY_MEASURES[params["measure"]],
    }


#: Registry addresses that show every part of the page: each sort both ways, each filter,
#: both measures, the first, a middle, the last, a missing and a mistyped page.
_PAGE_QUERIES = [
    *({"sort": s} for s in ("name", "baseline", "latest", "change", "change_pct", "weeks",
                             "last_contact", "next_due")),
    *({"sort": f"-{s}"} for s in ("name", "latest", "change", "weeks", "next_due")),
    *({"flag": f, "sort": "-latest"} for f in ("safety", "not_improving", "new", "overdue",
                                                "response", "remission", "no_score")),
    {"measure": "gad-7"}, {"measure": "gad-7", "sort": "weeks", "flag": "new"},
    {"page": "2"}, {"page": "4"}, {"page": "99"}, {"page": "x"},
    {"sort": "-latest", "page": "3"}, {"sort": "weeks", "page": "2", "flag": "new"},
    {"measure": "nonsense", "sort": "<b>", "flag": "\"x"},
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "language"), [("America/New_York", "en-us"), ("Pacific/Kiritimati", "fr")]
)
def test_the_registry_page_is_the_html_its_template_wrote(client, monkeypatch, zone, language):
    from django.template import engines
    from django.utils import translation

    # Given a caseload of 16 in pages of four (names with markup, scores of another
    # practice, clients without), in a practice of ``zone``; saved views named with
    # markup (listed by name, not as saved); someone with one client and with none
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    prescriber = _scored_caseload(
        [*TRICKY_NAMES, ("<b>Bold</b> & Co", "\"Q\" 'R'")], other_practice=True
    )
    SavedView.objects.create(user=prescriber, name="Late", query='sort=-latest&x=<y>&z="')
    SavedView.objects.create(user=prescriber, name="<i>Mine</i> & 'yours'", query="flag=safety")
    one = make_staff(Role.THERAPIST)
    add_to_care_team(ClientFactory(last_name="Solo", first_name="<Sam>"), one, Role.THERAPIST)
    nobody = make_staff(Role.COORDINATOR)
    for user in (prescriber, one, nobody):
        for m in user.memberships.all():
            m.organisation.time_zone = zone
            m.organisation.save()
    shown = []
    real_page, real_render = views._page, views.render

    def page_spy(request, params):
        shown.append((params, *real_page(request, params)))
        return shown[-1][1:]

    def render_spy(request, template, context):
        shown.append((request, context))
        return real_render(request, template, context)

    monkeypatch.setattr(views, "_page", page_spy)
    monkeypatch.setattr(views, "render", render_spy)
    old = engines["django"].from_string(OLD_REGISTRY_HTML)
    bodies = []
    for user, queries in ((prescriber, _PAGE_QUERIES), (one, [{}]), (nobody, [{}])):
        client.force_login(user)
        for query in queries:
            with translation.override(language):
                # When the registry page is asked for
                response = client.get(reverse("measures:registry"), query)
                (params, page, total), (request, context) = shown
                shown.clear()
                # Then it is the page the old template wrote with the old view's context
                # (the same CSRF token: each render masks its own)
                with timezone.override(zone):
                    reference = old.render(
                        {
                            **_old_registry_context(params, page, total, user),
                            "csrf_token": context["csrf_token"],
                        },
                        request,
                    )
            body = response.content.decode()
            assert body == reference, (query, _first_difference(body, reference))
            bodies.append(body)
    # (and the pages compared show every part of it)
    for part in ('rel="prev"', 'rel="next"', "No clients match.", "<p role=\"status\">1 client.",
                 "&lt;i&gt;Mine&lt;/i&gt; &amp; &#x27;yours&#x27;", "x=&lt;y&gt;", "(2)</summary>",
                 "&lt;b&gt;Bold&lt;/b&gt; &amp; Co", "&lt;Sam&gt;", 'aria-sort="descending"',
                 "(Safety flag or open alert)", "withheld", 'name="csrfmiddlewaretoken"'):  # fmt: skip
        assert any(part in b for b in bodies), part
