"""allauth's WebAuthn pages run under Tandem's CSP: their scripts load from static files."""

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import assert_no_csp_violations, check_page, share_session
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_passkey_sign_in_button_is_wired_without_inline_script(desktop_page: Page) -> None:
    desktop_page.goto("/accounts/login/")

    expect(desktop_page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    desktop_page.wait_for_load_state("load")
    assert desktop_page.evaluate("typeof window.allauth.webauthn.forms.loginForm") == "function"
    check_page(desktop_page, phone=False)


def test_add_passkey_page_loads_allauths_script_and_passes_axe(
    phone_page: Page, live_server
) -> None:
    share_session(phone_page, make_staff(Role.THERAPIST), live_server.url)

    # A session that did not just sign in with a password must confirm it first.
    phone_page.goto("/accounts/2fa/webauthn/add/")
    expect(phone_page.get_by_role("heading", level=1)).to_contain_text("Confirm Access")
    check_page(phone_page, phone=True)
    phone_page.get_by_label("Password").fill("correct horse battery staple 42")
    phone_page.get_by_role("button", name="Confirm").click()

    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    phone_page.wait_for_load_state("load")
    assert phone_page.evaluate("typeof window.allauth.webauthn.forms.addForm") == "function"
    check_page(phone_page, phone=True)
    assert_no_csp_violations(phone_page)
