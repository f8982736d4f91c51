"""The demo seeded once into the live server's in-memory SQLite, and the people who walk it.

Shared by the journeys' browser tests (``e2e/test_journeys.py``,
``e2e/test_journeys_more.py``): a module that imports ``demo``, ``server``, ``screen``
and ``people`` seeds the demo once for its tests; each test runs in a savepoint that
is rolled back after it, so every journey starts from the demo exactly as seeded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from e2e.helpers import assert_accessible, assert_no_csp_violations, open_nav, watch_console
from tandem.clients.models import Client
from tandem.demo.practice import DEMO_PASSWORD
from tandem.tests.support.demo import seeded_once

DEMO = "@demo.tandem.test"
DEMO_CODE = "246810"  # docs/demo.md: works for every demo account, in the demo configuration
VIEWPORTS = {
    "1280px": {"viewport": {"width": 1280, "height": 800}},
    "375px": {
        "viewport": {"width": 375, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Seed the demo once, as ``scripts/demo`` does today; roll it back after the module."""
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        pytest.fail("The journeys share the seeded, uncommitted demo with the live server: SQLite")
    with seeded_once(django_db_blocker, at=timezone.now()):
        yield


class _OneRequestAtATime(WSGIServer):
    """Serve one request at a time: every request shares the one connection holding the demo.

    Two requests at once (an autosave and a code search) would interleave their savepoints
    on that connection. A server that is not threaded also closes each HTTP connection.
    """

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="module")
def server(demo: None) -> Iterator[LiveServer]:
    """Serve Tandem in the demo configuration, on the connection that holds the demo."""
    demo_config = override_settings(
        DEBUG=True, DEMO_MODE=True, MFA_TOTP_INSECURE_BYPASS_CODE=DEMO_CODE
    )
    demo_config.enable()
    live = LiveServer("localhost", start=False)
    live.thread.server_class = _OneRequestAtATime
    live.start()
    live._live_server_modified_settings.enable()
    yield live
    live._live_server_modified_settings.disable()
    live.stop()
    demo_config.disable()


@pytest.fixture(params=list(VIEWPORTS))
def screen(request: pytest.FixtureRequest) -> dict[str, Any]:
    return VIEWPORTS[request.param]


class People:
    """Open one browser window per demo person, signed in through the sign-in page."""

    def __init__(self, browser: Browser, server: LiveServer, screen: dict[str, Any]) -> None:
        self.browser, self.base, self.screen = browser, server.url, screen
        self.contexts: list[Any] = []

    def sign_in(self, person: str, *, code: bool = True) -> Page:
        context = self.browser.new_context(base_url=self.base, **self.screen)
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        watch_console(page)
        page.goto("/accounts/login/")
        seen(page)
        page.get_by_label("Email").fill(person + DEMO)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        if code:
            page.get_by_label("Code").fill(DEMO_CODE)
            page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"^Hello, "))
        seen(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Browser, server: LiveServer, screen: dict[str, Any]) -> Iterator[People]:
    crowd = People(browser, server, screen)
    yield crowd
    crowd.close()


def seen(page: Page) -> None:
    """Check the page as its user sees it: axe clean, no CSP error, no sideways scrolling."""
    page.wait_for_load_state()
    assert_accessible(page)
    assert_no_csp_violations(page)
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"{page.url} scrolls sideways: {wide}px in a {window}px window"


def visit(page: Page, path: str) -> None:
    """Open ``path`` as the user would from a bookmark, then check the page."""
    page.goto(path)
    seen(page)


def go(page: Page, link: str | re.Pattern[str]) -> None:
    """Follow a link in the page's main content, then check the page it leads to."""
    page.locator("main").get_by_role("link", name=link).first.click()
    seen(page)


def nav(page: Page, link: str) -> None:
    """Follow a link of the main navigation (behind the Menu button on a phone)."""
    open_nav(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()
    seen(page)


def client_named(first: str, last: str) -> Client:
    return Client.objects.get(first_name=first, last_name=last)


def status_of(page: Page) -> Any:
    return page.locator("#status-title + p [data-status]").first


def move(page: Page, target: str, button: str, **labels: str) -> None:
    form = page.locator(f'[data-move="{target}"]')
    for label, value in labels.items():
        form.get_by_label(label).select_option(label=value)
    form.get_by_role("button", name=button).click()


def record_medication(
    page: Page,
    client: Client,
    *,
    kind: str,
    drug: str,
    dose: str,
    frequency: str,
    watch_for: str,
    unit: str = "mg",
) -> None:
    """Record a medication change on the client's medications page, as a prescriber does."""
    visit(page, f"/care/clients/{client.public_id}/medications/")
    page.get_by_label("Kind of change").select_option(label=kind)
    page.get_by_label("Medication:", exact=True).select_option(label=drug)
    page.get_by_label("Dose").fill(dose)
    page.get_by_label("Unit").select_option(label=unit)
    page.get_by_label("Frequency").fill(frequency)
    page.get_by_label("What the therapist might watch for").fill(watch_for)
    page.get_by_role("button", name="Record").click()
