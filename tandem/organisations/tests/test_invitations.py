"""Invitations to a practice: sending, the emailed link, accepting, declining, withdrawing, expiry."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    UserFactory,
    enrol_totp,
    make_staff,
)
from tandem.organisations.access import invitation_link_token
from tandem.organisations.actions import (
    CLIENT_ACCOUNT_REFUSAL,
    accept_invitation,
    decline_invitation,
    invite,
    revoke_invitation,
)
from tandem.organisations.models import Invitation, InvitationStatus, Membership
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice():
    organisation = OrganisationFactory(name="Harbour Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, organisation, full_name="Ada Admin")
    return organisation, admin


def _snapshot():
    """Return what a refused attempt must leave untouched."""
    return (
        sorted(Membership.objects.values_list("user_id", "organisation_id", "role", "is_active")),
        sorted(Invitation.objects.values_list("email", "role", "status")),
        AuditEvent.objects.count(),
    )


def _link(invitation) -> str:
    return reverse("organisations:invitation", args=[invitation_link_token(invitation)])


def _audit_text(event) -> str:
    return " ".join(
        str(getattr(event, f.name))
        for f in AuditEvent._meta.get_fields()
        if f.name not in ("id", "hash", "prev_hash")
    )


# Sending --------------------------------------------------------------------------------------


def test_an_invitation_emails_a_link_only_and_is_audited_without_the_address(
    practice, django_capture_on_commit_callbacks
):
    # Given an admin
    organisation, admin = practice

    # When they invite an address, typed loosely
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(
            actor=admin, organisation=organisation, email=" Wren@Example.TEST ", role="prescriber"
        )
    run_worker()

    # Then one pending invitation for the lower-cased address, expiring in seven days
    assert (invitation.email, invitation.role, invitation.status) == (
        "wren@example.test",
        Role.PRESCRIBER,
        InvitationStatus.PENDING,
    )
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        dt.timedelta(days=7), abs=dt.timedelta(seconds=5)
    )
    # and one email to it, whose only link opens the invitation, naming neither practice nor role
    (message,) = mail.outbox
    assert message.to == ["wren@example.test"]
    links = re.findall(r"https?://\S+", message.body)
    assert [urlsplit(u).path for u in links] == [_link(invitation)]
    assert "Harbour" not in message.body + message.subject
    assert "rescriber" not in message.body + message.subject
    # and one audit row, in the practice, naming the invitation by reference only
    event = AuditEvent.objects.get(object_type="organisations.invitation")
    assert (event.action, event.actor_id, event.organisation_id, event.object_id) == (
        AuditAction.CREATE,
        admin.pk,
        str(organisation.public_id),
        str(invitation.public_id),
    )
    assert "wren" not in _audit_text(event).lower()


def test_a_second_invitation_to_the_same_address_and_role_is_the_first_and_sends_no_email(
    practice, django_capture_on_commit_callbacks
):
    organisation, admin = practice
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(
            actor=admin, organisation=organisation, email="w@example.test", role="coordinator"
        )
        second = invite(
            actor=admin, organisation=organisation, email="W@example.test", role="coordinator"
        )
    run_worker()

    assert second.pk == first.pk
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(object_type="organisations.invitation").count() == 1


def test_inviting_again_after_expiry_sends_a_new_invitation(practice):
    organisation, admin = practice
    old = invite(actor=admin, organisation=organisation, email="w@example.test", role="coordinator")

    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        new = invite(
            actor=admin, organisation=organisation, email="w@example.test", role="coordinator"
        )

    old.refresh_from_db()
    assert old.status == InvitationStatus.EXPIRED
    assert (new.pk != old.pk, new.status) == (True, InvitationStatus.PENDING)


@pytest.mark.parametrize(
    "who", ["prescriber of the practice", "admin without MFA", "admin of another practice"]
)
def test_only_the_practices_admin_with_mfa_may_invite(practice, who):
    organisation, _ = practice
    actor = {
        "prescriber of the practice": lambda: make_staff(Role.PRESCRIBER, organisation),
        "admin without MFA": lambda: make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False),
        "admin of another practice": lambda: make_staff(Role.PRACTICE_ADMIN),
    }[who]()
    before = _snapshot()

    with pytest.raises(Forbidden, match=r"Only the practice's admins may grant roles\."):
        invite(actor=actor, organisation=organisation, email="w@example.test", role="coordinator")
    assert _snapshot() == before


# Answering ------------------------------------------------------------------------------------


def test_the_invitee_sees_practice_and_role_and_accepting_makes_them_a_member(client, practice):
    # Given an invitation to a person with an account (and a second factor, so the second
    # click of a double click reaches the page rather than two-factor enrolment)
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    enrol_totp(person)
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    client.force_login(person)

    # When they open the link, they see which practice, which role and who invited them
    page = client.get(_link(invitation))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<h1>Invitation to Harbour Psychiatry</h1>" in body
    assert "<dt>Role</dt><dd>Coordinator</dd>" in body
    assert "<dt>Invited by</dt><dd>Ada Admin</dd>" in body

    # and when they accept (twice, as a double click does)
    first = client.post(_link(invitation), {"decision": "accept"})
    second = client.post(_link(invitation), {"decision": "accept"})

    # Then both land on the practice page, and they hold the role once
    target = reverse("organisations:detail", args=[organisation.public_id])
    assert (first.status_code, first["Location"]) == (302, target)
    assert (second.status_code, second["Location"]) == (302, target)
    membership = Membership.objects.get(user=person)
    assert (membership.organisation, membership.role, membership.is_active) == (
        organisation,
        Role.COORDINATOR,
        True,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_by, invitation.membership) == (
        InvitationStatus.ACCEPTED,
        person,
        membership,
    )
    # and one audit row says who granted themselves what, through which invitation
    event = AuditEvent.objects.get(action=AuditAction.PERMISSION_GRANTED, actor_id=person.pk)
    assert event.organisation_id == str(organisation.public_id)
    assert event.detail == {
        "role": "coordinator",
        "user": str(person.public_id),
        "via": "invitation",
        "invitation": str(invitation.public_id),
    }
    policy.forget(person)
    assert policy.allows(person, Action.VIEW, organisation)


def test_someone_signed_in_with_another_address_gets_not_found_and_changes_nothing(
    client, practice
):
    organisation, admin = practice
    UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    client.force_login(UserFactory(email="mallory@example.test"))
    before = _snapshot()

    shown = client.get(_link(invitation))
    posted = client.post(_link(invitation), {"decision": "accept"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert "Harbour" not in shown.content.decode() + posted.content.decode()
    assert "sign in (or create an account) with the email address the invitation was sent to" in (
        shown.content.decode()
    )
    assert _snapshot() == before


def test_a_forged_link_gets_not_found(client, practice):
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    client.force_login(person)

    unsigned = reverse("organisations:invitation", args=[f"{invitation.public_id}:forged"])
    response = client.post(unsigned, {"decision": "accept"})

    assert response.status_code == 404
    assert not Membership.objects.filter(user=person).exists()


def test_a_visitor_is_sent_to_sign_in_first(client, practice):
    organisation, admin = practice
    invitation = invite(
        actor=admin, organisation=organisation, email="new@example.test", role="coordinator"
    )

    response = client.get(_link(invitation))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_someone_who_signs_up_with_the_invited_address_can_accept(client, practice):
    # Given an invitation to an address with no account yet, which then signs up
    organisation, admin = practice
    invitation = invite(
        actor=admin, organisation=organisation, email="new@example.test", role="coordinator"
    )
    newcomer = UserFactory(email="new@example.test")  # sign-up with a confirmed address
    client.force_login(newcomer)

    response = client.post(_link(invitation), {"decision": "accept"}, follow=True)

    # Then they hold the role, and are taken to set up two-factor authentication
    assert Membership.objects.filter(user=newcomer, role=Role.COORDINATOR).count() == 1
    assert ("/accounts/2fa/totp/activate/?required=1", 302) in response.redirect_chain


def test_an_unconfirmed_address_cannot_accept(practice):
    from allauth.account.models import EmailAddress

    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    EmailAddress.objects.filter(user=person).update(verified=False)
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    before = _snapshot()

    with pytest.raises(Forbidden, match=r"Only the person invited may answer"):
        accept_invitation(actor=person, invitation=invitation)
    assert _snapshot() == before


def test_a_client_account_is_refused_and_stays_a_client(practice):
    organisation, admin = practice
    person = UserFactory(email="client.person@example.test")
    ClientFactory(user=person)
    invitation = invite(
        actor=admin, organisation=organisation, email=person.email, role="coordinator"
    )
    before = _snapshot()

    with pytest.raises(ValidationError) as raised:
        accept_invitation(actor=person, invitation=invitation)

    assert raised.value.messages == [CLIENT_ACCOUNT_REFUSAL]
    assert _snapshot() == before
    assert policy.roles(person) == {Role.CLIENT}


def test_declining_closes_the_invitation_and_the_practice_sees_the_answer(client, practice):
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    client.force_login(person)

    response = client.post(_link(invitation), {"decision": "decline"}, follow=True)

    assert "You declined the invitation. Nothing has changed." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not Membership.objects.filter(user=person).exists()
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(invitation.public_id))
    assert (event.actor_id, event.organisation_id, event.detail) == (
        person.pk,
        str(organisation.public_id),
        {"changed": ["status"], "status": "declined"},
    )
    # and a later accept is refused with the reason
    again = client.post(_link(invitation), {"decision": "accept"})
    assert again.status_code == 400
    assert "This invitation was declined." in again.content.decode()
    assert not Membership.objects.filter(user=person).exists()


def test_an_expired_invitation_cannot_be_accepted(client, practice):
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        client.force_login(person)
        shown = client.get(_link(invitation))
        posted = client.post(_link(invitation), {"decision": "accept"})

    message = "This invitation has expired. Ask the practice to send a new one."
    assert message in shown.content.decode()
    assert 'value="accept"' not in shown.content.decode()
    assert posted.status_code == 400
    assert message in posted.content.decode()
    assert not Membership.objects.filter(user=person).exists()


# Withdrawing ----------------------------------------------------------------------------------


def test_the_admin_lists_and_withdraws_a_pending_invitation_and_its_link_opens_nothing(
    client, practice
):
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    client.force_login(admin)
    page = client.get(reverse("organisations:detail", args=[organisation.public_id]))
    assert re.search(
        r"<td>wren@example.test</td>\s*<td>Coordinator</td>\s*<td>.*?</td>\s*<td>Pending</td>",
        page.content.decode(),
    )

    response = client.post(
        reverse("organisations:invitation_revoke", args=[invitation.public_id]), follow=True
    )

    assert "Invitation to wren@example.test withdrawn." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(invitation.public_id))
    assert (event.actor_id, event.detail) == (
        admin.pk,
        {"changed": ["status"], "status": "revoked"},
    )
    client.force_login(person)
    refused = client.post(_link(invitation), {"decision": "accept"})
    assert refused.status_code == 400
    assert "The practice withdrew this invitation." in refused.content.decode()
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.parametrize("who", ["colleague", "admin of another practice", "the invitee"])
def test_only_the_practices_admin_may_withdraw(practice, who):
    organisation, admin = practice
    person = UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    actor = {
        "colleague": lambda: make_staff(Role.COORDINATOR, organisation),
        "admin of another practice": lambda: make_staff(Role.PRACTICE_ADMIN),
        "the invitee": lambda: person,
    }[who]()
    before = _snapshot()

    with pytest.raises(Forbidden, match=r"Only the practice's admins may withdraw"):
        revoke_invitation(actor=actor, invitation=invitation)
    assert _snapshot() == before


def test_the_admin_cannot_answer_for_the_invitee(practice):
    organisation, admin = practice
    UserFactory(email="wren@example.test")
    invitation = invite(
        actor=admin, organisation=organisation, email="wren@example.test", role="coordinator"
    )
    before = _snapshot()

    for answer in (accept_invitation, decline_invitation):
        with pytest.raises(Forbidden, match=r"Only the person invited may answer"):
            answer(actor=admin, invitation=invitation)
    assert _snapshot() == before
