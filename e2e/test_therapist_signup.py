"""The first journey: a therapist signs up, verifies their email, sets up TOTP and signs in.

Every page on the way is checked with axe-core (no serious or critical violations), for
CSP violations in the console, and on a 375 px phone for sideways scrolling.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, confirmation_link, enter_code, open_nav, sign_in, totp_code
from tandem.accounts.models import User
from tandem.core.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "avery.lindqvist@example.test"
PASSWORD = "harbour lantern quietly 73"


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_therapist_signs_up_verifies_email_sets_up_totp_and_reaches_dashboard(
    request: pytest.FixtureRequest, device: str
) -> None:
    page: Page = request.getfixturevalue(f"{device}_page")
    phone = device == "phone"

    # Given the home page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Therapy and psychiatry, working as one team"
    )
    check_page(page, phone=phone)

    # When they open sign-up, the licence fields follow the account type
    page.get_by_role("link", name="Create a therapist account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your Tandem account")
    licence = page.locator("[data-licence-fields]")
    expect(licence).to_be_visible()
    page.get_by_label("I am a client looking for care").check()
    expect(licence).to_be_hidden()
    page.get_by_label("I am a licensed therapist").check()
    expect(licence).to_be_visible()
    check_page(page, phone=phone)

    # A mistake is named, and what was typed is kept
    page.locator("#id_full_name").fill("Avery Lindqvist")
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("Licence type").select_option("LMHC")
    page.get_by_label("Licence number").fill("LMHC-20931")
    page.get_by_label("Licensed in (states)").fill("MA, ZZ")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Licensed in (states): Unknown state code(s): ZZ."
    )
    expect(page.locator("#id_licence_number")).to_have_value("LMHC-20931")
    check_page(page, phone=phone)

    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_label("Licensed in (states)").fill("MA, RI")
    page.get_by_role("button", name="Create account").click()

    # Then they are asked to verify their email, which arrives with a link
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")
    check_page(page, phone=phone)
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    page.goto(confirmation_link(mail.outbox[0].body))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm Email Address")
    check_page(page, phone=phone)
    page.get_by_role("button", name="Confirm").click()

    # They sign in, and are sent to set up two-factor authentication first
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page, phone=phone)
    sign_in(page, EMAIL, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?required=1$"))
    expect(page.locator("[data-mfa-required]")).to_contain_text(
        "Your account needs two-factor authentication before you can continue."
    )
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    check_page(page, phone=phone)
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    # (Setting up does not use the code up, so the same one may sign in later.)
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    # They see their recovery codes, then carry on to the therapist dashboard
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    assert len(page.get_by_label("Your unused recovery codes").input_value().split()) == 10
    check_page(page, phone=phone)
    page.get_by_role("link", name="I have saved them — continue to Tandem").click()
    expect(page.locator('[data-dashboard="therapist"]')).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Avery Lindqvist")
    check_page(page, phone=phone)

    # The account page (in the menu on a phone) shows two-factor authentication as on
    open_nav(page)
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("Two-factor authentication: on")).to_be_visible()
    check_page(page, phone=phone)

    # Signing out and in again asks for the code, then opens the dashboard
    open_nav(page)
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    check_page(page, phone=phone)
    enter_code(page, totp_code(secret))
    expect(page.locator('[data-dashboard="therapist"]')).to_be_visible()

    user = User.objects.get(email=EMAIL)
    assert {m.role for m in user.memberships.all()} == {Role.THERAPIST, Role.PRACTICE_ADMIN}
