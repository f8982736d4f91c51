"""Idle sessions: a warning before the end, sign-out at the end, and typed input kept.

The idle limit is shortened to a few seconds here (the page reads it from
``data-session-idle``); the 15-minute server-side limit is tested in tandem/accounts.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, enter_code, share_session, sign_in, totp_code
from tandem.core.roles import Role
from tandem.core.tests.factories import TEST_TOTP_SECRET, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def short_idle(settings) -> None:
    settings.SESSION_IDLE_SECONDS = 6
    settings.SESSION_WARNING_SECONDS = 4


def test_idle_warning_then_sign_out_keeps_typed_input_for_after_sign_in(
    desktop_page: Page, live_server, short_idle
) -> None:
    page = desktop_page
    therapist = make_staff(Role.THERAPIST, email="idle.therapist@example.test")
    share_session(page, therapist, live_server.url)

    # Given a therapist typing into their account form without saving
    page.goto("/accounts/profile/")
    page.get_by_label("Preferred name").fill("Jo (typed, not saved)")

    # Then a warning appears before the end
    dialog = page.get_by_role("dialog", name="Still there?")
    expect(dialog).to_be_visible(timeout=6_000)
    check_page(page, phone=False)

    # And at the end they are signed out on the server and shown why
    expect(page).to_have_url(
        re.compile(r"/accounts/login/\?next=%2Faccounts%2Fprofile%2F&timeout=1$")
    )
    expect(page.locator("[data-session-timeout-notice]")).to_contain_text(
        "You were signed out after 0 minutes without activity"
    )
    check_page(page, phone=False)
    assert page.context.request.get(f"{live_server.url}/dashboard/", max_redirects=0).status == 302

    # When they sign in again, what they typed is put back
    sign_in(page, "idle.therapist@example.test")
    enter_code(page, totp_code(TEST_TOTP_SECRET))
    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_label("Preferred name")).to_have_value("Jo (typed, not saved)")
    expect(page.get_by_role("status").filter(has_text="has been put back")).to_be_visible()


def test_stay_signed_in_closes_the_warning_and_keeps_the_page(
    desktop_page: Page, live_server, short_idle
) -> None:
    page = desktop_page
    share_session(page, make_staff(Role.THERAPIST), live_server.url)
    page.goto("/dashboard/")
    dialog = page.get_by_role("dialog", name="Still there?")
    expect(dialog).to_be_visible(timeout=6_000)

    with page.expect_response("**/session/keepalive/") as keepalive:
        page.get_by_role("button", name="Stay signed in").click()

    assert keepalive.value.json() == {"ok": True}
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(2_500)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")


def test_a_draft_is_never_offered_to_someone_else(
    desktop_page: Page, live_server, short_idle
) -> None:
    page = desktop_page
    first = make_staff(Role.THERAPIST, email="first@example.test")
    make_staff(Role.THERAPIST, email="second@example.test")
    share_session(page, first, live_server.url)
    page.goto("/accounts/profile/")
    page.get_by_label("Preferred name").fill("private draft")
    expect(page).to_have_url(re.compile(r"timeout=1$"), timeout=10_000)

    sign_in(page, "second@example.test")
    enter_code(page, totp_code(TEST_TOTP_SECRET))

    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    # The page's script has run (it restores drafts as the page loads): only now does an
    # empty field mean nothing was offered, and the first person's draft must be gone.
    page.wait_for_load_state("load")
    expect(page.get_by_label("Preferred name")).to_have_value("")
    # (Their own page may time out and save their own draft; never the first person's.)
    assert "private draft" not in page.evaluate("JSON.stringify(sessionStorage)")
