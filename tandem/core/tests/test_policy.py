"""The access policy: default deny, organisation and membership rules, the 404 door."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tandem.accounts.models import ClinicianProfile
from tandem.clients.models import CareTeamMember
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    UserFactory,
    add_to_care_team,
    enrol_totp,
    make_staff,
)
from tandem.organisations.access import membership_for, organisation_for
from tandem.organisations.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def _superuser():
    user = UserFactory(is_superuser=True, is_staff=True)
    enrol_totp(user)
    return user


# Default deny ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", [ClinicianProfile, CareTeamMember])
def test_a_model_without_a_rule_is_denied_to_everyone_even_a_superuser(model):
    # Given a model nobody wrote a rule for, and rows of it
    assert model not in policy.registered_models()
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(ClientFactory(), therapist, Role.THERAPIST)
    everyone = [therapist, _superuser(), make_staff(Role.PRACTICE_ADMIN)]

    # Then no one may view, change or manage any row of it
    for user in everyone:
        for action in Action:
            assert list(policy.scope(user, action, model.objects.all())) == []
    row = model.objects.first()
    assert row is not None
    assert not policy.allows(therapist, Action.VIEW, row)


def test_the_rules_that_exist_are_the_expected_ones():
    from tandem.audit.models import AuditEvent
    from tandem.clients.models import Client

    assert {Client, Organisation, Membership, AuditEvent} <= set(policy.registered_models())


@pytest.mark.parametrize("visitor", [None, AnonymousUser()])
def test_nobody_signed_in_reaches_anything(visitor):
    organisation = OrganisationFactory()
    make_staff(Role.PRACTICE_ADMIN, organisation)

    for action in Action:
        assert list(policy.scope(visitor, action, Organisation.objects.all())) == []


def test_an_inactive_account_reaches_nothing():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    admin.is_active = False
    admin.save(update_fields=["is_active"])

    assert not policy.allows(admin, Action.VIEW, organisation)


# Organisations ----------------------------------------------------------------------------


def test_every_member_views_their_organisation_and_no_other():
    # Given two practices and a prescriber in the first
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    prescriber = make_staff(Role.PRESCRIBER, mine)

    # Then they view their own and not the other
    assert list(policy.scope(prescriber, Action.VIEW, Organisation.objects.all())) == [mine]
    assert not policy.allows(prescriber, Action.VIEW, theirs)


@pytest.mark.parametrize("role", [Role.PRESCRIBER, Role.COORDINATOR])
def test_only_the_practice_admin_manages_the_organisation(role):
    organisation = OrganisationFactory()
    member = make_staff(role, organisation)
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)

    assert not policy.allows(member, Action.MANAGE, organisation)
    assert not policy.allows(member, Action.CHANGE, organisation)
    assert policy.allows(admin, Action.MANAGE, organisation)
    assert policy.allows(admin, Action.CHANGE, organisation)


def test_a_practice_admin_without_mfa_views_but_does_not_manage():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False)

    assert policy.allows(admin, Action.VIEW, organisation)
    assert not policy.allows(admin, Action.MANAGE, organisation)


def test_a_practice_admin_does_not_manage_another_practice():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, mine)

    assert not policy.allows(admin, Action.MANAGE, theirs)
    assert not policy.allows(admin, Action.VIEW, theirs)


def test_a_revoked_membership_loses_access_to_the_organisation():
    # Given an admin whose membership is then revoked
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    assert policy.allows(admin, Action.MANAGE, organisation)
    admin.memberships.update(is_active=False)
    policy.forget(admin)

    # Then they neither view nor manage it any more
    assert not policy.allows(admin, Action.VIEW, organisation)
    assert not policy.allows(admin, Action.MANAGE, organisation)


def test_a_deactivated_organisation_is_out_of_reach_of_its_members():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    Organisation.objects.filter(pk=organisation.pk).update(is_active=False)
    policy.forget(admin)

    assert not policy.allows(admin, Action.VIEW, organisation)


def test_a_client_user_sees_no_organisation():
    organisation = OrganisationFactory()
    therapist = make_staff(Role.THERAPIST)
    me = UserFactory()
    client = ClientFactory(user=me)
    add_to_care_team(client, therapist, Role.THERAPIST)

    assert list(policy.scope(me, Action.VIEW, Organisation.objects.all())) == []
    assert not policy.allows(me, Action.VIEW, organisation)


# Memberships -------------------------------------------------------------------------------


def test_colleagues_view_each_others_roles_and_only_the_admin_manages_them():
    organisation = OrganisationFactory()
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    outsider = make_staff(Role.PRACTICE_ADMIN)
    theirs = prescriber.memberships.get()

    assert policy.allows(prescriber, Action.VIEW, admin.memberships.get())
    assert not policy.allows(prescriber, Action.MANAGE, admin.memberships.get())
    assert policy.allows(admin, Action.MANAGE, theirs)
    assert not policy.allows(outsider, Action.VIEW, theirs)
    assert not policy.allows(outsider, Action.MANAGE, theirs)


# The door: missing and forbidden look the same --------------------------------------------


def test_missing_forbidden_and_malformed_ids_all_give_the_same_404():
    organisation = OrganisationFactory()
    outsider = make_staff(Role.PRACTICE_ADMIN)

    messages = []
    for public_id in (organisation.public_id, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(Http404) as raised:
            organisation_for(outsider, public_id)
        messages.append(str(raised.value))
    assert messages == ["Not found."] * 3


def test_the_door_returns_the_object_to_someone_allowed():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    membership = prescriber.memberships.get()

    assert organisation_for(admin, organisation.public_id, Action.MANAGE) == organisation
    assert membership_for(admin, membership.public_id) == membership
    with pytest.raises(Http404):
        membership_for(prescriber, membership.public_id)  # viewing is not managing


def test_roles_come_from_memberships_and_the_client_record():
    # Given a prescriber who is also a client somewhere, and a revoked coordinator role
    organisation = OrganisationFactory()
    person = make_staff(Role.PRESCRIBER, organisation)
    Membership.objects.create(
        user=person, organisation=organisation, role=Role.COORDINATOR, is_active=False
    )
    ClientFactory(user=person)

    # Then they hold exactly the active roles, and the client role
    assert policy.roles(person) == {Role.PRESCRIBER, Role.CLIENT}
    assert policy.roles(AnonymousUser()) == set()
