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
            "does not accept Medicare and has not opted out of it, so it cannot see Medicare "
            "beneficiaries, not even as private pay",
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


def test_medicare_without_an_opt_out_offers_no_private_pay_and_names_the_next_step(policy):
    # Given a practice that takes private pay but neither Medicare nor an opt-out of it
    assert policy.medicare_opted_out is False

    # When a Medicare beneficiary is checked
    problems = eligibility.check(policy, facts(payer=Payer.MEDICARE, plan_type=PlanType.NONE))

    # Then the reason is plain, private pay is not offered, and the next step is named
    assert [p.field for p in problems] == ["payer"]
    assert problems[0].message == (
        f"{policy.organisation.name} does not accept Medicare and has not opted out of it, so "
        "it cannot see Medicare beneficiaries, not even as private pay: Medicare's rules allow "
        "private contracts only with practitioners who have opted out (42 CFR 405.400-455). "
        "Next step: a practice that accepts Medicare. Medicare's Care Compare "
        "(medicare.gov/care-compare) or 1-800-MEDICARE lists them, and the client's therapist "
        "or primary care clinician can suggest one."
    )
    assert "could still be seen as private pay" not in problems[0].message


def test_medicare_at_an_opted_out_practice_means_a_private_contract(policy):
    # Given a practice whose prescribers opted out of Medicare
    policy.medicare_opted_out = True

    # When a Medicare beneficiary is checked
    problems = eligibility.check(policy, facts(payer=Payer.MEDICARE, plan_type=PlanType.NONE))

    # Then they may be seen only under a private contract, and the check says what that means
    assert [p.field for p in problems] == ["payer"]
    assert problems[0].message == (
        f"{policy.organisation.name} has opted out of Medicare, so it sees Medicare "
        "beneficiaries only under a private contract, signed before the first visit: the "
        "client pays the full fee, and neither Medicare nor a Medigap plan pays anything for "
        "these visits. If the client agrees, refer them as private pay; otherwise a practice "
        "that accepts Medicare is the next step."
    )
