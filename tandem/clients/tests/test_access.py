"""Who can reach a client record, and what the audit trail remembers of it."""

import pytest

from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, add_to_care_team, make_staff
from tandem.tests.support.audit import fewer_on_postgresql

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


def _as_before(actor, public_id):
    """``team_client_and_seat`` as it was: the scoped client, then the seat (two queries)."""
    from django.http import Http404

    from tandem.clients.access import client_and_seat_for

    client, member = client_and_seat_for(actor, public_id, Action.VIEW)
    if member is None:
        raise Http404("Not found.")
    return client, member


def _outcome(read, actor, public_id):
    """Return what ``read`` answers (or that it 404s) and the audit rows it wrote."""
    from django.contrib.auth import get_user_model
    from django.http import Http404

    fresh = get_user_model().objects.get(pk=actor.pk)  # no memberships cached from before
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    try:
        client, member = read(fresh, public_id)
        answer = (
            client.pk,
            [getattr(client, f.attname) for f in client._meta.concrete_fields],
            member.pk,
            [getattr(member, f.attname) for f in member._meta.concrete_fields],
            member.organisation.pk,
            [
                getattr(member.organisation, f.attname)
                for f in member.organisation._meta.concrete_fields
            ],
        )
    except Http404:
        answer = "404"
    rows = list(
        AuditEvent.objects.exclude(pk__in=before)
        .order_by("pk")
        .values_list(
            "actor_id",
            "actor_role",
            "action",
            "object_type",
            "object_id",
            "organisation_id",
            "client_id",
            "ip",
            "detail",
        )
    )
    return answer, rows


def test_the_timeline_reads_a_seated_client_in_one_query_with_the_same_answers_and_audit_rows(
    django_assert_num_queries,
):
    # Given a client and people in every relation to them: the primary therapist; a
    # prescriber seated through two practices (the lower seat wins); a therapist without
    # a second factor; one whose membership, one whose practice, one whose seat ended;
    # an outsider; the client themself; and a staff member who is also this client
    import datetime as dt

    from tandem.care.access import team_client_and_seat
    from tandem.core.tests.factories import MembershipFactory, OrganisationFactory

    client = ClientFactory()
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(client, therapist, Role.THERAPIST, primary=True)
    prescriber = make_staff(Role.PRESCRIBER)
    MembershipFactory(user=prescriber, organisation=OrganisationFactory(), role=Role.COORDINATOR)
    add_to_care_team(client, prescriber, Role.COORDINATOR)
    add_to_care_team(client, prescriber, Role.PRESCRIBER)
    no_mfa = make_staff(Role.THERAPIST, mfa=False)
    add_to_care_team(client, no_mfa, Role.THERAPIST)
    left = make_staff(Role.PRESCRIBER)
    add_to_care_team(client, left, Role.PRESCRIBER)
    left.memberships.update(is_active=False)
    closed = make_staff(Role.PRESCRIBER)
    add_to_care_team(client, closed, Role.PRESCRIBER)
    closed.memberships.get().organisation.__class__.objects.filter(
        pk=closed.memberships.get().organisation_id
    ).update(is_active=False)
    ended = make_staff(Role.PRESCRIBER)
    add_to_care_team(client, ended, Role.PRESCRIBER).__class__.objects.filter(user=ended).update(
        ended_on=dt.date(2026, 1, 1)
    )
    outsider = make_staff(Role.PRESCRIBER)
    me = UserFactory()
    own = ClientFactory(user=me)
    colleague = make_staff(Role.THERAPIST)
    own_and_seated = ClientFactory(user=colleague)
    add_to_care_team(own_and_seated, colleague, Role.THERAPIST)

    # When each opens the client's timeline (and their own, and a malformed id), as
    # before and now
    cases = [
        (actor, public_id)
        for actor in (therapist, prescriber, no_mfa, left, closed, ended, outsider, me, colleague)
        for public_id in (client.public_id, own.public_id, own_and_seated.public_id, "not-an-id")
    ]
    before = [_outcome(_as_before, *case) for case in cases]
    now = [_outcome(team_client_and_seat, *case) for case in cases]

    # Then every answer, every seat (and its practice) and every audit row is the same
    assert now == before
    assert sum(answer != "404" for answer, _ in now) == 3
    assert any(rows and answer == "404" for answer, rows in now)  # the client's own record
    # and a seated reader is one query for the client and seat, then the audited read
    fresh = type(therapist).objects.get(pk=therapist.pk)
    policy.active_memberships(fresh)
    policy.has_mfa(fresh)
    with django_assert_num_queries(1 + 5 - fewer_on_postgresql()):
        team_client_and_seat(fresh, client.public_id)
