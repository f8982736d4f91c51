"""Every allauth page renders in Tandem's layout and obeys the CSP (no inline script or style)."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.tests.helpers import sign_in_with_code
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff

pytestmark = pytest.mark.django_db

ANONYMOUS_PAGES = [
    reverse("account_login"),
    reverse("account_signup"),
    reverse("account_reset_password"),
    reverse("account_reset_password_done"),
    reverse("account_email_verification_sent"),
    reverse("account_confirm_email", args=["not-a-real-key"]),
    reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "not-a-key"}),
]

SIGNED_IN_PAGES = [
    reverse("accounts:profile"),
    reverse("mfa_index"),
    reverse("mfa_deactivate_totp"),
    reverse("mfa_generate_recovery_codes"),
    reverse("mfa_add_webauthn"),
    reverse("mfa_list_webauthn"),
    reverse("account_reauthenticate"),
    reverse("account_change_password"),
    reverse("account_email"),
    reverse("usersessions_list"),
    reverse("account_logout"),
]


def assert_in_tandem_layout(html: str) -> None:
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    assert '<main id="main" class="wrap" tabindex="-1">' in html
    assert 'href="/static/tandem/tandem.css"' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert re.search(r"<title>\s*\S.*· Tandem</title>", html, re.S)
    assert " style=" not in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_allauth_page_uses_tandem_layout(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert_in_tandem_layout(response.content.decode())


@pytest.mark.parametrize("url", SIGNED_IN_PAGES)
def test_signed_in_allauth_page_uses_tandem_layout(client, url):
    sign_in_with_code(client, make_staff(Role.THERAPIST))

    response = client.get(url)

    assert response.status_code == 200
    assert_in_tandem_layout(response.content.decode())


def test_account_pages_share_a_settings_menu_marking_the_current_page(client):
    sign_in_with_code(client, make_staff(Role.THERAPIST))

    html = client.get(reverse("mfa_index")).content.decode()

    assert '<nav aria-label="Account settings" class="subnav">' in html
    assert 'href="/accounts/2fa/" aria-current="page"' in html


def test_webauthn_pages_load_allauths_scripts_from_static_files(client):
    sign_in_with_code(client, make_staff(Role.THERAPIST))

    html = client.get(reverse("mfa_add_webauthn")).content.decode()

    assert '<script src="/static/mfa/js/webauthn.js"></script>' in html
    assert '<script src="/static/account/js/onload.js"></script>' in html
    assert 'data-allauth-onload="allauth.webauthn.forms.addForm" type="application/json"' in html


def test_mfa_pages_need_reauthentication_once_the_sign_in_is_five_minutes_old(client):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sign_in_with_code(client, make_staff(Role.THERAPIST))
        assert client.get(reverse("mfa_generate_recovery_codes")).status_code == 200

        traveller.shift(dt.timedelta(minutes=5, seconds=1))
        response = client.get(reverse("mfa_generate_recovery_codes"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
