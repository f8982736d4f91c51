"""The practice page: who sees it, and the invite and revoke forms."""

import pytest
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, UserFactory, make_staff
from tandem.organisations.actions import accept_invitation
from tandem.organisations.models import Invitation, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice():
    organisation = OrganisationFactory(name="Harbour Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, organisation, full_name="Ada Admin")
    return organisation, admin


def _grant(client, organisation, **data):
    return client.post(reverse("organisations:invite", args=[organisation.public_id]), data)


def _memberships():
    return sorted(Membership.objects.values_list("user_id", "role", "is_active"))


def test_the_admin_sees_the_people_and_the_invite_form(client, practice):
    organisation, admin = practice
    make_staff(Role.PRESCRIBER, organisation, full_name="Pat Prescriber")
    client.force_login(admin)

    response = client.get(reverse("organisations:detail", args=[organisation.public_id]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Harbour Psychiatry</h1>" in body
    assert "Pat Prescriber" in body
    assert "<h2>Invite someone</h2>" in body


def test_a_member_who_is_not_admin_sees_the_people_but_no_forms(client, practice):
    organisation, _ = practice
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    client.force_login(prescriber)

    response = client.get(reverse("organisations:detail", args=[organisation.public_id]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Ada Admin" in body
    assert "Invite someone" not in body
    assert "Revoke" not in body


def test_my_practices_lists_only_mine(client, practice):
    _, admin = practice
    OrganisationFactory(name="Elsewhere Psychiatry")
    client.force_login(admin)

    response = client.get(reverse("organisations:mine"))

    assert response.status_code == 200
    assert "Harbour Psychiatry" in response.content.decode()
    assert "Elsewhere Psychiatry" not in response.content.decode()


def test_inviting_through_the_form_then_accepting_adds_the_role_and_says_so(client, practice):
    organisation, admin = practice
    person = UserFactory(email="cole@example.test")
    client.force_login(admin)

    response = _grant(client, organisation, email="cole@example.test", role=Role.COORDINATOR)

    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:detail", args=[organisation.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Invitation sent to cole@example.test." in page
    # The role is held once the person accepts, not before.
    assert not Membership.objects.filter(user=person).exists()
    invitation = Invitation.objects.get(email="cole@example.test")
    accept_invitation(actor=person, invitation=invitation)
    assert Membership.objects.filter(user=person, role=Role.COORDINATOR, is_active=True).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"email": "not an email", "role": Role.PRESCRIBER},
            "email",
            "Enter a valid email address.",
        ),
        ({"email": "", "role": Role.PRESCRIBER}, "email", "This field is required."),
        (
            {"email": "someone@example.test", "role": Role.THERAPIST},
            "role",
            "Select a valid choice. therapist is not one of the available choices.",
        ),
    ],
)
def test_a_bad_grant_names_the_field_returns_400_and_saves_nothing(
    client, practice, data, field, message
):
    organisation, admin = practice
    UserFactory(email="someone@example.test")
    client.force_login(admin)
    before = _memberships(), Invitation.objects.count(), AuditEvent.objects.count()

    response = _grant(client, organisation, **data)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert (_memberships(), Invitation.objects.count(), AuditEvent.objects.count()) == before


def test_a_duplicate_grant_names_the_role_field(client, practice):
    organisation, admin = practice
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    client.force_login(admin)
    before = _memberships()

    response = _grant(client, organisation, email=prescriber.email, role=Role.PRESCRIBER)

    assert response.status_code == 400
    assert response.context["form"].errors == {"role": ["They already hold that role here."]}
    assert _memberships() == before


def test_the_invite_form_keeps_what_was_typed_after_an_error(client, practice):
    organisation, admin = practice
    client.force_login(admin)

    response = _grant(client, organisation, email="nobody@example.test", role="no-such-role")

    assert response.status_code == 400
    assert 'value="nobody@example.test"' in response.content.decode()


def test_revoking_through_the_form_ends_the_role(client, practice):
    organisation, admin = practice
    membership = make_staff(Role.COORDINATOR, organisation).memberships.get()
    client.force_login(admin)

    response = client.post(
        reverse("organisations:revoke", args=[membership.public_id]), follow=True
    )

    assert response.redirect_chain == [
        (reverse("organisations:detail", args=[organisation.public_id]), 302)
    ]
    assert "Role revoked." in response.content.decode()
    membership.refresh_from_db()
    assert not membership.is_active
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_REVOKED).count() == 1


def test_revoking_the_last_admin_through_the_form_explains_why_and_changes_nothing(
    client, practice
):
    _, admin = practice
    client.force_login(admin)

    response = client.post(
        reverse("organisations:revoke", args=[admin.memberships.get().public_id]), follow=True
    )

    assert "A practice needs at least one admin; appoint another first." in (
        response.content.decode()
    )
    assert admin.memberships.get().is_active
    assert not AuditEvent.objects.filter(action=AuditAction.PERMISSION_REVOKED).exists()


def test_a_colleague_cannot_grant_by_posting_the_form_and_gets_404(client, practice):
    organisation, _ = practice
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    UserFactory(email="cole@example.test")
    client.force_login(prescriber)
    before = _memberships()

    response = _grant(client, organisation, email="cole@example.test", role=Role.COORDINATOR)

    assert response.status_code == 404
    assert _memberships() == before
    assert not Invitation.objects.exists()
