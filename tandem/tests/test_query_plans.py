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

import datetime as dt
import random
import uuid
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.reports.selectors import search_events
from tandem.clients.access import caseload_for
from tandem.clients.models import CareTeamMember, Client
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, make_staff
from tandem.core.timeline import Query
from tandem.measures.models import QuestionnaireResponse
from tandem.measures.selectors import _ends
from tandem.notifications import selectors as notification_selectors
from tandem.notifications.models import Notification, NotificationKind
from tandem.organisations.models import OrganisationKind
from tandem.referrals import selectors as referral_selectors
from tandem.referrals.models import Referral, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.referrals.tests.test_views import bulk_referrals

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


def test_the_registry_finds_each_first_and_last_score_on_its_covering_index():
    # Given a prescriber with 40 clients in a network of 4,000, ten PHQ-9s each
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

    # When the registry asks for the ends of its caseload's series
    shown = plan(_ends("phq-9", caseload_for(prescriber).values_list("pk", flat=True)))

    # Then both ends of every series come from the covering partial index (an
    # index-only step each) and the series are found from the caseload's clients.
    # Fetching the 80 ends by primary key may still hash them against one scan at
    # this size (the planner's choice flips between runs); at a million responses
    # it is 80 index lookups, so only that one scan is tolerated here.
    assert shown.count("measures_resp_ends_idx") >= 2
    assert shown.count("Seq Scan on measures_questionnaireresponse") <= 1


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


def test_the_tracker_reads_only_the_therapists_referrals_without_their_packets():
    # Given a therapist with 300 referrals among 3,000 of five therapists
    world = ReferralWorld()
    bulk_referrals(world, 300)
    for _ in range(4):
        bulk_referrals(ReferralWorld(), 675)
    page = referral_selectors.tracker(world.therapist)[:50]

    shown = plan(page)

    # Then the plan reads the therapist's rows by index (a sort of one therapist's
    # referrals at most, never the table's), and the packets' text is not loaded
    assert "Seq Scan on referrals_referral" not in shown
    assert "therapist_id" in shown.split("Index Cond:")[1].splitlines()[0]
    assert "symptoms_tried" not in str(page.query)
    assert "medical_history" not in str(page.query)


def test_the_inbox_reads_one_page_of_the_practices_open_referrals_in_working_order():
    world = ReferralWorld()
    bulk_referrals(world, 600)
    bulk_referrals(world, 600, status=ReferralStatus.CLOSED)
    for _ in range(3):
        bulk_referrals(ReferralWorld(), 600)

    shown = plan(referral_selectors.inbox(world.coordinator)[:50])

    assert "referral_inbox_order_idx" in shown
    assert "Sort" not in shown
    assert Referral.objects.count() == 3000


def test_a_timeline_source_reads_one_clients_newest_rows_from_its_index():
    # Given 2,000 clients with ten results each
    org = OrganisationFactory()
    people = clients(2000)
    now = timezone.now()
    QuestionnaireResponse.objects.bulk_create(
        QuestionnaireResponse(
            client=c,
            instrument="gad-7",
            instrument_version="plan",
            answers=[1] * 7,
            total=7,
            complete=True,
            source="clinician",
            organisation=org,
            entered_at=now - dt.timedelta(days=d),
            idempotency_key=uuid.uuid4().hex,
        )
        for c in people
        for d in range(10)
    )
    query = Query(people[7], gate=None, wanted=frozenset(), newest=51)

    shown = plan(query.window(QuestionnaireResponse.objects.filter(client=people[7]), "entered_at"))

    # Then only that client's rows are read (a sort of ten rows is no table sort)
    assert "Seq Scan on measures_questionnaireresponse" not in shown
    assert "Index" in shown


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
