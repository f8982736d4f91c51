"""Each list's query is answered from the index shaped for its filter and order (PostgreSQL).

Every test builds a few thousand rows with ``bulk_create`` (a network, not one
practice: the list a person reads is a small slice of the table), runs
``ANALYZE`` so the planner knows it, and reads the plan of the exact query the
page runs. The plan must name the list's index and, where a page is cut from an
ordered list (a keyset or LIMIT page), contain no Sort: a Sort there means every
matching row is read and ordered before the page is cut, which is what grows
with the database. Nothing here forces the planner (``enable_seqscan`` stays on).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.models.base import ModelState
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.reports.selectors import search_events
from tandem.care.models import (
    ConsultNote,
    MedicationEvent,
    Message,
    ProgressCheckIn,
    SafetyAlert,
)
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.test_timeline import bulk_items
from tandem.clients.access import caseload_for, seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.timeline import Gate
from tandem.core.cursors import keyset_page
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, make_staff
from tandem.core.timeline import Cursor, Kind, Query, compose, kinds_with_rows
from tandem.measures.models import CaseReview, QuestionnaireResponse
from tandem.measures.registry_sql import by_score_sql, score_ends_sql
from tandem.measures.selectors import registry_by_name
from tandem.notifications import selectors as notification_selectors
from tandem.notifications.models import Notification, NotificationKind
from tandem.organisations.models import OrganisationKind
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.models import Referral, ReferralEvent, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.referrals.tests.test_views import bulk_referrals, http
from tandem.referrals.views import TRACKER_CARD
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def plan(qs: Any) -> str:
    """Return the plan PostgreSQL chooses for ``qs`` once it knows the tables' sizes."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return str(qs.explain())


def clients(count: int) -> list[Client]:
    return Client.objects.bulk_create(
        Client(first_name=f"Plan{i:05d}", last_name="Synthetic", date_of_birth=dt.date(1990, 1, 1))
        for i in range(count)
    )


@pytest.mark.django_db(transaction=True)  # (VACUUM: outside a transaction)
def test_the_registry_reads_its_caseloads_score_series_from_their_index_in_one_pass():
    # Given a prescriber with 40 clients in a network of 4,000, ten PHQ-9s each, vacuumed
    # (as autovacuum keeps a table that rows are mostly added to: an index-only scan reads
    # no row of a page it marked all visible)
    psychiatry = OrganisationFactory(kind=OrganisationKind.PSYCHIATRIC_PRACTICE)
    prescriber = make_staff(Role.PRESCRIBER, psychiatry)
    others = [make_staff(Role.PRESCRIBER, OrganisationFactory()) for _ in range(5)]
    people = clients(4000)
    CareTeamMember.objects.bulk_create(
        CareTeamMember(client=c, user=prescriber, organisation=psychiatry, role=Role.PRESCRIBER)
        for c in people[:40]
    )
    now = timezone.now()
    rng = random.Random(12)
    QuestionnaireResponse.objects.bulk_create(
        QuestionnaireResponse(
            client=c,
            instrument="phq-9",
            instrument_version="plan",
            answers=[1] * 9,
            total=rng.randint(0, 27),
            complete=True,
            source="clinician",
            organisation=psychiatry if n < 40 else others[n % 5].memberships.get().organisation,
            entered_by=prescriber if n < 40 else others[n % 5],
            entered_at=now - dt.timedelta(weeks=w),
            idempotency_key=uuid.uuid4().hex,
        )
        for n, c in enumerate(people)
        for w in range(10)
    )

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE measures_questionnaireresponse")

    # When the registry asks for the ends of its caseload's series
    caseload = list(caseload_for(prescriber).values_list("pk", flat=True))
    sql, params = score_ends_sql("phq-9", caseload)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN " + sql, params)
        shown = "\n".join(row[0] for row in cursor.fetchall())

    # Then the caseload's series are read from an index on the client (its 400 scores of
    # 40,000, numbered in one pass) and nothing scans the responses or is compiled: the
    # ids are one array parameter, whose estimate stays a caseload's, not a table's (the
    # grouped series with a list of ids was estimated at a table's and JIT-compiled, ~250 ms
    # on the full network)
    assert (
        "Index Scan using measures_resp_" in shown
        or "Index Only Scan using measures_resp_" in shown
    ), shown
    assert "Seq Scan on measures_questionnaireresponse" not in shown, shown
    assert "JIT" not in shown, shown
    # and from the index of the clients' scores alone (``measures_resp_scores_idx``, which
    # carries each score's values): no response row is read
    assert responses_read(shown) == ["Index Only Scan using measures_resp_scores_idx"], shown

    # And when the registry orders that caseload by the latest score (in SQL, the page's
    # clients with the count), each client's score and the check for another practice's
    # scores are steps down an index of the client's responses: nothing scans them
    caseload = registry_by_name(prescriber).order_by().query.sql_with_params()
    sql, params = by_score_sql(caseload, "phq-9", "-latest", offset=0, limit=100)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        shown = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on measures_questionnaireresponse" not in shown, shown
    assert "JIT" not in shown, shown
    assert shown.count("using measures_resp_") >= 2, shown
    # and both steps read the index of the clients' scores alone: the latest score is the
    # first entry from the client's end of it, no response row is read
    assert responses_read(shown) == [
        "Index Only Scan Backward using measures_resp_scores_idx",
        "Index Only Scan using measures_resp_scores_idx",
    ], shown


def responses_read(shown: str) -> list[str]:
    """Return how each step of a plan that reads the responses reads them."""
    return [
        line.split("->")[-1].split(" on measures_questionnaireresponse")[0].strip()
        for line in shown.splitlines()
        if " on measures_questionnaireresponse" in line
    ]


def _audit_events(orgs: list[Any], per_practice: int) -> None:
    practices = len(orgs)
    now = timezone.now()
    after = (AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    AuditEvent.objects.bulk_create(
        AuditEvent(
            seq=after + i,
            occurred_at=now - dt.timedelta(seconds=practices * per_practice - i),
            action=AuditAction.VIEW,
            object_type="clients.client",
            # the first practice is a small one among big ones: one event in 500
            organisation_id=str(
                (orgs[0] if i % 500 == 0 else orgs[1 + i % (practices - 1)]).public_id
            ),
            prev_hash="0" * 64,
            hash="0" * 64,
        )
        for i in range(practices * per_practice)
    )


def test_the_audit_search_pages_walk_the_practices_index_without_sorting():
    # Given 20,000 events of 20 practices: a small one (40 events) and big ones
    orgs = [OrganisationFactory() for _ in range(20)]
    small = make_staff(Role.PRACTICE_ADMIN, orgs[0])  # (their sign-ups are on the trail first)
    big = make_staff(Role.PRACTICE_ADMIN, orgs[1])
    _audit_events(orgs, 1000)

    # When each admin's newest page, and an older one keyed by event id, are planned
    mine = plan(search_events(small).order_by("-pk")[:51])
    events = search_events(big)
    middle = events.order_by("-pk").values_list("pk", flat=True)[200]
    newest = plan(events.order_by("-pk")[:51])
    older = plan(events.filter(pk__lt=middle).order_by("-pk")[:51])

    # Then the small practice's 40 rows come from its (organisation, id) index, and the
    # big one's pages walk an index in order and stop at 51 rows: no sort, no scan
    assert "audit_event_org_id_idx" in mine
    for shown in (mine, newest, older):
        assert "Seq Scan on audit_auditevent" not in shown
    for shown in (newest, older):
        assert "Sort" not in shown


def test_the_registry_reads_its_caseloads_seats_from_their_index_and_each_client_once():
    # Given a prescriber with 40 clients in a network of 4,000, each client with a seat of
    # two other people, and a few of the prescriber's seats ended
    psychiatry = OrganisationFactory(kind=OrganisationKind.PSYCHIATRIC_PRACTICE)
    prescriber = make_staff(Role.PRESCRIBER, psychiatry)
    others = [make_staff(Role.THERAPIST, OrganisationFactory()) for _ in range(4)]
    people = clients(4000)
    CareTeamMember.objects.bulk_create(
        [
            CareTeamMember(
                client=c, user=prescriber, organisation=psychiatry, role=Role.PRESCRIBER,
                ended_on=dt.date(2026, 1, 1) if n % 10 == 9 else None,
            )
            for n, c in enumerate(people[:44])
        ]
        + [
            CareTeamMember(
                client=c, user=others[(n + k) % 4], role=Role.THERAPIST,
                organisation=others[(n + k) % 4].memberships.get().organisation,
            )
            for n, c in enumerate(people)
            for k in range(2)
        ]
    )  # fmt: skip

    # When the registry asks for a page of that caseload by name, with its count
    shown = plan(registry_by_name(prescriber, counted=True)[:100])

    # Then the prescriber's seats (the caseload, and each client's first seat's practice)
    # are ranges of the seats' index, without reading the seats themselves, and each
    # client is read once (the access rule narrows the clients, not the seats: it read
    # each client a second time to check the seat it came from)
    seat_reads = [line for line in shown.splitlines() if " on clients_careteammember " in line]
    assert seat_reads, shown
    assert all("Index Only Scan using clients_careteam_seat_idx" in line for line in seat_reads), (
        shown
    )
    assert shown.count(" on clients_client ") == 1, shown


def explain(sql: str) -> str:
    """Return the plan of one captured statement (``ANALYZE`` first)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_tracker_pages_walk_the_therapists_index_in_order_without_their_packets():
    # Given a therapist with a long history (1,500 referrals) among 4,200 of five
    world = ReferralWorld()
    bulk_referrals(world, 1500)
    for _ in range(4):
        bulk_referrals(ReferralWorld(), 675)

    # When the tracker's first page and a deep older page are read
    plans = []
    token = ""
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            page = keyset_page(
                # the page's own query: the card's fields as values
                referral_selectors.tracker(world.therapist)
                .select_related(None)
                .values(*TRACKER_CARD),
                "created_at",
                token,
                size=50,
                purpose="referral_tracker",
            )
        (sql,) = [q["sql"] for q in captured if 'FROM "referrals_referral"' in q["sql"]]
        plans.append((sql, explain(sql)))
        token = page.older

    # Then each page walks the therapist's (therapist, created_at, id) index in order
    # and stops at 51 rows: no sort, no scan; the packets' text is not loaded
    for sql, shown in plans:
        assert "Seq Scan on referrals_referral " not in shown + " ", shown
        assert "referral_tracker_idx" in shown, shown
        assert "Sort" not in shown, shown
        assert "symptoms_tried" not in sql
        assert "medical_history" not in sql


def _a_practice_among_others() -> ReferralWorld:
    """Return a practice with 600 open and 600 closed referrals, among 3,000 in four practices."""
    world = ReferralWorld()
    bulk_referrals(world, 600)
    bulk_referrals(world, 600, status=ReferralStatus.CLOSED)
    for _ in range(3):
        bulk_referrals(ReferralWorld(), 600)
    return world


def test_the_inbox_reads_one_page_of_the_practices_open_referrals_in_working_order():
    world = _a_practice_among_others()

    shown = plan(referral_selectors.inbox(world.coordinator)[:50])

    assert "referral_inbox_order_idx" in shown
    assert "Sort" not in shown
    assert Referral.objects.count() == 3000


def test_the_inbox_counts_the_practices_open_referrals_from_its_index_without_the_clients():
    # Given a practice's 600 open referrals among 3,000, of clients in a network of 4,000
    world = _a_practice_among_others()
    clients(4000)

    # When the inbox counts its pages (the view's own count, captured)
    with CaptureQueriesContext(connection) as captured:
        http(world.coordinator).get(reverse("referrals:inbox"))
    (sql,) = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(")]
    shown = explain(sql)

    # Then it reads the practice's referrals through an index on their practice (the
    # inbox's, or the foreign key's where the practice's rows lie together), and no client
    assert any(i in shown for i in ("referral_inbox_order_idx", "to_organisation_id")), shown
    assert "clients_client" not in shown, shown
    assert "Seq Scan on referrals_referral " not in shown + " ", shown


def _clone(row: Any, client: Client) -> Any:
    """Return an unsaved copy of ``row`` for ``client``, with fresh unique values."""
    row = copy.copy(row)
    row._state = ModelState()
    row.pk = None
    row.client = client
    for f in row._meta.concrete_fields:
        if f.unique and not f.primary_key and f.has_default():
            setattr(row, f.attname, f.get_default())
    if hasattr(row, "idempotency_key"):
        row.idempotency_key = uuid.uuid4().hex
    return row


#: Each timeline kind's table and the index that serves its (client, time) order.
TIMELINE_INDEXES: dict[str, tuple[str, str]] = {
    Kind.APPOINTMENT: ("scheduling_appointment", "appt_client_timeline_idx"),
    Kind.CONSULT_NOTE: ("care_consultnote", "care_note_timeline_idx"),
    Kind.MEDICATION: ("care_medicationevent", "care_med_timeline_idx"),
    Kind.CHECKIN: ("care_progresscheckin", "care_checkin_timeline_idx"),
    Kind.MESSAGE: ("care_message", "care_msg_timeline_idx"),
    Kind.SAFETY: ("care_safetyalert", "care_alert_timeline_idx"),
    Kind.QUESTIONNAIRE: ("measures_questionnaireresponse", "measures_resp_timeline_idx"),
    Kind.CASE_REVIEW: ("measures_casereview", "measures_review_timeline_idx"),
}


def test_every_timeline_source_reads_one_page_of_one_clients_rows_in_order_from_its_index():
    # Given a client with a long record (600 items of every kind and 10 referrals of 5
    # steps each), in a network of 400 clients with 10 items of each kind and 5
    # referrals each: the client's page is 51 of 600 rows, which a sort would read all of
    world = CareWorld()
    bulk_items(world, 7 * 600)
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry, code="fu", name="Follow-up", duration_minutes=30
    )
    now = timezone.now()
    Appointment.objects.bulk_create(
        Appointment(
            organisation=world.psychiatry,
            prescriber=world.prescriber,
            client=world.client,
            appointment_type=kind,
            starts_at=now - dt.timedelta(days=i),
            ends_at=now - dt.timedelta(days=i) + dt.timedelta(minutes=30),
            blocked_until=now - dt.timedelta(days=i) + dt.timedelta(minutes=30),
            status=AppointmentStatus.COMPLETED,
        )
        for i in range(600)
    )
    network = clients(400)
    for model in (
        Appointment, ConsultNote, MedicationEvent, Message, ProgressCheckIn, SafetyAlert,
        QuestionnaireResponse, CaseReview,
    ):  # fmt: skip
        rows = list(model.objects.filter(client=world.client))[::60]  # spread over its time
        model.objects.bulk_create((_clone(r, c) for c in network for r in rows), batch_size=5000)
    bulk_referrals(world, 10)
    for other in network:
        Referral.objects.bulk_create(
            _clone(r, other) for r in Referral.objects.filter(client=world.client)[:5]
        )
    ReferralEvent.objects.bulk_create(
        ReferralEvent(referral=r, to_status=ReferralStatus.SENT, at=now - dt.timedelta(hours=n))
        for r in Referral.objects.all()
        for n in range(5)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    member = seat(world.therapist, world.client)
    gate = Gate(world.therapist, world.client, member.organisation_id if member else None)

    for wanted in Kind.values:
        whole = compose(Query(world.client, gate, frozenset({wanted})))
        deep = Cursor.of(whole[len(whole) // 2], older=True)
        for cursor in (None, deep, Cursor.of(whole[-1], older=False)):
            # When one page of that kind is read (the newest, an older one, a newer one)
            with CaptureQueriesContext(connection) as captured:
                items = compose(
                    Query(world.client, gate, frozenset({wanted}), newest=51, cursor=cursor)
                )
            assert 0 < len(items) <= 51
            table, index = TIMELINE_INDEXES.get(wanted, ("referrals_referralevent", ""))
            (sql,) = [q["sql"] for q in captured if f'FROM "{table}"' in q["sql"]]
            with connection.cursor() as cursor_:
                cursor_.execute("EXPLAIN " + sql)
                shown = "\n".join(row[0] for row in cursor_.fetchall())

            # Then the rows come from the client's (client, time, id) index in order:
            # no scan of the table, no sort, whatever the page
            assert f"Seq Scan on {table} " not in shown, (wanted, shown)
            if index:
                assert index in shown, (wanted, shown)
                assert "Sort" not in shown, (wanted, shown)
            else:
                # Referral steps: the client's referrals by their client index, then
                # their steps; a sort of one client's steps at most, never the table's
                assert "Seq Scan on referrals_referral " not in shown + " ", (wanted, shown)
                assert "Index" in shown, (wanted, shown)

    # And the one check of which kinds a client has rows of (the whole timeline's first
    # query) probes each kind's table by an index on its client, scanning none. (For a
    # typical client of the network: this one holds 600 of the 4,600 rows of each table,
    # so many that a scan would find one of them in the first few rows, and the planner
    # rightly takes it.)
    typical = network[7]
    with CaptureQueriesContext(connection) as captured:
        kinds_with_rows(typical.pk, frozenset(Kind.values))
    (check,) = [q["sql"] for q in captured]
    with connection.cursor() as cursor_:
        cursor_.execute("EXPLAIN " + check)
        shown = "\n".join(row[0] for row in cursor_.fetchall())
    for table, _index in [*TIMELINE_INDEXES.values(), ("referrals_referral", "")]:
        assert f"Seq Scan on {table} " not in shown, (table, shown)
        assert f" on {table} " in shown, (table, shown)


def test_a_persons_notifications_come_from_their_index():
    people = [make_staff(Role.THERAPIST, mfa=False) for _ in range(20)]
    Notification.objects.bulk_create(
        Notification(recipient=people[i % 20], kind=NotificationKind.choices[0][0], link="/")
        for i in range(6000)
    )

    listed = plan(notification_selectors.notifications_for(people[3])[:50])
    unread = plan(Notification.objects.filter(recipient=people[3], read_at__isnull=True))

    assert "notification_list_order_idx" in listed
    assert "Sort" not in listed
    assert "Seq Scan" not in unread


def test_verify_audits_orphan_check_is_an_anti_join_not_a_subplan_per_index_row():
    """``verify_audit`` on the full network never finished: its orphaned-index count was a
    ``NOT IN (subquery)``, which PostgreSQL cannot turn into an anti-join; once the events'
    ids outgrow ``work_mem`` it rescans them for every index row (200,000 x 2,000,000; a
    parallel scan still running after 24 minutes). The check must be a hash anti-join."""
    from tandem.audit.actions import record
    from tandem.audit.management.commands import verify_audit

    # Given list reads that named clients (events with client-index rows)
    people = clients(30)
    for i in range(10):
        record(
            actor=None,
            action=AuditAction.VIEW,
            object_type="clients.client",
            detail={"list": "caseload", "clients": [str(c.public_id) for c in people[i:i + 3]]},
        )  # fmt: skip

    # When verify_audit counts the index rows whose event is gone
    with CaptureQueriesContext(connection) as captured:
        assert verify_audit._orphaned_index() is None
    [orphans] = [q["sql"] for q in captured.captured_queries if "auditeventclient" in q["sql"]]

    # Then PostgreSQL answers it with an anti-join, one pass over each table
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("EXPLAIN " + orphans)
        shown = "\n".join(row[0] for row in cursor.fetchall())
    assert "Anti Join" in shown, shown
    assert "SubPlan" not in shown, shown


def test_the_alerts_every_signed_in_page_asks_about_come_from_the_open_ones_only():
    # Given a prescriber's practice paged by one open alert, among 6,000 answered alerts of
    # 1,500 clients in four practices (the network's years of crises) and a second open one
    world = CareWorld()
    others = [CareWorld() for _ in range(3)]
    people = clients(1500)
    now = timezone.now()

    def alert(client: Client, practice: Any, status: str, minutes: int) -> SafetyAlert:
        return SafetyAlert(
            client=client,
            organisation=practice.therapy,
            paged_organisation=practice.psychiatry,
            level="concern",
            source="clinician",
            summary="Synthetic.",
            raised_at=now - dt.timedelta(minutes=minutes),
            ack_due_at=now,
            status=status,
        )

    practices = [world, *others]
    SafetyAlert.objects.bulk_create(
        alert(people[i % 1500], practices[i % 4], "resolved", 60 + i) for i in range(6000)
    )
    SafetyAlert.objects.bulk_create(
        [alert(world.client, world, "open", 5), alert(others[0].client, others[0], "open", 9)]
    )

    # When the prescriber opens a page (the user's own query asks whether an alert may wait
    # for them; the banner lists the ones that do)
    with CaptureQueriesContext(connection) as captured:
        page = http(world.prescriber).get(reverse("core:dashboard"))
    assert page.status_code == 200
    asked = [q["sql"] for q in captured if "care_safetyalert" in q["sql"]]
    user_sql = [sql for sql in asked if 'FROM "accounts_user"' in sql]
    banner_sql = [sql for sql in asked if sql.startswith('SELECT "care_safetyalert"')]
    assert len(user_sql) == 1, asked
    assert banner_sql, asked
    may_wait, banner = explain(user_sql[0]), explain(banner_sql[0])

    # Then both read the open alerts alone, from their partial index, never the answered ones
    assert "care_alert_open_newest_idx" in may_wait, may_wait
    assert "care_alert_open_newest_idx" in banner, banner
    assert "Seq Scan on care_safetyalert" not in may_wait + banner, may_wait + banner
