"""Therapists' search over a synthetic network: fit, what would not fit, relaxing, sorting."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.directory import search, selectors
from tandem.directory.models import PracticeMetrics
from tandem.directory.suggest import suggest_practices
from tandem.directory.tests.factories import practice
from tandem.referrals import eligibility, suggestions
from tandem.referrals.models import Payer, PlanType, Service

pytestmark = pytest.mark.django_db

ARTICLE_CASE = search.Filters(
    state="MA",
    age=32,
    payer=Payer.COMMERCIAL,
    plan_type=PlanType.PPO,
    service=Service.MEDICATION_MANAGEMENT,
    within_weeks=4,
)


def measured(org, **figures):
    now = timezone.now()
    return PracticeMetrics.objects.create(
        organisation=org,
        computed_at=now,
        period_start=now - dt.timedelta(days=90),
        period_end=now,
        **figures,
    )


def run(filters):
    now = timezone.now()
    return search.run(selectors.candidates(now=now, slots_for=filters), filters, now=now)


def test_the_articles_client_finds_the_practice_that_fits_and_learns_why_the_others_do_not():
    # Given five practices, one of which fits a 32-year-old in MA on a PPO within 4 weeks
    harbor = practice("Harbor Psychiatry")
    practice("Granite Psychiatry", visit_states=["NH"])
    practice("Beacon Psychiatry", plan_types=[PlanType.HMO])
    practice("Slowwater Psychiatry", away_weeks=8)
    practice("Paused Psychiatry", accepting_new=False)

    # When the therapist searches
    outcome = run(ARTICLE_CASE)

    # Then only Harbor fits, with why; the one-filter misses say what would not fit
    assert [r.organisation for r in outcome.matches] == [harbor]
    assert outcome.matches[0].fits[:4] == [
        "Sees clients in Massachusetts",
        "Sees ages 18 to 64",
        "Accepts commercial insurance PPO",
        "Offers medication evaluation and management",
    ]
    near = {r.organisation.name: [m.message for m in r.misses] for r in outcome.near}
    assert near == {
        "Granite Psychiatry": [
            "Granite Psychiatry can only see clients who are in New Hampshire during visits "
            "(telehealth licensing follows where the client is)."
        ],
        "Beacon Psychiatry": ["Beacon Psychiatry accepts commercial HMO plans, not PPO."],
        "Slowwater Psychiatry": [near["Slowwater Psychiatry"][0]],
    }
    assert "later than 4 weeks" in near["Slowwater Psychiatry"][0]
    assert outcome.counts["accepting"] == 1  # paused: never among the near misses either
    assert outcome.total == 5


def test_when_nothing_fits_the_page_learns_which_filter_excludes_most_and_what_relaxing_gives():
    practice("Harbor Psychiatry")
    practice("Bay Psychiatry")
    practice("Granite Psychiatry", visit_states=["NH"], profile={"languages": ["en", "es"]})

    outcome = run(search.Filters(state="MA", language="es"))

    assert outcome.matches == []
    # Spanish rules out Harbor and Bay; MA rules out Granite: relaxing Spanish leaves two.
    assert outcome.excluded_most == ("language", 2, 2)
    relaxed = run(search.Filters(state="MA", language="es").without("language"))
    assert [r.organisation.name for r in relaxed.matches] == ["Bay Psychiatry", "Harbor Psychiatry"]


def test_results_sort_by_next_slot_or_by_measured_response_time():
    soon = practice("Soon Psychiatry")
    later = practice("Later Psychiatry", away_weeks=2)
    measured(soon, response_n=8, response_median_hours=20.0)
    measured(later, response_n=8, response_median_hours=3.5)

    by_slot = run(search.Filters(state="MA"))
    by_response = run(search.Filters(state="MA", sort=search.SORT_RESPONSE))

    assert [r.organisation for r in by_slot.matches] == [soon, later]
    assert [r.organisation for r in by_response.matches] == [later, soon]
    assert by_slot.matches[0].slot_days < by_slot.matches[1].slot_days


def test_a_practice_that_does_not_book_through_tandem_is_not_flagged_for_waits():
    org = practice("Paper Psychiatry", books=False)

    result = run(search.Filters()).matches[0]

    assert result.organisation == org
    assert result.slot_days is None
    assert result.flags.red == []
    assert "long_wait" in {f.code for f in result.flags.thin}
    assert run(search.Filters(within_weeks=4)).near[0].misses[0].message == (
        "Paper Psychiatry does not book new patients through Tandem; ask how soon."
    )


def test_an_unlisted_practice_is_not_searched():
    practice("Hidden Psychiatry", profile={"listed": False})
    shown = practice("Shown Psychiatry")

    assert [r.organisation for r in run(search.Filters()).matches] == [shown]


def test_the_referral_form_suggests_through_the_directory_fastest_responder_first():
    # Given two fitting practices with measured response times and a paused one
    slow = practice("Slow Response Psychiatry")
    fast = practice("Fast Response Psychiatry")
    practice("Paused Psychiatry", accepting_new=False)
    measured(slow, response_n=6, response_median_hours=30.0)
    measured(fast, response_n=6, response_median_hours=2.0)
    facts = eligibility.Facts(
        age=32,
        visit_state="MA",
        payer=Payer.COMMERCIAL,
        plan_type=PlanType.PPO,
        service="adult_adhd",
    )

    # When the referral form asks for suggestions (the directory registered its search)
    found = suggestions.suggest(facts, exclude_id=None)

    # Then they are the directory's, fastest measured responder first, the paused one left out
    assert found == [fast, slow] == suggest_practices(facts)
    assert suggestions.suggest(facts, exclude_id=fast.pk) == [slow]


def test_live_slots_are_read_only_where_they_can_change_the_answer(django_assert_max_num_queries):
    # Given a practice that fits, one a stated filter away, and one two filters away
    practice("Harbor Psychiatry")
    practice("Granite Psychiatry", visit_states=["NH"])
    far = practice("Far Psychiatry", visit_states=["NH"], plan_types=[PlanType.HMO])
    now = timezone.now()

    # When the therapist's search loads its candidates
    loaded = {c.organisation.name: c for c in selectors.candidates(now=now, slots_for=ARTICLE_CASE)}

    # Then the two that can be shown had their next slot read, the far one not; and it is
    # neither a match nor a near miss, nor flagged for a wait nobody measured
    assert {n for n, c in loaded.items() if c.slot_read} == {
        "Harbor Psychiatry",
        "Granite Psychiatry",
    }
    outcome = search.run(list(loaded.values()), ARTICLE_CASE, now=now)
    shown = {r.organisation for r in outcome.matches + outcome.near}
    assert far not in shown
    far_result = search.evaluate(loaded["Far Psychiatry"], ARTICLE_CASE, now=now)
    assert "within_weeks" not in {m.filter for m in far_result.misses}
    assert not far_result.flags.red


def test_suggestions_for_the_referral_form_and_the_bot_read_no_calendar(db):
    # Given fitting practices with prescribers' hours and visits
    practice("Harbor Psychiatry")
    practice("Beacon Psychiatry")
    facts = eligibility.Facts(
        age=32, visit_state="MA", payer=Payer.COMMERCIAL, plan_type=PlanType.PPO,
        service="adult_adhd",
    )  # fmt: skip

    # When the referral form asks for suggestions
    with CaptureQueriesContext(connection) as queries:
        found = suggest_practices(facts)

    # Then both are suggested, without reading any hours, time off or appointments
    assert len(found) == 2
    assert not [q["sql"] for q in queries if "scheduling_" in q["sql"]]
