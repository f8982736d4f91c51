"""The demo's directory: both practices profiled, their figures computed from the demo's referrals."""

import datetime as dt

import pytest

from tandem.directory import metrics
from tandem.directory.models import PracticeMetrics, PracticeProfile
from tandem.referrals.models import Referral
from tandem.tests.support.demo import seeded_once

pytestmark = pytest.mark.django_db

SEEDED_AT = dt.datetime(2026, 11, 30, 14, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker, at=SEEDED_AT) as world:
        yield world


def test_the_demo_practices_are_listed_with_figures_computed_from_their_referrals(demo_world):
    for name in ("Harborlight Psychiatry", "Quinsigamond Behavioral Health Group"):
        profile = PracticeProfile.objects.get(organisation__name=name)
        figures = PracticeMetrics.objects.get(organisation__name=name)
        answered = Referral.objects.filter(
            to_organisation__name=name,
            responded_at__isnull=False,
            sent_at__gte=figures.period_end - dt.timedelta(days=metrics.PERIOD_DAYS),
        ).count()
        assert profile.listed
        assert profile.prescribers
        assert figures.response_n == answered
        assert (figures.response_median_hours is not None) == (answered >= metrics.MIN_SAMPLE)
    harborlight = PracticeMetrics.objects.get(organisation__name="Harborlight Psychiatry")
    assert harborlight.response_median_hours is not None  # the demo shows a real figure
