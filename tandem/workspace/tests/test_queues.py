"""The home page is each role's work queue on the demo: true counts, links to the work, fixed cost.

The demo is seeded once for the module (it only reads); a test that adds rows undoes them
with its own transaction.
"""

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.models import AuditEvent
from tandem.care.checkins.models import CheckInStatus, ProgressCheckIn
from tandem.care.notes.models import ConsultNote, NoteStatus
from tandem.clients.access import caseload_for
from tandem.core import policy
from tandem.core.policy import Action
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from tandem.tests.support.audit import fewer_on_postgresql
from tandem.tests.support.demo import seeded_once
from tandem.tests.support.http import Client
from tandem.workspace import queues

pytestmark = pytest.mark.django_db

SEEDED_AT = dt.datetime(2026, 11, 30, 14, 0, 5, tzinfo=dt.UTC)
DEMO = "@demo.tandem.test"


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker, at=SEEDED_AT, keep_clock=True) as world:
        yield world


def _home(user: User) -> str:
    web = Client()
    web.force_login(user)
    response = web.get(reverse("core:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def _queue(page: str, key: str) -> str:
    found = re.search(rf'data-queue="{key}">(.*?)</section>', page, re.S)
    assert found, f"no queue {key}"
    return found.group(1)


def _count(section: str) -> int:
    found = re.search(r'data-count="(\d+)"', section)
    assert found
    return int(found.group(1))


def test_coordinator_opens_on_referrals_due_info_requested_and_clients_to_schedule(demo_world):
    priya = User.objects.get(email="priya.raman" + DEMO)
    inbox = Referral.objects.filter(to_organisation__name="Harborlight Psychiatry")

    page = _home(priya)

    due = _queue(page, "due")
    unanswered = inbox.filter(
        responded_at__isnull=True, status__in=[ReferralStatus.SENT, ReferralStatus.RECEIVED]
    )
    # The urgent, the overdue and the escalated referrals are all due by tonight.
    assert (
        _count(due)
        == unanswered.filter(due_at__lt=timezone.now() + dt.timedelta(days=1)).count()
        >= 3
    )
    assert "Overdue since" in due
    urgent = inbox.get(urgent=True, responded_at__isnull=True)
    assert reverse("referrals:detail", args=[urgent.public_id]) in due
    info = _queue(page, "info")
    assert _count(info) == inbox.filter(status=ReferralStatus.INFO_REQUESTED).count() == 1
    schedule = _queue(page, "schedule")
    accepted = inbox.get(status=ReferralStatus.ACCEPTED)
    assert _count(schedule) == 1
    assert reverse("scheduling:referral_booking", args=[accepted.public_id]) in schedule
    assert "The referral inbox and the schedule will appear here" not in page
    assert 'data-queue="today"' in page
    # The queues name clients: the read is in the audit trail, once.
    assert AuditEvent.objects.filter(actor_id=priya.pk, detail__list="home").count() == 1


def test_therapist_opens_on_referrals_waiting_on_her(demo_world):
    # The therapist of the referral the practice asked a question about.
    asked = Referral.objects.get(
        to_organisation__name="Harborlight Psychiatry", status=ReferralStatus.INFO_REQUESTED
    )

    page = _home(asked.therapist)

    waiting = _queue(page, "referrals")
    assert reverse("referrals:detail", args=[asked.public_id]) in waiting
    assert "The practice asked a question: answer it" in waiting
    assert (
        _count(waiting)
        == Referral.objects.filter(
            therapist=asked.therapist,
            status__in=[ReferralStatus.INFO_REQUESTED, ReferralStatus.DRAFT],
        ).count()
    )
    for key in ("notes", "medications", "checkins"):
        _queue(page, key)


def test_prescriber_opens_on_visits_notes_alerts_registry_and_check_ins(demo_world):
    page = _home(User.objects.get(email="elena.marsh" + DEMO))

    for key in ("today", "unsigned", "alerts", "answered"):
        _queue(page, key)
    assert reverse("measures:registry") + "?flag=not_improving" in _queue(page, "registry")


def test_client_sees_what_to_do_next(demo_world):
    page = _home(User.objects.get(email="jordan.ellery" + DEMO))

    todo = _queue(page, "todo")
    # Jordan's release waits for his signature: the first thing to do.
    assert "Sign a release" in todo
    assert "/consent/releases/" in todo
    assert "No visit booked." in _queue(page, "next_visit")


def test_counts_are_true_beyond_the_items_shown(demo_world):
    priya = User.objects.get(email="priya.raman" + DEMO)
    shown = queues.coordinator_queues(priya)
    due = next(q for q in shown if q.key == "due")

    assert len(due.items) <= queues.LIMIT
    assert due.total == len(due.items) + due.more


@pytest.mark.parametrize(
    ("email", "queries"),
    # The prescriber's open alerts are read once for the queue and the banner, and the
    # small queues (a day's visits, a prescriber's drafts and answered check-ins) count
    # in the query that reads them (were 20 and 14); Elena's queues name Wren on the demo
    # (today's work), so her page, like Priya's, writes the one audit row of the read.
    # The user comes with their second factor and client record (tandem.accounts.backends):
    # two queries fewer for staff, one for Jordan (a client: no MFA check); were 19, 16,
    # 15 and 9. No open alert waits for Elena or Maya on the demo: the user's own query says
    # so (crisis.selectors.alert_may_wait), and the alerts are not read (were 14 and 13).
    # A prescriber's three small queues and her caseload's count are one statement
    # (queues.read_together; Elena's page was 13).
    [
        ("priya.raman", 17 - fewer_on_postgresql(indexed=1)),
        ("elena.marsh", 10 - fewer_on_postgresql(indexed=1)),
        ("maya.brennan", 12),
        ("jordan.ellery", 8),
    ],
)
def test_each_home_page_costs_a_fixed_number_of_queries(
    demo_world, email, queries, django_assert_num_queries
):
    # The same number on the demo's 20 referrals as on a practice with thousands: every
    # queue is one LIMIT query and one COUNT on indexed filters, never a walk of the rows.
    web = Client()
    web.force_login(User.objects.get(email=email + DEMO))
    with django_assert_num_queries(queries):
        assert web.get(reverse("core:dashboard")).status_code == 200


def test_more_referrals_cost_no_more_queries(demo_world, django_assert_num_queries):
    priya = User.objects.get(email="priya.raman" + DEMO)
    web = Client()
    web.force_login(priya)
    # (Was 19: the user comes with their second factor and client record, one query.)
    with django_assert_num_queries(17 - fewer_on_postgresql(indexed=1)):
        web.get(reverse("core:dashboard"))
    # Twelve more referrals waiting for their first response, all overdue.
    template = Referral.objects.filter(
        to_organisation__name="Harborlight Psychiatry", status=ReferralStatus.RECEIVED
    ).first()
    assert template is not None
    for _ in range(12):
        template.pk = None
        template.public_id = uuid.uuid4()
        template.idempotency_key = uuid.uuid4()
        template.due_at = timezone.now() - dt.timedelta(hours=3)
        template.responded_at = None
        template.save(force_insert=True)

    with django_assert_num_queries(17 - fewer_on_postgresql(indexed=1)):
        page = web.get(reverse("core:dashboard")).content.decode()
    due = _queue(page, "due")
    assert re.search(r"and \d+ more\.", due)


def test_small_queues_read_together_give_the_rows_and_counts_of_their_own_queries(
    demo_world, django_assert_num_queries
):
    # Every referral of the demo (more than a queue shows), a slice of them newest first,
    # none, and a rule's none(); the caseload counted beside them
    elena = User.objects.get(email="elena.marsh" + DEMO)
    parts = {
        "all": queues.Small(Referral.objects.order_by("created_at", "pk"), "created_at"),
        "received": queues.Small(
            Referral.objects.filter(status=ReferralStatus.RECEIVED).order_by("-created_at", "-pk"),
            "created_at",
            newest_first=True,
        ),
        "nothing": queues.Small(Referral.objects.filter(pk=-1), "created_at"),
        "denied": queues.Small(Referral.objects.none(), "created_at"),
    }
    caseload = caseload_for(elena).values("pk")

    with django_assert_num_queries(1):
        read, count = queues.read_together(parts, caseload)

    assert count == caseload.count() > 0
    for key, part in parts.items():
        rows, total = read[key]
        expected_rows, expected_total = queues._page(part.qs)
        assert [r.pk for r in rows] == [r.pk for r in expected_rows]
        assert [(r.public_id, r.at, r.client) for r in rows] == [
            (r.public_id, r.created_at, r.client.public_id) for r in expected_rows
        ]
        assert total == expected_total
    assert read["all"][1] > queues.LIMIT


def _old_prescriber_items(user: User) -> dict[str, tuple[list[queues.Item], int, set[str]]]:
    """The prescriber's three small queues as the page built them from model instances."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    org_ids = [m.organisation_id for m in policy.active_memberships(user) if m.role == "prescriber"]
    visits = (
        policy.scope(user, Action.VIEW, Appointment.objects.all())
        .filter(
            organisation_id__in=org_ids,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
            status__in=[*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW],
            prescriber=user,
        )
        .select_related("client", "prescriber", "appointment_type")
        .order_by("starts_at", "pk")
    )
    notes = (
        policy.scope(user, Action.VIEW, ConsultNote.objects.all())
        .filter(author=user, status=NoteStatus.DRAFT)
        .select_related("client")
        .order_by("created_at", "pk")
    )
    checkins = (
        policy.scope(user, Action.VIEW, ProgressCheckIn.objects.all())
        .filter(
            requested_by=user,
            status=CheckInStatus.ANSWERED,
            answered_at__gte=timezone.now() - dt.timedelta(days=14),
        )
        .select_related("client", "therapist")
        .order_by("-answered_at", "-pk")
    )
    a, n, c = (list(qs[: queues.LIMIT]) for qs in (visits, notes, checkins))
    return {
        "today": (
            [
                queues.Item(
                    f"{timezone.localtime(v.starts_at):%-I:%M %p} {queues._name(v.client)}",
                    reverse("scheduling:appointment", args=[v.public_id]),
                    f"{v.appointment_type.name} · {v.get_status_display()}",
                )
                for v in a
            ],
            visits.count(),
            {str(v.client.public_id) for v in a if v.client is not None},
        ),
        "unsigned": (
            [
                queues.Item(
                    f"Consult note for {queues._name(x.client)}",
                    reverse("care:note_edit", args=[x.public_id]),
                    f"Draft started {queues._local(x.created_at)}",
                )
                for x in n
            ],
            notes.count(),
            {str(x.client.public_id) for x in n},
        ),
        "answered": (
            [
                queues.Item(
                    f"Progress update on {queues._name(x.client)}",
                    reverse("care:checkin", args=[x.public_id]),
                    f"From {x.therapist.display_name}, {queues._local(x.answered_at)}",
                )
                for x in c
            ],
            checkins.count(),
            {str(x.client.public_id) for x in c},
        ),
    }


def test_the_prescribers_queues_read_in_one_statement_show_what_the_model_reads_showed(
    demo_world,
):
    # Given the demo's prescriber and her queues as the page read them from model instances
    elena = User.objects.get(email="elena.marsh" + DEMO)
    expected = _old_prescriber_items(elena)
    assert sum(len(items) for items, _, _ in expected.values()) >= 2, "the demo fills queues"

    # When her queues are read together, with her caseload counted beside them
    shown, count = queues.prescriber_queues(elena, [], caseload=caseload_for(elena).values("pk"))

    # Then each queue shows the same items, count and clients (so the same HTML and audit row)
    by_key = {q.key: q for q in shown}
    for key, (items, total, clients) in expected.items():
        assert by_key[key].items == items
        assert by_key[key].total == total
        assert by_key[key].clients == clients
    assert count == caseload_for(elena).count()


def test_the_coordinators_schedule_reads_what_the_model_read_showed(demo_world):
    # Given the demo's coordinator and today's visits at her practice, read as models
    priya = User.objects.get(email="priya.raman" + DEMO)
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    org_ids = [
        m.organisation_id for m in policy.active_memberships(priya) if m.role == "coordinator"
    ]
    visits = (
        policy.scope(priya, Action.VIEW, Appointment.objects.all())
        .filter(
            organisation_id__in=org_ids,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
            status__in=[*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW],
        )
        .select_related("client", "prescriber", "appointment_type")
        .order_by("starts_at", "pk")
    )
    rows = list(visits[: queues.LIMIT])
    assert rows, "the demo has a visit today"

    today = next(q for q in queues.coordinator_queues(priya) if q.key == "today")

    assert today.items == [
        queues.Item(
            f"{timezone.localtime(v.starts_at):%-I:%M %p} {queues._name(v.client)}",
            reverse("scheduling:appointment", args=[v.public_id]),
            f"{v.appointment_type.name} with {v.prescriber.display_name}"
            f" · {v.get_status_display()}",
        )
        for v in rows
    ]
    assert today.total == visits.count()
    assert today.clients == {str(v.client.public_id) for v in rows if v.client is not None}


def test_an_urgent_referral_stays_in_the_due_queue_when_its_due_time_is_past_midnight(demo_world):
    # Given the urgent referral arrived in the evening: its working-hours response time
    # falls tomorrow morning, after the end of the coordinator's day
    priya = User.objects.get(email="priya.raman" + DEMO)
    urgent = Referral.objects.get(
        to_organisation__name="Harborlight Psychiatry", urgent=True, responded_at__isnull=True
    )
    kept = urgent.due_at
    _, end_of_today = queues._today_bounds()
    Referral.objects.filter(pk=urgent.pk).update(due_at=end_of_today + dt.timedelta(hours=10))
    try:
        # When she opens her home page
        due = _queue(_home(priya), "due")
    finally:
        Referral.objects.filter(pk=urgent.pk).update(due_at=kept)

    # Then the urgent referral is in her due queue, marked urgent
    assert reverse("referrals:detail", args=[urgent.public_id]) in due
    assert "urgent" in due
