"""Seeding the demo's referrals at any moment, and again: the same story, nothing added.

The tests that only read the seeded referrals are in test_referrals.py.
"""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from tandem.audit.models import AuditEvent
from tandem.clients.models import CareTeamMember
from tandem.consent.models import Release
from tandem.demo import seed
from tandem.notifications.models import Notification
from tandem.referrals.models import PracticePolicy, Referral, ReferralEvent
from tandem.referrals.models import ReferralStatus as S

pytestmark = pytest.mark.django_db

COORDINATOR = "priya.raman@demo.tandem.test"
THERAPIST = "maya.brennan@demo.tandem.test"


def _counts() -> dict[str, int]:
    return {
        "referrals": Referral.objects.count(),
        "events": ReferralEvent.objects.count(),
        "releases": Release.objects.count(),
        "policies": PracticePolicy.objects.count(),
        "notifications": Notification.objects.count(),
        "care team": CareTeamMember.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2027, 4, 19, 10, 0, tzinfo=dt.UTC),  # Patriots' Day, 6 a.m. in Boston
        dt.datetime(2027, 4, 24, 18, 0, tzinfo=dt.UTC),  # a Saturday afternoon
        dt.datetime(2026, 11, 30, 13, 30, tzinfo=dt.UTC),  # a Monday morning
        dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),  # a Tuesday evening
    ],
)
def test_the_demo_tells_the_same_story_whenever_it_is_seeded(moment):
    with time_machine.travel(moment, tick=False):
        seed.seed_demo()

        assert set(Referral.objects.values_list("status", flat=True)) == set(S.values)
        assert Referral.objects.filter(status=S.SENT, overdue_level__gte=1).exists()
        assert Referral.objects.filter(urgent=True).count() == 1
        assert not ReferralEvent.objects.filter(at__gt=moment).exists()


def test_a_second_run_adds_nothing_and_the_audit_chain_verifies():
    seed.seed_demo()
    before = _counts()

    world = seed.seed_demo()
    verified = StringIO()
    call_command("verify_audit", stdout=verified)

    assert world.created == {}
    assert world.changed == {}
    assert _counts() == before
    assert before["referrals"] == 20
    assert before["policies"] == 2
    assert "Audit chain intact" in verified.getvalue()
