"""What a client may see of the accesses to their record."""

import pytest

from tandem.audit.actions import record
from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.reports.selectors import accesses_to_client
from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    UserFactory,
    add_to_care_team,
    enrol_totp,
    make_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Return a client with a portal account, their therapist and prescriber, and another client."""
    me = UserFactory()
    mine = ClientFactory(user=me)
    therapist = make_staff(Role.THERAPIST)
    prescriber = make_staff(Role.PRESCRIBER)
    add_to_care_team(mine, therapist, Role.THERAPIST, primary=True)
    add_to_care_team(mine, prescriber, Role.PRESCRIBER)
    other = ClientFactory(user=UserFactory())
    add_to_care_team(other, therapist, Role.THERAPIST, primary=True)
    return me, mine, therapist, prescriber, other


def test_a_client_sees_who_read_and_changed_their_record_newest_first(world):
    # Given reads and a change of my record by my care team, my own read, and other events
    me, mine, therapist, prescriber, other = world
    client_for(therapist, mine.public_id)
    change = record(actor=prescriber, action=AuditAction.UPDATE, obj=mine, client=mine)
    client_for(prescriber, mine.public_id)
    client_for(me, mine.public_id)  # my own look is not news to me
    client_for(therapist, other.public_id)  # someone else's record
    record(actor=therapist, action=AuditAction.LOGIN, obj=therapist)

    # When I ask who accessed my record
    accesses = list(accesses_to_client(me, mine))

    # Then I see the three accesses by others, newest first, with who and in what role
    assert [(e.action, e.actor_id, e.actor_role) for e in accesses] == [
        (AuditAction.VIEW, prescriber.pk, Role.PRESCRIBER),
        (AuditAction.UPDATE, prescriber.pk, Role.PRESCRIBER),
        (AuditAction.VIEW, therapist.pk, Role.THERAPIST),
    ]
    assert change in accesses


def test_nobody_else_sees_the_accesses_to_a_clients_record(world):
    _, mine, therapist, prescriber, other = world
    client_for(therapist, mine.public_id)

    assert list(accesses_to_client(other.user, mine)) == []
    assert list(accesses_to_client(therapist, mine)) == []  # care team, but not an auditor
    assert list(accesses_to_client(prescriber, mine)) == []


def test_a_client_reads_the_events_about_their_own_record_and_nothing_else(world):
    me, mine, therapist, _, other = world
    about_me = record(actor=therapist, action=AuditAction.DISCLOSE, obj=mine, client=mine)
    record(actor=therapist, action=AuditAction.VIEW, obj=other, client=other)
    record(actor=me, action=AuditAction.LOGIN, obj=me)

    visible = list(policy.scope(me, Action.VIEW, AuditEvent.objects.all()))

    assert visible == [about_me]
    assert not policy.allows(me, Action.CHANGE, about_me)


def test_a_clinician_who_is_also_a_client_needs_mfa_to_see_their_own_accesses():
    # Staff see nothing clinical without a second factor, even about themselves.
    clinician = make_staff(Role.PRESCRIBER, mfa=False)
    mine = ClientFactory(user=clinician)
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(mine, therapist, Role.THERAPIST)
    client_for(therapist, mine.public_id)

    assert list(accesses_to_client(clinician, mine)) == []
    enrol_totp(clinician)
    policy.forget(clinician)
    assert [e.actor_id for e in accesses_to_client(clinician, mine)] == [therapist.pk]
