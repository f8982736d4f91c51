"""Granting (by accepted invitation) and revoking roles: who may, what is refused, what is kept."""

import pytest
from django.core.exceptions import ValidationError

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    OrganisationFactory,
    TherapyPracticeFactory,
    UserFactory,
    make_staff,
)
from tandem.organisations.actions import accept_invitation, invite, revoke_role
from tandem.organisations.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def _snapshot():
    """Return what a refused attempt must leave untouched."""
    return (
        sorted(Membership.objects.values_list("user_id", "organisation_id", "role", "is_active")),
        Invitation.objects.count(),
        AuditEvent.objects.count(),
    )


def _audit_values(event):
    return [
        str(getattr(event, field.name))
        for field in AuditEvent._meta.get_fields()
        if field.name not in ("id", "hash", "prev_hash")
    ]


# Granting (by invitation, which the person accepts) -----------------------------------------


def _invite_and_accept(*, actor, organisation, email, role):
    """Invite ``email`` and accept as the account that owns it; return the membership."""
    invitation = invite(actor=actor, organisation=organisation, email=email, role=role)
    person = User.objects.get(email__iexact=email.strip())
    return accept_invitation(actor=person, invitation=invitation)


def test_admin_grants_a_role_by_email_and_the_audit_row_holds_references_only():
    # Given a practice admin and a colleague with an account
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    colleague = UserFactory(email="new.prescriber@example.test", full_name="Wren Alder")

    # When the admin invites them as prescriber, typing the email loosely, and they accept
    membership = _invite_and_accept(
        actor=admin,
        organisation=organisation,
        email="  New.Prescriber@Example.test ",
        role=Role.PRESCRIBER,
    )

    # Then the colleague holds the role, and the audit rows say so by reference:
    # the admin's invitation, and the colleague's acceptance granting the role
    assert (membership.user, membership.organisation, membership.role, membership.is_active) == (
        colleague,
        organisation,
        Role.PRESCRIBER,
        True,
    )
    invited = AuditEvent.objects.get(object_type="organisations.invitation")
    assert (invited.actor_id, invited.actor_role, invited.organisation_id) == (
        admin.pk,
        Role.PRACTICE_ADMIN,
        str(organisation.public_id),
    )
    event = AuditEvent.objects.get(action=AuditAction.PERMISSION_GRANTED)
    assert event.actor_id == colleague.pk
    assert event.actor_role == Role.PRESCRIBER
    assert event.object_type == "organisations.membership"
    assert event.object_id == str(membership.public_id)
    assert event.organisation_id == str(organisation.public_id)
    assert event.detail == {
        "role": "prescriber",
        "user": str(colleague.public_id),
        "via": "invitation",
        "invitation": invited.object_id,
    }
    for row in (invited, event):
        values = " ".join(_audit_values(row))
        assert "new.prescriber" not in values.lower()
        assert "Wren" not in values


def test_inviting_an_unknown_email_is_answered_as_for_a_known_one_and_grants_nothing():
    # (It used to say "No Tandem account uses that email", telling who has an account.)
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    memberships = sorted(Membership.objects.values_list("user_id", "organisation_id", "role"))

    invitation = invite(
        actor=admin, organisation=organisation, email="nobody@example.test", role="prescriber"
    )

    assert (invitation.email, invitation.status) == ("nobody@example.test", "pending")
    assert (
        sorted(Membership.objects.values_list("user_id", "organisation_id", "role")) == memberships
    )


def test_granting_a_role_the_kind_of_practice_lacks_names_the_role_field():
    # A therapy practice has no prescribers.
    practice = TherapyPracticeFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, practice)
    person = UserFactory()
    before = _snapshot()

    with pytest.raises(ValidationError) as raised:
        invite(actor=admin, organisation=practice, email=person.email, role=Role.PRESCRIBER)

    assert raised.value.message_dict == {"role": ["A therapy practice has no such role."]}
    assert _snapshot() == before


def test_granting_a_role_they_already_hold_is_refused_and_writes_no_audit_row():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    before = _snapshot()

    with pytest.raises(ValidationError) as raised:
        invite(actor=admin, organisation=organisation, email=prescriber.email, role=Role.PRESCRIBER)

    assert raised.value.message_dict == {"role": ["They already hold that role here."]}
    assert _snapshot() == before


def test_granting_a_revoked_role_again_reactivates_the_same_membership():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    old = prescriber.memberships.get()
    revoke_role(actor=admin, membership=old)

    again = _invite_and_accept(
        actor=admin, organisation=organisation, email=prescriber.email, role=Role.PRESCRIBER
    )

    assert again.pk == old.pk
    assert again.is_active
    permission_changes = AuditEvent.objects.filter(
        action__in=[AuditAction.PERMISSION_GRANTED, AuditAction.PERMISSION_REVOKED]
    )
    assert list(permission_changes.order_by("seq").values_list("action", flat=True)) == [
        AuditAction.PERMISSION_REVOKED,
        AuditAction.PERMISSION_GRANTED,
    ]


@pytest.mark.parametrize(
    "who",
    ["prescriber of the practice", "admin without MFA", "admin of another practice", "client"],
)
def test_only_the_practices_admin_with_mfa_may_grant(who):
    # Given someone who is not an admin (with MFA) of this practice
    organisation = OrganisationFactory()
    make_staff(Role.PRACTICE_ADMIN, organisation)
    actor = {
        "prescriber of the practice": lambda: make_staff(Role.PRESCRIBER, organisation),
        "admin without MFA": lambda: make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False),
        "admin of another practice": lambda: make_staff(Role.PRACTICE_ADMIN),
        "client": lambda: UserFactory(),
    }[who]()
    person = UserFactory()
    before = _snapshot()

    # When they try to invite someone to a role, then they are refused and nothing changes
    with pytest.raises(Forbidden, match=r"Only the practice's admins may grant roles\."):
        invite(actor=actor, organisation=organisation, email=person.email, role=Role.COORDINATOR)
    assert _snapshot() == before


# Revoking -----------------------------------------------------------------------------------


def test_admin_revokes_a_role_the_person_loses_access_and_the_audit_row_says_so():
    # Given a coordinator who can view their practice
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    coordinator = make_staff(Role.COORDINATOR, organisation)
    membership = coordinator.memberships.get()
    assert policy.allows(coordinator, Action.VIEW, organisation)

    # When the admin revokes the role
    revoke_role(actor=admin, membership=membership)

    # Then the membership is inactive, the coordinator no longer reaches the practice,
    # and the audit row names the membership and the person by public id only
    membership.refresh_from_db()
    assert not membership.is_active
    policy.forget(coordinator)
    assert not policy.allows(coordinator, Action.VIEW, organisation)
    event = AuditEvent.objects.get(action=AuditAction.PERMISSION_REVOKED)
    assert (event.actor_id, event.actor_role, event.object_id, event.organisation_id) == (
        admin.pk,
        Role.PRACTICE_ADMIN,
        str(membership.public_id),
        str(organisation.public_id),
    )
    assert event.detail == {"role": "coordinator", "user": str(coordinator.public_id)}
    assert coordinator.email not in " ".join(_audit_values(event))


def test_revoking_the_last_practice_admin_is_refused_and_nothing_changes():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    before = _snapshot()

    with pytest.raises(ValidationError) as raised:
        revoke_role(actor=admin, membership=admin.memberships.get())

    assert raised.value.messages == ["A practice needs at least one admin; appoint another first."]
    assert _snapshot() == before


def test_one_of_two_admins_may_be_revoked():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    other = make_staff(Role.PRACTICE_ADMIN, organisation)

    revoke_role(actor=admin, membership=other.memberships.get())

    assert list(
        Membership.objects.filter(organisation=organisation, is_active=True).values_list(
            "user", flat=True
        )
    ) == [admin.pk]


def test_revoking_twice_says_it_was_already_revoked():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    membership = make_staff(Role.PRESCRIBER, organisation).memberships.get()
    revoke_role(actor=admin, membership=membership)
    before = _snapshot()

    with pytest.raises(ValidationError) as raised:
        revoke_role(actor=admin, membership=membership)

    assert raised.value.messages == ["That role was already revoked."]
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["colleague", "admin of another practice", "admin without MFA"])
def test_only_the_practices_admin_with_mfa_may_revoke(who):
    organisation = OrganisationFactory()
    make_staff(Role.PRACTICE_ADMIN, organisation)
    membership = make_staff(Role.PRESCRIBER, organisation).memberships.get()
    actor = {
        "colleague": lambda: make_staff(Role.COORDINATOR, organisation),
        "admin of another practice": lambda: make_staff(Role.PRACTICE_ADMIN),
        "admin without MFA": lambda: make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False),
    }[who]()
    before = _snapshot()

    with pytest.raises(Forbidden, match=r"Only the practice's admins may revoke roles\."):
        revoke_role(actor=actor, membership=membership)
    assert _snapshot() == before
