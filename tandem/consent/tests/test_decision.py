"""The decision point's rules, table-driven: every reason it can give."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.consent.actions import PartySpec
from tandem.consent.categories import Category, LegalBasis, Purpose
from tandem.consent.decision import ConsentContext, Party, Reason, decide
from tandem.consent.models import Release, ReleaseKind, ReleaseStatus
from tandem.consent.tests.factories import World
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff

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
    legal_basis="",
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
        legal_basis=legal_basis,
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
    with django_assert_num_queries(1):  # the releases, their parties, the exception: together
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
    asked=st.sampled_from([p for p in Purpose if p != Purpose.REFERRAL_AND_COORDINATION]),
    days_after_expiry=st.integers(min_value=1, max_value=4000),
    revoke=st.booleans(),
    reverse=st.booleans(),
)
def test_revoked_or_expired_release_never_allows_anything(
    category, purpose, asked, days_after_expiry, revoke, reverse
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
        decision = ask(world, category, purpose=asked, reverse=reverse, now=now)
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


# --- Purposes: a release is honoured for exactly the purposes it states ----------------------

_ASKED = [
    Purpose.REFERRAL,
    Purpose.TREATMENT_COORDINATION,
    Purpose.SECOND_OPINION,
    Purpose.AT_CLIENT_REQUEST,
]
_STATED_COVERS = {
    Purpose.REFERRAL: {Purpose.REFERRAL},
    Purpose.TREATMENT_COORDINATION: {Purpose.TREATMENT_COORDINATION},
    Purpose.REFERRAL_AND_COORDINATION: {Purpose.REFERRAL, Purpose.TREATMENT_COORDINATION},
    Purpose.SECOND_OPINION: {Purpose.SECOND_OPINION},
    Purpose.AT_CLIENT_REQUEST: {Purpose.AT_CLIENT_REQUEST},
}


@pytest.mark.parametrize(
    ("stated", "asked"), [(stated, asked) for stated in _STATED_COVERS for asked in _ASKED]
)
def test_a_release_is_honoured_for_exactly_the_purposes_it_states(stated, asked):
    world = World()
    world.signed(purpose=stated)

    decision = ask(world, purpose=asked)

    if asked in _STATED_COVERS[stated]:
        assert (decision.allowed, decision.reason) == (True, Reason.ALLOWED_BY_RELEASE)
    else:
        assert (decision.allowed, decision.reason) == (False, Reason.PURPOSE_NOT_COVERED)


def test_a_referral_only_release_does_not_become_a_year_of_coordination():
    world = World()
    world.signed(purpose=Purpose.REFERRAL, expires_on=timezone.localdate() + dt.timedelta(days=365))

    assert ask(world, Category.MEDICATIONS, purpose=Purpose.REFERRAL).allowed
    later = ask(world, Category.MEDICATIONS, purpose=Purpose.TREATMENT_COORDINATION)
    assert (later.allowed, later.reason) == (False, Reason.PURPOSE_NOT_COVERED)
    assert later.message == "The release does not cover this purpose."


def test_asking_for_the_combined_purpose_is_a_programming_error():
    world = World()
    world.signed(purpose=Purpose.REFERRAL_AND_COORDINATION)
    with pytest.raises(ValueError, match="one purpose"):
        ask(world, purpose=Purpose.REFERRAL_AND_COORDINATION)


# --- Revocation against the treatment exception ----------------------------------------------


def _exception_on(org):
    org.treatment_disclosures_without_release = True
    org.save()


def _revoke(world, release):
    from tandem.consent import actions

    return actions.revoke_release(actor=world.client_user, release=release)


def test_after_the_client_revokes_the_treatment_exception_no_longer_carries_it_on_its_own():
    world = World()
    _exception_on(world.therapy)
    release = world.signed()
    _revoke(world, release)

    decision = ask(world, Category.MEDICATIONS)

    assert (decision.allowed, decision.reason, decision.release) == (
        False,
        Reason.REVOKED_NEEDS_RECORDED_BASIS,
        release,
    )
    assert decision.message == (
        "The client revoked their release: sharing for treatment without it needs a "
        "clinician to record the legal basis for this disclosure."
    )


def test_a_recorded_legal_basis_lets_one_treatment_disclosure_through_after_revocation():
    world = World()
    _exception_on(world.therapy)
    _revoke(world, world.signed())

    decision = ask(world, Category.MEDICATIONS, legal_basis=LegalBasis.TREATMENT)

    assert (decision.allowed, decision.reason, decision.release) == (
        True,
        Reason.ALLOWED_RECORDED_BASIS,
        None,
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # Without the exception turned on, a recorded basis changes nothing.
        ("exception_off", (False, Reason.REVOKED)),
        # The exception never covers these, revoked or not, basis or not.
        ("psychotherapy_notes", (False, Reason.PSYCHOTHERAPY_NOTES_RELEASE_MISSING)),
        ("part2", (False, Reason.PART2_CONSENT_MISSING)),
        ("second_opinion", (False, Reason.REVOKED)),
    ],
)
def test_a_recorded_basis_never_widens_the_treatment_exception(case, expected):
    world = World()
    if case != "exception_off":
        _exception_on(world.therapy)
    _revoke(world, world.signed())
    category = {
        "psychotherapy_notes": Category.PSYCHOTHERAPY_NOTES,
        "part2": Category.PART2_RECORDS,
    }.get(case, Category.DIAGNOSIS)
    purpose = Purpose.SECOND_OPINION if case == "second_opinion" else Purpose.REFERRAL

    decision = ask(world, category, purpose=purpose, legal_basis=LegalBasis.TREATMENT)

    assert (decision.allowed, decision.reason) == expected


def test_a_revocation_stops_the_exception_only_between_the_parties_it_named():
    world = World()
    _exception_on(world.therapy)
    release = world.signed(recipients=[PartySpec(world.elsewhere)], two_way=False)
    _revoke(world, release)

    to_psychiatry = ask(world)
    to_elsewhere = ask(world, recipient=Party(world.elsewhere.pk, None))

    assert (to_psychiatry.allowed, to_psychiatry.reason) == (
        True,
        Reason.ALLOWED_TREATMENT_EXCEPTION,
    )
    assert (to_elsewhere.allowed, to_elsewhere.reason) == (
        False,
        Reason.REVOKED_NEEDS_RECORDED_BASIS,
    )


def test_a_revocation_naming_one_clinician_stops_the_exception_for_their_whole_organisation():
    world = World()
    _exception_on(world.therapy)
    release = world.signed(recipients=[PartySpec(world.psychiatry, world.prescriber)])
    _revoke(world, release)
    colleague = make_staff(Role.PRESCRIBER, world.psychiatry)

    decision = ask(world, recipient=Party(world.psychiatry.pk, colleague.pk))

    assert (decision.allowed, decision.reason) == (False, Reason.REVOKED_NEEDS_RECORDED_BASIS)


def test_a_two_way_revocation_stops_the_exception_in_both_directions():
    world = World()
    _exception_on(world.psychiatry)
    _revoke(world, world.signed(two_way=True))

    decision = ask(world, reverse=True)

    assert (decision.allowed, decision.reason) == (False, Reason.REVOKED_NEEDS_RECORDED_BASIS)


def test_a_release_replaced_by_a_newer_one_does_not_stop_the_exception():
    world = World()
    _exception_on(world.therapy)
    release = world.signed(categories=[Category.MEDICATIONS])
    Release.objects.filter(pk=release.pk).update(status=ReleaseStatus.SUPERSEDED)

    decision = ask(world, Category.DIAGNOSIS)

    assert (decision.allowed, decision.reason) == (True, Reason.ALLOWED_TREATMENT_EXCEPTION)


def test_a_new_release_signed_after_a_revocation_allows_what_it_covers():
    world = World()
    _exception_on(world.therapy)
    _revoke(world, world.signed())
    newer = world.signed(categories=[Category.MEDICATIONS])

    assert ask(world, Category.MEDICATIONS).release == newer
    assert ask(world, Category.MEDICATIONS).reason == Reason.ALLOWED_BY_RELEASE
    assert ask(world, Category.DIAGNOSIS).reason == Reason.REVOKED_NEEDS_RECORDED_BASIS


def test_an_unknown_legal_basis_is_refused_loudly():
    world = World()
    with pytest.raises(ValueError, match="astrology"):
        ask(world, legal_basis="astrology")
