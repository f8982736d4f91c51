"""Clinicians and staff must enrol a second factor; clients may, but need not."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tandem.accounts.tests.helpers import current_code, sign_in
from tandem.audit.models import AuditAction, AuditEvent
from tandem.core import policy
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    TEST_PASSWORD,
    ClientFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)

pytestmark = pytest.mark.django_db

ACTIVATE = reverse("mfa_activate_totp")


@pytest.mark.parametrize(
    "role", [Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR, Role.PRACTICE_ADMIN]
)
def test_staff_without_mfa_are_sent_to_authenticator_setup_with_an_explanation(client, role):
    user = make_staff(role, mfa=False)
    sign_in(client, user)

    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == f"{ACTIVATE}?required=1"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Your account needs two-factor authentication before you can continue." in html
    assert 'action="/accounts/2fa/totp/activate/?required=1"' in html


def test_platform_staff_without_mfa_are_sent_to_setup_too(client):
    user = UserFactory(is_staff=True)
    sign_in(client, user)

    response = client.get(reverse("core:dashboard"))

    assert response["Location"] == f"{ACTIVATE}?required=1"


def test_policy_refuses_clinical_data_until_mfa_then_allows_it(
    client, django_capture_on_commit_callbacks
):
    therapist = make_staff(Role.THERAPIST, mfa=False)
    record = ClientFactory()
    add_to_care_team(record, therapist, Role.THERAPIST, primary=True)
    assert not policy.may_see_clinical_data(therapist)
    sign_in(client, therapist)
    assert client.get(reverse("clients:detail", args=[record.public_id]))["Location"].startswith(
        ACTIVATE
    )

    page = client.get(f"{ACTIVATE}?required=1")
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page.content.decode()).group(1)
    # The factor and its audit row are written together, in the request's transaction.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{ACTIVATE}?required=1", {"code": current_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(response["Location"]).content.decode()
    assert "Your unused recovery codes" in codes_page
    assert 'href="/dashboard/" data-continue' in codes_page
    assert Authenticator.objects.filter(user=therapist, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(
        user=therapist, type=Authenticator.Type.RECOVERY_CODES
    ).exists()
    policy.forget(therapist)
    assert policy.may_see_clinical_data(therapist)
    assert client.get(reverse("core:dashboard")).status_code == 200
    assert client.get(reverse("clients:detail", args=[record.public_id])).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditAction.MFA_ADDED, actor_id=therapist.pk, detail={"type": "totp"}
    ).exists()


def test_wrong_code_at_setup_names_the_field_and_keeps_the_same_secret(client):
    user = make_staff(Role.PRESCRIBER, mfa=False)
    sign_in(client, user)
    first = client.get(ACTIVATE).content.decode()
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", first).group(1)

    response = client.post(ACTIVATE, {"code": "123"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Authenticator code: Incorrect code." in html
    assert f"data-totp-secret>{secret}<" in html
    assert not Authenticator.objects.filter(user=user).exists()


def test_setup_page_shows_the_qr_code_as_an_image_and_the_secret_as_text(client):
    user = make_staff(Role.THERAPIST, mfa=False)
    sign_in(client, user)

    html = client.get(ACTIVATE).content.decode()

    assert re.search(
        r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" class="qr-code" width="200" '
        r'height="200" alt="QR code to scan with your authenticator app">',
        html,
    )
    assert re.search(
        r'<code class="secret" id="authenticator_secret" data-totp-secret>[A-Z2-7]{32}</code>', html
    )
    # Without ?required=1 the page explains MFA without saying it is compulsory.
    assert "needs two-factor authentication before you can continue" not in html


def test_clients_are_not_forced_into_mfa_but_may_opt_in(client):
    user = UserFactory()
    ClientFactory(user=user)
    sign_in(client, user)

    assert client.get(reverse("core:dashboard")).status_code == 200
    assert policy.may_see_clinical_data(user)

    page = client.get(ACTIVATE)
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page.content.decode()).group(1)
    response = client.post(ACTIVATE, {"code": current_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_signed_in_staff_with_mfa_are_asked_for_a_code_at_sign_in(client):
    user = make_staff(Role.THERAPIST)

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_htmx_fragments_are_refused_without_spoiling_the_secret_on_screen(client):
    user = make_staff(Role.THERAPIST, mfa=False)
    sign_in(client, user)
    page = client.get(ACTIVATE).content.decode()
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)

    fragment = client.get(reverse("core:dashboard"), headers={"HX-Request": "true"})

    assert fragment.status_code == 403
    assert fragment["HX-Reswap"] == "none"
    assert fragment.content.decode() == "Set up two-factor authentication to continue."
    response = client.post(ACTIVATE, {"code": current_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
