"""The response clock in the worker, and the packet as the consent engine lets the practice see it."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail

from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals import actions, selectors, states
from tandem.referrals.models import Referral
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db
BOSTON = zoneinfo.ZoneInfo("America/New_York")
_built = world_built_on(
    dt.datetime(2027, 4, 5, 9, 0, tzinfo=BOSTON)
)  # before the fixed days of April 2027


def test_friday_evening_before_patriots_day_is_due_wednesday_and_escalates_thursday(
    django_capture_on_commit_callbacks,
):
    world = ReferralWorld(response_target_days=1)
    referral = world.drafted()
    with (
        time_machine.travel(dt.datetime(2027, 4, 16, 18, 5, tzinfo=BOSTON), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = actions.send_referral(actor=world.therapist, referral=referral)
    assert sent.due_at == dt.datetime(2027, 4, 21, 17, 0, tzinfo=BOSTON)
    run_worker()  # delivers the "new referral" emails
    Notification.objects.all().delete()
    mail.outbox.clear()

    with time_machine.travel(dt.datetime(2027, 4, 21, 16, 59, tzinfo=BOSTON), tick=False):
        run_worker()
    assert Referral.objects.get(pk=sent.pk).overdue_level == 0

    with time_machine.travel(dt.datetime(2027, 4, 21, 17, 1, tzinfo=BOSTON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        run_worker()
    assert Referral.objects.get(pk=sent.pk).overdue_level == 1
    overdue = Notification.objects.filter(kind=NotificationKind.REFERRAL_OVERDUE)
    assert set(overdue.values_list("recipient_id", flat=True)) == {
        world.coordinator.pk,
        world.admin.pk,
    }

    # Still untouched at the close of the next business day: escalate, on-call prescriber too.
    with time_machine.travel(dt.datetime(2027, 4, 22, 17, 1, tzinfo=BOSTON), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_worker()
        run_worker()
    assert Referral.objects.get(pk=sent.pk).overdue_level == 2
    assert Notification.objects.filter(
        kind=NotificationKind.REFERRAL_OVERDUE, recipient=world.prescriber
    ).exists()
    assert all(world.client.last_name not in m.body for m in mail.outbox)


def test_answered_referral_never_goes_overdue(django_capture_on_commit_callbacks):
    world = ReferralWorld()
    with django_capture_on_commit_callbacks(execute=True):
        sent = world.sent()
    actions.receive(actor=world.coordinator, referral=sent)
    with time_machine.travel(sent.due_at + dt.timedelta(days=3), tick=False):
        run_worker()
    assert Referral.objects.get(pk=sent.pk).overdue_level == 0
    assert not Notification.objects.filter(kind=NotificationKind.REFERRAL_OVERDUE).exists()


def _sections(world, referral, viewer):
    side = states.THERAPIST if viewer == world.therapist else states.PRACTICE
    return {s.key: s for s in selectors.packet(viewer, referral, side)}


def test_practice_sees_nothing_clinical_until_a_release_covers_it():
    world = ReferralWorld()
    referral = world.sent()
    shown = _sections(world, referral, world.prescriber)
    assert not any(s.shown for s in shown.values())
    assert shown["diagnoses"].decision.withheld_label.startswith(
        "Withheld — no current release covers diagnosis and diagnostic considerations"
    )
    assert shown["diagnoses"].content == {}
    assert not Disclosure.objects.exists()
    # The therapist always sees what they wrote.
    assert all(s.shown for s in _sections(world, referral, world.therapist).values())


def test_each_category_appears_the_moment_the_release_covers_it_and_is_accounted_once():
    world = ReferralWorld()
    referral = world.sent()
    world.release([Category.DIAGNOSIS, Category.MEDICATIONS])

    shown = _sections(world, referral, world.prescriber)
    assert {k for k, s in shown.items() if s.shown} == {"diagnoses", "medications"}
    assert [c.code for c in shown["diagnoses"].content["codes"]] == ["F41.1", "F41.0"]
    second = make_staff(Role.PRESCRIBER, world.psychiatry)
    _sections(world, referral, second)  # a second reader: no second disclosure
    rows = Disclosure.objects.order_by("category")
    assert [(d.category, d.purpose) for d in rows] == [
        ("diagnosis", "referral"),
        ("medications", "referral"),
    ]
    assert all(d.object_id == str(referral.public_id) for d in rows)


def test_part2_substance_use_needs_its_own_consent():
    world = ReferralWorld()
    referral = world.sent(
        substance_use="Completed an outpatient program in 2024.", substance_use_part2=True
    )
    world.release(ALL_PACKET_CATEGORIES)
    shown = _sections(world, referral, world.prescriber)
    assert shown["substance_use"].category == Category.PART2_RECORDS
    assert not shown["substance_use"].shown
    assert "Part 2" in shown["substance_use"].decision.withheld_label


def test_packet_costs_the_same_queries_with_one_or_every_category_released(
    django_assert_max_num_queries,
):
    world = ReferralWorld()
    referral = world.sent()
    world.release(ALL_PACKET_CATEGORIES)
    _sections(world, referral, world.prescriber)  # first view records the disclosures
    with django_assert_max_num_queries(4):
        shown = _sections(world, referral, world.prescriber)
    assert sum(s.shown for s in shown.values()) == len(shown)


@pytest.mark.parametrize("count", [10, 60])
def test_inbox_query_count_does_not_grow(count, django_assert_num_queries):
    world = ReferralWorld()
    for _ in range(count):
        world.sent()
    world.coordinator.refresh_from_db()  # fresh user: memberships and MFA looked up once each
    with django_assert_num_queries(3):
        rows = list(selectors.inbox(world.coordinator))
    assert len(rows) == count
    assert all(r.status == S.SENT for r in rows)
