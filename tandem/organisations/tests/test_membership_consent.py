"""Issue 10: nobody joins a practice without saying yes, and joining reveals nothing earlier.

A practice admin used to add any existing account to their practice at once:
the form told whether an email had an account, the person had no say, the
admin then read their earlier sign-ins and reads in the audit search, and a
client added as staff lost their portal to the staff MFA gate.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db.models import Q
from django.urls import reverse

from tandem.audit.actions import record
from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.access import client_for
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)
from tandem.organisations.models import Membership
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

AUDIT = "/audit/"


@pytest.fixture
def practice():
    organisation = OrganisationFactory(name="Harbour Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, organisation, full_name="Ada Admin")
    return organisation, admin


def _invite(http, organisation, **data):
    return http.post(reverse("organisations:invite", args=[organisation.public_id]), data)


def _link_in(message) -> str:
    """Return the path of the one link in an email."""
    found = re.findall(r"https?://\S+", message.body)
    assert len(found) == 1, message.body
    return urlsplit(found[0]).path


def _rows(response) -> list[str]:
    return re.findall(r"<tr>\s*<td>(\d+)</td>", response.content.decode())


def test_the_invite_form_answers_the_same_whether_or_not_the_email_has_an_account(client, practice):
    # Given an admin, one email with a Tandem account and one without
    organisation, admin = practice
    UserFactory(email="has.account@example.test")
    client.force_login(admin)

    # When the admin invites each
    known = _invite(client, organisation, email="has.account@example.test", role=Role.COORDINATOR)
    unknown = _invite(client, organisation, email="no.account@example.test", role=Role.COORDINATOR)

    # Then both answers are the same redirect and the same message, naming only the address
    assert (known.status_code, unknown.status_code) == (302, 302)
    assert known["Location"] == unknown["Location"]
    page = client.get(known["Location"]).content.decode()
    assert "Invitation sent to has.account@example.test." in page
    assert "Invitation sent to no.account@example.test." in page
    assert "No Tandem account" not in page


def test_an_invited_person_holds_no_role_until_they_accept(client, practice):
    # Given a person with an account who works elsewhere
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    client.force_login(admin)

    # When the admin invites them
    _invite(client, organisation, email="wren@example.test", role=Role.PRESCRIBER)

    # Then they hold nothing in the practice yet
    assert not Membership.objects.filter(user=person).exists()
    policy.forget(person)
    assert not policy.allows(person, Action.VIEW, organisation)


def test_a_client_cannot_join_as_staff_and_their_portal_keeps_working(
    client, practice, django_capture_on_commit_callbacks
):
    # Given a client with a portal account
    organisation, admin = practice
    person = UserFactory(email="client.person@example.test")
    ClientFactory(user=person)
    admin_http = client.__class__()
    admin_http.force_login(admin)

    # When an admin invites that email as a coordinator
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_http, organisation, email="client.person@example.test", role=Role.COORDINATOR)

    # Then the client still reaches their portal (no staff MFA gate in the way)
    client.force_login(person)
    assert client.get(reverse("core:dashboard")).status_code == 200
    assert client.get(reverse("audit:my_record")).status_code == 200

    # and when they follow the emailed link and accept, they are told to use a staff account
    run_worker()
    (message,) = mail.outbox
    link = _link_in(message)
    response = client.post(link, {"decision": "accept"})
    assert response.status_code == 400
    assert (
        "This is a client portal account. To work in a practice, sign up for a separate "
        "staff account with a different email address, and ask the practice to invite that "
        "address." in response.content.decode().replace("&#x27;", "'")
    )
    assert not Membership.objects.filter(user=person).exists()
    assert client.get(reverse("core:dashboard")).status_code == 200
    assert client.get(reverse("audit:my_record")).status_code == 200


def test_a_new_practices_admin_never_sees_the_persons_earlier_sign_ins_or_reads_elsewhere(
    client, practice
):
    # Given a prescriber of another practice, with sign-ins and reads there
    organisation, admin = practice
    elsewhere = OrganisationFactory(name="Elsewhere Psychiatry")
    person = make_staff(Role.PRESCRIBER, elsewhere, email="wren@example.test")
    someone = ClientFactory()
    add_to_care_team(someone, person, Role.PRESCRIBER)
    earlier = [
        record(actor=person, action=AuditAction.LOGIN, obj=person),
        record(
            actor=None,
            action=AuditAction.LOGIN_FAILED,
            object_type="accounts.user",
            object_id=str(person.public_id),
        ),
    ]
    client_for(person, someone.public_id)  # a read at the other practice
    reader = client.__class__()
    reader.force_login(person)  # a sign-in
    reader.get(reverse("clients:list"))  # a list read, which names no practice
    client.force_login(admin)
    before_joining = set(_rows(client.get(AUDIT)))

    # When they join the admin's practice, then sign in and read there
    MembershipFactory(user=person, organisation=organisation, role=Role.PRESCRIBER)
    policy.forget(person)
    later_login = record(actor=person, action=AuditAction.LOGIN, obj=person)
    ours = record(
        actor=person, action=AuditAction.UPDATE, object_type="x", organisation=organisation
    )
    after_joining = set(_rows(client.get(AUDIT)))

    # Then, before or after, the admin sees none of the person's events outside the practice,
    # only what they did in it
    theirs = {
        str(pk)
        for pk in AuditEvent.objects.filter(
            Q(actor_id=person.pk) | Q(object_id=str(person.public_id))
        )
        .exclude(pk=ours.pk)
        .values_list("pk", flat=True)
    }
    assert {str(e.pk) for e in earlier} <= theirs
    assert str(later_login.pk) in theirs
    assert before_joining & theirs == set()
    assert after_joining & theirs == set()
    assert str(ours.pk) in after_joining
