"""The measures pages cost a fixed number of queries, however much data they show.

Each test opens a page over a small and a large amount of data and asserts the
same constant, then checks the large amount really is on the page (so the test
cannot pass on an empty one).
"""

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.care.models import MedicationEvent
from tandem.consent.categories import Category
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, add_to_care_team
from tandem.measures import actions
from tandem.measures.models import MeasureSchedule
from tandem.measures.tests.factories import MeasuresWorld, answers_totalling
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db

GAD7 = [1, 1, 1, 0, 0, 1, 2]  # totals 6


def _released_world() -> MeasuresWorld:
    """A client whose release lets the prescriber see the therapist's results and reviews."""
    world = MeasuresWorld()
    world.release_questionnaires(
        categories=[Category.QUESTIONNAIRES, Category.MEDICATIONS, Category.CONSULT_NOTES]
    )
    return world


def _fill_client(world: MeasuresWorld, responses: int, trackers: int) -> None:
    """Give the client data from both practices: results, trackers, cadences, reviews, events.

    ``responses`` PHQ-9s and GAD-7s alternate between the therapist and the prescriber;
    ``trackers`` sets the number of trackers (four values each, alternating authors),
    case reviews (alternating practices), medication changes and completed visits;
    the cadences are one (small) to three (large).
    """
    now = timezone.now()
    for i in range(responses):
        by = world.prescriber if i % 2 else world.therapist
        actions.record_response(
            by, world.client, "phq-9" if i % 3 else "gad-7",
            answers_totalling(i % 20) if i % 3 else GAD7,
            source="clinician", idempotency_key=uuid.uuid4(),
            organisation=world.psychiatry if by == world.prescriber else world.therapy,
            entered_at=now - dt.timedelta(days=responses - i),
        )  # fmt: skip
    for t in range(trackers):
        by = world.prescriber if t % 2 == 0 else world.therapist
        tracker = actions.define_tracker(
            actor=by, client=world.client, name=f"Symptom {t}", unit="per week"
        )
        for week in range(4):
            actions.record_symptom(
                actor=by, tracker=tracker,
                recorded_on=timezone.localdate() - dt.timedelta(days=7 * week), value=str(week + t),
            )  # fmt: skip
        actions.record_case_review(
            actor=world.therapist if t % 2 == 0 else world.prescriber,
            client=world.client,
            recommendations=f"Review number {t}.",
        )
    for code in ["phq-9", "gad-7", "pcl-5"][: 1 if trackers < 3 else 3]:
        actions.set_schedule(
            actor=world.prescriber, client=world.client, instrument=code, every_days=14
        )
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry, code="follow-up", name="Follow-up", duration_minutes=30
    )
    for m in range(trackers):
        MedicationEvent.objects.create(
            client=world.client, prescriber=world.prescriber, organisation=world.psychiatry,
            change="start", drug=f"drug{m}", occurred_at=now - dt.timedelta(days=3 * m + 1),
        )  # fmt: skip
        start = now - dt.timedelta(days=3 * m + 2)
        Appointment.objects.create(
            organisation=world.psychiatry, prescriber=world.prescriber, client=world.client,
            appointment_type=kind, starts_at=start, ends_at=start + dt.timedelta(minutes=30),
            blocked_until=start + dt.timedelta(minutes=30), status=AppointmentStatus.COMPLETED,
        )  # fmt: skip


#: Whatever the number of results, trackers, values, cadences, reviews and events:
#: session, user (with their second factor and client record: tandem.accounts.backends;
#: the MFA check and the navigation's own-client lookup were two more queries, was 26),
#: memberships; the client and the viewer's care-team seat; the read's
#: audit row (savepoint, chain head, insert, head update, release); the viewer's seat for
#: the consent gate; the client's releases, their parties and the treatment-exception
#: practices (loaded once for the whole page, in one statement: was three); the responses, the tracker values, the
#: trackers; the medication changes and the appointments (chart markers); the cadences;
#: the case reviews (with authors and practices); which results shown are already in the
#: client's accounting of disclosures; the viewer's seat for the page's forms; the
#: no open-alert banner query (no alert waits for the viewer: asked with the user); and no session write.
CLIENT_PAGE_QUERIES = 21 - fewer_on_postgresql()


@pytest.mark.parametrize(("responses", "trackers"), [(3, 1), (40, 5)])
def test_the_client_measures_page_costs_the_same_queries_for_few_or_many_results_and_trackers(
    client, responses, trackers, django_assert_num_queries
):
    world = _released_world()
    _fill_client(world, responses, trackers)
    client.force_login(world.prescriber)
    url = reverse("measures:client", args=[world.client.public_id])
    client.get(url)  # the first read may record disclosures; count a steady-state read

    with django_assert_num_queries(CLIENT_PAGE_QUERIES):
        page = client.get(url)

    body = page.content.decode()
    assert page.status_code == 200
    # Every result and every tracker value has its row in a data table, none withheld
    assert body.count("<tr><td>") == responses + 4 * trackers
    assert "Withheld" not in body
    assert body.count('<svg class="trend-chart"') == 2 + trackers  # PHQ-9, GAD-7, trackers
    assert body.count("<caption>Symptom ") == trackers
    assert len(re.findall(r"Review number \d+\.", body)) == trackers
    assert body.count("every 14 days") == (1 if trackers < 3 else 3)
    assert len(re.findall(r'class="legend-med" aria-hidden="true">℞\d+</span>', body)) == trackers


#: Whatever the size of the caseload: session, user (with their second factor and client
#: record, one query: tandem.accounts.backends; the MFA check and the navigation's
#: own-client lookup were two more), memberships; the seats with their clients; the first and last scores; cadences;
#: releases with their parties and the treatment-exception practices in one statement
#: (was three), for the clients with another practice's score or cadence only (was 28: the gate listed the caseload's ids
#: from a query to read every client's releases up front); one UNION of the
#: three last-contact aggregates (results, tracker values, visits); open safety alerts; the
#: audit row (savepoint, chain head, insert, head update, the page's clients indexed,
#: release);
#: the open-alert banner, the names of its clients and the audit row of that read (savepoint,
#: chain head, insert, head update, its clients indexed, release); no session write.
#: The scores, cadences, contacts and alerts are one statement (``registry_sql.read``).
CASE_REVIEW_QUERIES = 20 - fewer_on_postgresql(
    2, indexed=2
)  # 28 -> 27 (releases only when needed) -> 25 (user load) -> 23 (one consent statement) -> 20


@pytest.mark.parametrize("clients", [3, 40])
def test_the_case_review_list_costs_the_same_queries_for_3_or_40_clients(
    client, clients, django_assert_num_queries
):
    # Given a prescriber whose caseload has ``clients`` more clients, each with a baseline
    # and a latest PHQ-9 (every other one flagged on item 9), besides the released client
    world = _released_world()
    world.phq9(answers_totalling(18), by=world.therapist, days_ago=90)
    for i in range(clients):
        other = ClientFactory(last_name=f"Caseload{i:02d}")
        add_to_care_team(other, world.prescriber, Role.PRESCRIBER)
        for days_ago, total in ((80, 16), (0, 15 if i % 2 else 4)):
            actions.record_response(
                world.prescriber, other, "phq-9", answers_totalling(total, item9=i % 2),
                source="clinician", idempotency_key=uuid.uuid4(), organisation=world.psychiatry,
                entered_at=timezone.now() - dt.timedelta(days=days_ago),
            )  # fmt: skip
    client.force_login(world.prescriber)
    url = reverse("measures:case_reviews")
    client.get(url)

    with django_assert_num_queries(CASE_REVIEW_QUERIES):
        page = client.get(url)

    body = page.content.decode()
    assert len(re.findall(r'<h2 class="referral-title">', body)) == clients + 1
    # (each client listed; the open-alert banner may name the flagged ones again)
    assert len(set(re.findall(r"Caseload\d\d", body))) == clients
    assert body.count('<span class="tag tag-danger">Safety</span>') == clients // 2
    assert "Baseline 18, latest 18" in body  # the therapist's score, released to the prescriber


#: Whatever the number of cadences: session, user (with their client record:
#: tandem.accounts.backends; the navigation's own-client lookup was one more query, was 6),
#: memberships; the client's own record; the active cadences; no session write.
PORTAL_QUERIES = 5


@pytest.mark.parametrize("due", [1, 5])
def test_the_portal_costs_the_same_queries_for_1_or_5_questionnaires_due(
    client, due, django_assert_num_queries
):
    world = MeasuresWorld()
    for code in ["phq-9", "gad-7", "pcl-5", "audit-c", "gad-2"][:due]:
        actions.set_schedule(
            actor=world.prescriber, client=world.client, instrument=code, every_days=14
        )
    # Every other one has been due for three days already
    for schedule in MeasureSchedule.objects.order_by("pk")[::2]:
        schedule.next_due = timezone.localdate() - dt.timedelta(days=3)
        schedule.save(update_fields=["next_due"])
    client.force_login(world.client_user)
    url = reverse("measures:portal")
    client.get(url)

    with django_assert_num_queries(PORTAL_QUERIES):
        page = client.get(url)

    body = page.content.decode()
    assert body.count("Answer the ") == due
    assert body.count('<span class="tag tag-warn">due since') == (due + 1) // 2
