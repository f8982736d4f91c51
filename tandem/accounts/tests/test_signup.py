"""Signing up: therapists get a solo practice they administer; clients get a plain account."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tandem.accounts.models import ClinicianProfile, LicenceType, User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.core import policy
from tandem.core.roles import Role
from tandem.core.tests.factories import UserFactory
from tandem.organisations.actions import register_therapist
from tandem.organisations.models import Membership, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "lantern orchard velvet 58"


def therapist_form(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Robin Quill",
        "email": "robin.quill@example.test",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "account_type": "therapist",
        "licence_type": LicenceType.LMHC,
        "licence_number": "LMHC-10442",
        "licence_states": "ma, ri",
        "practice_name": "",
    }
    return data | overrides


def test_register_therapist_makes_a_solo_practice_with_therapist_and_admin_roles():
    user = UserFactory(full_name="")

    practice = register_therapist(
        user=user,
        full_name="Robin Quill",
        licence_type=LicenceType.LICSW,
        licence_number="LICSW-7781",
        licence_states=["MA", "NH"],
    )

    user.refresh_from_db()
    assert user.full_name == "Robin Quill"
    assert practice.kind == OrganisationKind.THERAPY_PRACTICE
    assert practice.name == "Robin Quill Therapy"
    assert practice.state == "MA"
    assert sorted(Membership.objects.filter(user=user).values_list("role", flat=True)) == [
        Role.PRACTICE_ADMIN,
        Role.THERAPIST,
    ]
    profile = ClinicianProfile.objects.get(user=user)
    assert (profile.licence_type, profile.licence_number, profile.licence_states) == (
        LicenceType.LICSW,
        "LICSW-7781",
        ["MA", "NH"],
    )
    assert policy.roles(user) == {Role.THERAPIST, Role.PRACTICE_ADMIN}


def test_register_therapist_audits_each_role_granted_with_references_only():
    user = UserFactory()

    practice = register_therapist(
        user=user,
        full_name="Robin Quill",
        licence_type=LicenceType.LMFT,
        licence_number="LMFT-1",
        licence_states=["MA"],
        practice_name="Harbour Street Counselling",
    )

    events = AuditEvent.objects.filter(action=AuditAction.PERMISSION_GRANTED).order_by("seq")
    assert [e.detail["role"] for e in events] == [Role.THERAPIST, Role.PRACTICE_ADMIN]
    for event in events:
        assert event.actor_id == user.pk
        assert event.object_type == "organisations.membership"
        assert event.organisation_id == str(practice.public_id)
        assert event.detail == {
            "role": event.detail["role"],
            "user": str(user.public_id),
            "via": "signup",
        }
    assert practice.name == "Harbour Street Counselling"


def test_therapist_signup_over_http_creates_practice_and_sends_verification_email(client):
    response = client.post(reverse("account_signup"), therapist_form())

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="robin.quill@example.test")
    assert user.full_name == "Robin Quill"
    assert user.clinician_profile.licence_states == ["MA", "RI"]
    practice = Organisation.objects.get(memberships__user=user, memberships__role=Role.THERAPIST)
    assert practice.name == "Robin Quill Therapy"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin.quill@example.test"]
    assert re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[0].body)
    assert AuditEvent.objects.filter(action=AuditAction.SIGNUP, actor_id=user.pk).count() == 1


def test_client_signup_ignores_licence_fields_and_grants_no_roles(client):
    response = client.post(
        reverse("account_signup"),
        therapist_form(
            account_type="client",
            email="sam.river@example.test",
            full_name="Sam River",
            licence_type="",
            licence_number="",
            licence_states="",
        ),
    )

    assert response.status_code == 302
    user = User.objects.get(email="sam.river@example.test")
    assert user.full_name == "Sam River"
    assert not Membership.objects.filter(user=user).exists()
    assert not ClinicianProfile.objects.filter(user=user).exists()


def test_therapist_signup_without_licence_names_each_missing_field(client):
    response = client.post(
        reverse("account_signup"),
        therapist_form(licence_type="", licence_number=" ", licence_states="MA, XX"),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Licence type: Therapists must give their licence type." in html
    assert "Licence number: Therapists must give their licence number." in html
    assert (
        "Licensed in (states): Unknown state code(s): XX. Use two-letter codes such as MA." in html
    )
    assert 'href="#id_licence_type"' in html
    assert 'aria-describedby="id_licence_number_helptext id_licence_number_error"' in html
    assert not User.objects.filter(email="robin.quill@example.test").exists()
    # What was typed is kept (except passwords).
    assert 'value="Robin Quill"' in html
    assert 'value="robin.quill@example.test"' in html


def test_signup_page_explains_the_licence_fields_and_loads_the_progressive_script(client):
    response = client.get(reverse("account_signup"))

    html = response.content.decode()
    assert "<legend>Your licence (therapists only)</legend>" in html
    assert "data-licence-fields" in html
    assert "/static/tandem/signup.js" in html
    # Without JavaScript every licence field is present and visible.
    for name in ("licence_type", "licence_number", "licence_states", "practice_name"):
        assert f'name="{name}"' in html
    assert "data-licence-fields hidden" not in html
