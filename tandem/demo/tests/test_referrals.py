"""The demo's referrals, releases and practice policies: a real Monday in both inboxes.

Every test here only reads the demo, so it is seeded once for the module, now, and
the clock stays stopped at that instant while the tests compare its times with now.
"""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from tandem.accounts.models import User
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.actions import render_release_text
from tandem.consent.models import Release, ReleaseStatus
from tandem.notifications.models import Notification, NotificationKind
from tandem.organisations.models import Organisation
from tandem.referrals import selectors
from tandem.referrals.models import PracticePolicy, Referral
from tandem.referrals.models import ReferralStatus as S
from tandem.tests.support.demo import seeded_once

pytestmark = pytest.mark.django_db

COORDINATOR = "priya.raman@demo.tandem.test"
THERAPIST = "maya.brennan@demo.tandem.test"


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo seeded now, once for this module; the clock stays at that instant."""
    with seeded_once(django_db_blocker, at=timezone.now(), keep_clock=True) as world:
        yield world


def test_every_state_of_the_loop_is_in_the_demo_with_overdue_and_urgent_referrals(demo_world):
    now = timezone.now()

    assert set(Referral.objects.values_list("status", flat=True)) == set(S.values)
    overdue = Referral.objects.filter(status=S.SENT, due_at__lt=now, overdue_level__gte=1)
    assert overdue.count() >= 2
    assert set(overdue.values_list("overdue_level", flat=True)) >= {2}
    urgent = Referral.objects.get(urgent=True)
    assert urgent.status == S.SENT
    assert urgent.due_at == urgent.sent_at + dt.timedelta(hours=4)
    assert urgent.due_at > now
    declined = Referral.objects.get(status=S.DECLINED)
    assert declined.decline_reason == "out_of_scope"
    assert declined.redirect_to == Organisation.objects.get(
        name="Quinsigamond Behavioral Health Group"
    )
    assert Referral.objects.filter(status=S.DRAFT, sent_at__isnull=True).count() == 1


def test_referrals_are_spread_over_recent_weeks_with_events_in_order(demo_world):
    now = timezone.now()

    sent_times = [t for t in Referral.objects.values_list("sent_at", flat=True) if t is not None]
    oldest, newest = min(sent_times), max(sent_times)
    assert dt.timedelta(weeks=4) < now - oldest < dt.timedelta(weeks=8)
    assert now - newest < dt.timedelta(hours=3)
    for referral in Referral.objects.prefetch_related("events"):
        times = [e.at for e in referral.events.all()]
        assert times == sorted(times)
        assert times[-1] <= now
        assert referral.created_at == times[0]
        assert [e.to_status for e in referral.events.all()][-1] == referral.status
        if referral.sent_at is not None:
            assert referral.events.all()[1].at == referral.sent_at


def test_the_clock_was_replayed_at_the_backdated_times(demo_world):
    now = timezone.now()

    for referral in Referral.objects.filter(status=S.SENT, urgent=False):
        calendar = referral.to_organisation.referral_policy.calendar()
        target = referral.to_organisation.referral_policy.response_target_days
        assert referral.due_at == calendar.due(referral.sent_at, target)
        escalate_at = calendar.close_of(
            calendar.next_business_day(calendar.local(referral.due_at).date())
        )
        expected = 0 if referral.due_at > now else 1 if escalate_at > now else 2
        assert referral.overdue_level == expected
    told = Notification.objects.filter(kind=NotificationKind.REFERRAL_OVERDUE)
    assert told.exists()
    assert all(n.created_at < now for n in told)


def test_answered_referrals_record_when_the_practice_first_responded(demo_world):
    for referral in Referral.objects.exclude(status__in=[S.DRAFT, S.SENT]).prefetch_related(
        "events"
    ):
        practice_events = [e for e in referral.events.all() if e.actor_id != referral.therapist_id]
        assert referral.responded_at == practice_events[0].at


def test_inbox_puts_unanswered_first_urgent_on_top_then_by_due_time(demo_world):
    coordinator = User.objects.get(email=COORDINATOR)

    inbox = list(selectors.inbox(coordinator))

    unanswered = [r for r in inbox if r.responded_at is None]
    answered = [r for r in inbox if r.responded_at is not None]
    assert (
        inbox == unanswered + answered
    )  # an overdue unanswered one is never below an accepted one
    assert unanswered[0].urgent
    dues = [r.due_at.timestamp() for r in unanswered if not r.urgent and r.due_at]
    assert dues == sorted(dues)
    answers = [r.responded_at.timestamp() for r in answered if r.responded_at]
    assert answers == sorted(answers)
    assert {r.to_organisation.name for r in inbox} == {"Harborlight Psychiatry"}
    assert {r.status for r in inbox} >= {S.SENT, S.RECEIVED, S.INFO_REQUESTED, S.ACCEPTED}


def test_the_practice_sees_a_released_packet_but_not_the_one_waiting_for_signature(demo_world):
    coordinator = User.objects.get(email=COORDINATOR)
    jordan = Client.objects.get(first_name="Jordan", last_name="Ellery")
    waiting = Referral.objects.get(client=jordan)
    released = Referral.objects.get(
        to_organisation=waiting.to_organisation,
        status=S.ACCEPTED,
        client__releases__status=ReleaseStatus.SIGNED,
    )

    # The clinical sections are for the practice's prescribers (minimum necessary).
    prescriber = User.objects.get(
        memberships__organisation=waiting.to_organisation,
        memberships__role="prescriber",
        memberships__is_active=True,
        pk=released.assigned_prescriber_id,
    )
    withheld = {s.key: s.shown for s in selectors.packet(prescriber, waiting, "practice")}
    shown = {s.key: s.shown for s in selectors.packet(prescriber, released, "practice")}
    front_desk = selectors.packet(coordinator, released, "practice")

    assert not any(s.shown for s in front_desk)
    assert waiting.status == S.RECEIVED
    assert not any(withheld.values())
    assert shown["diagnoses"]
    assert shown["medications"]
    assert shown["safety"]
    assert not shown["substance_use"]  # the demo releases leave substance use out


def test_practice_policies_follow_the_article_and_the_worcester_group(demo_world):
    harborlight = PracticePolicy.objects.get(organisation__name="Harborlight Psychiatry")
    worcester = PracticePolicy.objects.get(
        organisation__name="Quinsigamond Behavioral Health Group"
    )
    assert (harborlight.min_age, harborlight.max_age) == (18, 64)
    assert harborlight.visit_states == ["MA"]
    assert harborlight.payers == ["commercial", "self_pay"]
    assert harborlight.plan_types == ["PPO", "EPO"]
    assert (harborlight.response_target_days, harborlight.access_target_weeks) == (1, 4)
    assert (worcester.min_age, worcester.max_age) == (18, 75)
    assert worcester.payers == ["commercial", "self_pay", "medicare"]
    assert worcester.response_target_days == 2


def test_releases_for_about_half_the_prescriber_clients_with_frozen_text(demo_world):
    today = timezone.localdate()
    with_prescriber = Client.objects.filter(care_team__role="prescriber").distinct()

    signed_ever = Release.objects.exclude(signed_at=None)
    assert 8 <= signed_ever.count() <= with_prescriber.count() * 0.6
    assert signed_ever.filter(status=ReleaseStatus.REVOKED).count() == 1
    soon = signed_ever.filter(
        status=ReleaseStatus.SIGNED, expires_on__lte=today + dt.timedelta(days=30)
    )
    assert soon.count() == 2
    later = signed_ever.exclude(pk__in=soon).values_list("expires_on", flat=True)
    assert all(today + dt.timedelta(days=182) <= d <= today + dt.timedelta(days=366) for d in later)
    packet = [
        "diagnosis",
        "treatment_history",
        "medications",
        "safety",
        "medical_history",
        "questionnaires",
    ]
    for release in signed_ever:
        # The article's case (Wren Halloway) also shares what collaboration sends
        collaboration = ["attendance", "consult_notes", "progress_updates", "clinician_messages"]
        article_case = release.client.last_name == "Halloway"
        assert release.categories == packet + (collaboration if article_case else [])
        assert release.two_way
        assert release.purpose in ("referral_and_coordination", "treatment_coordination")
        assert release.signed_text == render_release_text(release)
        assert (
            release.signed_text_sha256 == hashlib.sha256(release.signed_text.encode()).hexdigest()
        )
        assert list(release.history.values_list("to_status", flat=True))[:2] == ["draft", "signed"]
    jordan = Release.objects.get(client__first_name="Jordan", client__last_name="Ellery")
    assert jordan.status == ReleaseStatus.DRAFT
    assert (
        Notification.objects.get(
            recipient=jordan.client.user, kind=NotificationKind.RELEASE_TO_SIGN
        ).read_at
        is None
    )


def test_referral_seed_leaves_the_care_teams_as_the_core_seed_made_them(demo_world):
    # 40 primary therapists, and a prescriber and a coordinator for 21 clients; plus the
    # article's case (tandem.demo.measures): her therapist, prescriber and coordinator
    assert CareTeamMember.objects.count() == 40 + 21 * 2 + 3
    therapist = User.objects.get(email=THERAPIST)
    assert Client.objects.filter(care_team__user=therapist).count() == 5
