"""Double clicks that reach PostgreSQL at the same moment: one invitation, one membership."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, UserFactory, make_staff
from tandem.organisations.actions import accept_invitation, invite
from tandem.organisations.models import Invitation, Membership
from tandem.tests.support.race import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLICKS = 6


def _all_at_once(click: Callable[[], object]) -> list[object]:
    """Run ``click`` CLICKS times at once; return what each returned, or its refusal's words."""
    return [
        outcome.value
        if outcome.error is None
        else outcome.error.messages
        if isinstance(outcome.error, ValidationError)
        else f"error: {outcome.error!r}"
        for outcome in all_at_once(*[click] * CLICKS)
    ]


def test_simultaneous_invitations_of_one_address_make_one():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)

    returned = _all_at_once(
        lambda: (
            invite(
                actor=User.objects.get(pk=admin.pk),
                organisation=organisation,
                email="wren@example.test",
                role=Role.COORDINATOR,
            ).pk
        )
    )

    assert returned == [Invitation.objects.get().pk] * CLICKS
    assert AuditEvent.objects.filter(object_type="organisations.invitation").count() == 1


def test_simultaneous_accepts_make_one_membership_and_one_grant():
    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    person = UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email=person.email, role=Role.COORDINATOR
    )

    returned = _all_at_once(
        lambda: accept_invitation(actor=User.objects.get(pk=person.pk), invitation=invitation).pk
    )

    membership = Membership.objects.get(user=person)
    assert sorted(returned, key=str) == sorted(
        [membership.pk] + [["This invitation was already accepted."]] * (CLICKS - 1), key=str
    )
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_GRANTED).count() == 1
