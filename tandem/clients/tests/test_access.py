"""Who can reach a client record, and what the audit trail remembers of it."""

import pytest

from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, add_to_care_team, make_staff

pytestmark = pytest.mark.django_db


def test_care_team_therapist_with_mfa_sees_client_and_read_is_audited():
    client = ClientFactory()
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(client, therapist, Role.THERAPIST, primary=True)

    found = client_for(therapist, client.public_id)

    assert found == client
    event = AuditEvent.objects.get(action=AuditAction.VIEW, client_id=str(client.public_id))
    assert event.actor_id == therapist.pk
    assert event.actor_role == Role.THERAPIST
    assert event.object_type == "clients.client"


def test_therapist_without_mfa_is_refused_even_on_the_care_team():
    client = ClientFactory()
    therapist = make_staff(Role.THERAPIST, mfa=False)
    add_to_care_team(client, therapist, Role.THERAPIST)

    assert not policy.allows(therapist, Action.VIEW, client)


def test_clinician_off_the_care_team_gets_404_like_a_missing_record():
    from django.http import Http404

    client = ClientFactory()
    outsider = make_staff(Role.PRESCRIBER)

    with pytest.raises(Http404):
        client_for(outsider, client.public_id)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_revoked_membership_ends_care_team_access():
    client = ClientFactory()
    prescriber = make_staff(Role.PRESCRIBER)
    add_to_care_team(client, prescriber, Role.PRESCRIBER)
    prescriber.memberships.update(is_active=False)
    policy.forget(prescriber)

    assert not policy.allows(prescriber, Action.VIEW, client)


def test_coordinator_may_read_but_not_change():
    client = ClientFactory()
    coordinator = make_staff(Role.COORDINATOR)
    add_to_care_team(client, coordinator, Role.COORDINATOR)

    assert policy.allows(coordinator, Action.VIEW, client)
    assert not policy.allows(coordinator, Action.CHANGE, client)


def test_client_sees_own_record_only():
    me = UserFactory()
    mine = ClientFactory(user=me)
    other = ClientFactory()

    assert policy.allows(me, Action.VIEW, mine)
    assert not policy.allows(me, Action.VIEW, other)
    assert not policy.allows(me, Action.CHANGE, mine)
