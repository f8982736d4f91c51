"""A person allows a SMART app in the browser: Tandem's page passes axe and leads back to the app."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from e2e.helpers import check_page, clear_console, share_session
from tandem.care.tests.factories import CareWorld
from tandem.fhir.actions import register_user_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REDIRECT = "https://app.example.test/callback"


def test_the_authorize_page_passes_axe_and_allow_sends_the_code_back_to_the_app(
    phone_page: Page, live_server
) -> None:
    world = CareWorld()
    app = register_user_app(
        actor=None,
        organisation=world.therapy,
        name="Chart Companion",
        redirect_uris=[REDIRECT],
        scopes="user/*.read",
    ).app
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = {
        "response_type": "code",
        "client_id": app.application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "user/Patient.read user/ServiceRequest.read",
        "state": "e2e-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    arrived: list[str] = []

    def the_app(route: Route) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="the app")

    phone_page.route("https://app.example.test/**", the_app)

    # Someone of another practice is told why, on a page that passes axe too
    share_session(phone_page, world.prescriber, live_server.url)
    phone_page.goto("/fhir/auth/authorize?" + urlencode(query))
    expect(phone_page.get_by_role("alert")).to_contain_text("you do not work there")
    check_page(phone_page, phone=True)

    # The therapist of the app's practice is asked, and allows it
    phone_page.context.clear_cookies()
    share_session(phone_page, world.therapist, live_server.url)
    clear_console(phone_page)
    phone_page.goto("/fhir/auth/authorize?" + urlencode(query))
    expect(phone_page.get_by_role("heading", level=1)).to_have_text(
        "Allow Chart Companion to act for you?"
    )
    expect(phone_page.get_by_role("listitem").filter(has_text="See referrals")).to_be_visible()
    check_page(phone_page, phone=True)
    phone_page.get_by_role("button", name="Allow").click()

    expect(phone_page.locator("body")).to_have_text("the app")
    sent_back = parse_qs(urlsplit(arrived[-1]).query)
    assert sent_back["state"] == ["e2e-state"]
    assert sent_back["code"][0]
