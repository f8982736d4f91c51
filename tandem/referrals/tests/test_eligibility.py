"""Eligibility before PHI: the article's practice (adults 18-64, MA, commercial PPO/EPO, self-pay)."""

import datetime as dt

import pytest

from tandem.referrals import eligibility
from tandem.referrals.eligibility import Facts
from tandem.referrals.models import Payer, PlanType, Service
from tandem.referrals.tests.factories import ReferralWorld

pytestmark = pytest.mark.django_db


def facts(**overrides):
    base = {
        "age": 32,
        "visit_state": "MA",
        "payer": Payer.COMMERCIAL,
        "plan_type": PlanType.PPO,
        "service": Service.MEDICATION_MANAGEMENT,
    }
    return Facts(**(base | overrides))


@pytest.fixture
def policy():
    return ReferralWorld().policy


def test_the_articles_typical_client_is_eligible(policy):
    assert eligibility.check(policy, facts()) == []
    assert eligibility.check(policy, facts(payer=Payer.SELF_PAY, plan_type=PlanType.NONE)) == []
    assert eligibility.check(policy, facts(plan_type=PlanType.EPO, age=18)) == []
    assert eligibility.check(policy, facts(age=64)) == []


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"age": 17}, "age", "child and adolescent psychiatrist"),
        ({"age": 65}, "age", "up to 64"),
        ({"visit_state": "NH"}, "visit_state", "in Massachusetts during visits"),
        (
            {"payer": Payer.MEDICARE},
            "payer",
            "does not accept Medicare. The client could still be seen as private pay.",
        ),
        ({"payer": Payer.MEDICAID}, "payer", "does not accept Medicaid (MassHealth)"),
        ({"plan_type": PlanType.HMO}, "plan_type", "accepts commercial PPO, EPO plans, not HMO"),
    ],
)
def test_each_mismatch_is_explained_in_plain_words(policy, overrides, field, words):
    problems = eligibility.check(policy, facts(**overrides))
    assert [p.field for p in problems] == [field]
    assert words in problems[0].message


def test_every_mismatch_is_listed_at_once(policy):
    problems = eligibility.check(policy, facts(age=70, visit_state="RI", payer=Payer.MEDICARE))
    assert [p.field for p in problems] == ["age", "visit_state", "payer"]


def test_practice_not_taking_referrals_says_so(policy):
    policy.accepting_new = False
    assert eligibility.check(policy, facts())[0].field == "practice"


def test_age_counts_whole_years():
    assert eligibility.age_on(dt.date(2008, 12, 1), dt.date(2026, 11, 30)) == 17
    assert eligibility.age_on(dt.date(2008, 11, 30), dt.date(2026, 11, 30)) == 18
