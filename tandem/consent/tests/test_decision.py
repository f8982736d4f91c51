"""The decision point's rules, table-driven: every reason it can give."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.consent.categories import Category, Purpose
from tandem.consent.decision import ConsentContext, Party, Reason, decide
from tandem.consent.models import Release, ReleaseKind, ReleaseStatus
from tandem.consent.tests.factories import World

pytestmark = pytest.mark.django_db


def ask(
    world,
    category=Category.DIAGNOSIS,
    *,
    reverse=False,
    purpose=Purpose.TREATMENT_COORDINATION,
    now=None,
    source=None,
    recipient=None,
):
    context = ConsentContext.load([world.client.pk])
    src = source or Party(world.therapy.pk, world.therapist.pk)
    dst = recipient or Party(world.psychiatry.pk, world.prescriber.pk)
    if reverse:
        src, dst = dst, src
    return decide(
        context,
        client_id=world.client.pk,
        category=category,
        source=src,
        recipient=dst,
        purpose=purpose,
        now=now,
    )


def test_no_release_at_all_denies():
    world = World()
    decision = ask(world)
    assert (decision.allowed, decision.reason) == (False, Reason.NO_RELEASE)
    assert decision.withheld_label.startswith("Withheld — no current release covers diagnosis")


def test_signed_release_allows_named_category_and_names_the_release():
    world = World()
    release = world.signed()
    decision = ask(world)
    assert (decision.allowed, decision.reason, decision.release) == (
        True,
        Reason.ALLOWED_BY_RELEASE,
        release,
    )


def test_two_way_release_allows_the_reverse_direction():
    world = World()
    world.signed(two_way=True)
    assert ask(world, Category.CONSULT_NOTES, reverse=True).allowed


def test_one_way_release_refuses_the_reverse_direction():
    world = World()
    world.signed(two_way=False)
    decision = ask(world, reverse=True)
    assert (decision.allowed, decision.reason) == (False, Reason.DISCLOSER_NOT_NAMED)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("category_not_covered", Reason.CATEGORY_NOT_COVERED),
        ("recipient_not_named", Reason.RECIPIENT_NOT_NAMED),
        ("named_other_clinician", Reason.RECIPIENT_NOT_NAMED),
        ("not_signed", Reason.NOT_SIGNED),
        ("revoked", Reason.REVOKED),
        ("superseded", Reason.SUPERSEDED),
        ("expired_date", Reason.EXPIRED),
        ("expired_event", Reason.EXPIRED),
        ("not_yet_effective", Reason.NOT_YET_EFFECTIVE),
        ("purpose_not_covered", Reason.PURPOSE_NOT_COVERED),
    ],
)
def test_each_reason_for_refusal(case, expected):
    world = World()
    from tandem.consent import actions
    from tandem.consent.actions import PartySpec

    category = Category.DIAGNOSIS
    purpose = Purpose.TREATMENT_COORDINATION
    recipient = None
    now = None
    if case == "category_not_covered":
        world.signed(categories=[Category.MEDICATIONS])
    elif case == "recipient_not_named":
        world.signed(recipients=[PartySpec(world.elsewhere)], two_way=False)
    elif case == "named_other_clinician":
        other = __import__("tandem.core.tests.factories", fromlist=["make_staff"]).make_staff(
            "prescriber", world.psychiatry
        )
        world.signed(recipients=[PartySpec(world.psychiatry, other)], two_way=False)
    elif case == "not_signed":
        world.prepare()
    elif case == "revoked":
        actions.revoke_release(actor=world.client_user, release=world.signed())
    elif case == "superseded":
        release = world.signed()
        Release.objects.filter(pk=release.pk).update(status=ReleaseStatus.SUPERSEDED)
    elif case == "expired_date":
        world.signed(expires_on=timezone.localdate() + dt.timedelta(days=10))
        now = timezone.now() + dt.timedelta(days=12)
    elif case == "expired_event":
        release = world.signed(expires_on=None, expiry_event="end_of_treatment")
        Release.objects.filter(pk=release.pk).update(expiry_event_occurred_at=timezone.now())
    elif case == "not_yet_effective":
        world.signed(effective_from=timezone.localdate() + dt.timedelta(days=3))
    elif case == "purpose_not_covered":
        world.signed(purpose=Purpose.SECOND_OPINION)
    decision = ask(world, category, purpose=purpose, recipient=recipient, now=now)
    assert (decision.allowed, decision.reason) == (False, expected)


def test_psychotherapy_notes_never_pass_under_a_general_release():
    world = World()
    world.signed(categories=[Category.DIAGNOSIS, Category.TREATMENT_HISTORY])
    decision = ask(world, Category.PSYCHOTHERAPY_NOTES)
    assert (decision.allowed, decision.reason) == (
        False,
        Reason.PSYCHOTHERAPY_NOTES_RELEASE_MISSING,
    )


def test_psychotherapy_notes_pass_under_their_own_authorization():
    world = World()
    world.signed(kind=ReleaseKind.PSYCHOTHERAPY_NOTES, categories=[Category.PSYCHOTHERAPY_NOTES])
    assert ask(world, Category.PSYCHOTHERAPY_NOTES).allowed
    # ...and that authorization covers nothing else.
    assert ask(world, Category.DIAGNOSIS).reason == Reason.NO_RELEASE


def test_part2_records_need_a_part2_consent():
    world = World()
    world.signed(categories=[Category.DIAGNOSIS, Category.SUBSTANCE_USE])
    assert ask(world, Category.SUBSTANCE_USE).allowed
    decision = ask(world, Category.PART2_RECORDS)
    assert (decision.allowed, decision.reason) == (False, Reason.PART2_CONSENT_MISSING)
    world.signed(kind=ReleaseKind.PART2, categories=[Category.PART2_RECORDS])
    assert ask(world, Category.PART2_RECORDS).allowed


def test_treatment_exception_is_off_by_default_and_never_covers_notes_or_part2():
    world = World()
    assert ask(world).reason == Reason.NO_RELEASE
    world.therapy.treatment_disclosures_without_release = True
    world.therapy.save()
    decision = ask(world)
    assert (decision.allowed, decision.reason) == (True, Reason.ALLOWED_TREATMENT_EXCEPTION)
    assert not ask(world, Category.PSYCHOTHERAPY_NOTES).allowed
    assert not ask(world, Category.PART2_RECORDS).allowed
    assert not ask(world, purpose=Purpose.SECOND_OPINION).allowed


def test_within_one_organisation_is_not_a_disclosure():
    world = World()
    decision = ask(world, recipient=Party(world.therapy.pk, None))
    assert (decision.allowed, decision.reason) == (True, Reason.SAME_ORGANISATION)


def test_unknown_category_is_refused_loudly():
    world = World()
    with pytest.raises(ValueError, match="horoscope"):
        ask(world, "horoscope")


def test_many_items_cost_a_constant_number_of_queries(django_assert_num_queries):
    world = World()
    world.signed()
    with django_assert_num_queries(3):
        context = ConsentContext.load([world.client.pk])
        results = [
            decide(
                context,
                client_id=world.client.pk,
                category=list(Category)[i % len(Category)],
                source=Party(world.therapy.pk, world.therapist.pk),
                recipient=Party(world.psychiatry.pk, world.prescriber.pk),
                purpose=Purpose.TREATMENT_COORDINATION,
            )
            for i in range(200)
        ]
    assert sum(r.allowed for r in results) > 0
    assert sum(not r.allowed for r in results) > 0


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    category=st.sampled_from(
        [c for c in Category if c not in (Category.PSYCHOTHERAPY_NOTES, Category.PART2_RECORDS)]
    ),
    purpose=st.sampled_from(list(Purpose)),
    days_after_expiry=st.integers(min_value=1, max_value=4000),
    revoke=st.booleans(),
    reverse=st.booleans(),
)
def test_revoked_or_expired_release_never_allows_anything(
    category, purpose, days_after_expiry, revoke, reverse
):
    """Property: whatever is asked, a release that is revoked or past its end allows nothing."""
    from django.db import transaction

    from tandem.consent import actions

    with transaction.atomic():
        world = World()
        release = world.signed(
            categories=list(set(Category) - {Category.PSYCHOTHERAPY_NOTES, Category.PART2_RECORDS}),
            purpose=purpose,
            expires_on=timezone.localdate() + dt.timedelta(days=30),
        )
        now = None
        if revoke:
            actions.revoke_release(actor=world.client_user, release=release)
        else:
            now = timezone.now() + dt.timedelta(days=30 + days_after_expiry)
        decision = ask(world, category, purpose=purpose, reverse=reverse, now=now)
        assert not decision.allowed
        assert decision.reason in {Reason.REVOKED, Reason.EXPIRED}
        transaction.set_rollback(True)


def test_expiry_is_judged_by_the_date_in_the_local_calendar():
    world = World()
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=timezone.get_current_timezone())):
        world.signed(expires_on=dt.date(2027, 3, 10))
    with time_machine.travel(
        dt.datetime(2027, 3, 10, 23, 30, tzinfo=timezone.get_current_timezone())
    ):
        assert ask(world).allowed
    with time_machine.travel(
        dt.datetime(2027, 3, 11, 0, 30, tzinfo=timezone.get_current_timezone())
    ):
        assert ask(world).reason == Reason.EXPIRED
