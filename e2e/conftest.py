"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server (``live_server``) runs Django in a thread of this process with the
transactional test database and serves static files through staticfiles' finders, so the
pages load exactly the CSS and JavaScript a deployment would.
"""

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from e2e.helpers import watch_console

# The demo seeded once per module that asks for it, its live server and its people.
from e2e.journeys import demo, people, screen, server  # noqa: F401

# Assertions wait as long as actions do (15 s, not Playwright's 5): on a shared 2-core
# machine running both CI passes, a navigation to a page that writes its audit row took
# longer than 5 s once, and `to_have_url` gave up while the page was still loading.
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# the ORM calls that tests make between browser steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 667}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch the system Chromium once per test session (never a downloaded browser)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Browser tests need Debian's chromium package (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser: Browser, base_url: str, **options: object) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch_console(page)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Browser, live_server) -> Iterator[Page]:
    """Return a fresh page in a 1280x900 window, with its own cookies and storage."""
    yield from _page(browser, live_server.url, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, live_server) -> Iterator[Page]:
    """Return a fresh page on a 375x667 touch screen, like a small phone."""
    yield from _page(
        browser,
        live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
