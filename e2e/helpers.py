"""Assertions and steps shared by the browser tests."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page

from tandem.core.tests.factories import TEST_PASSWORD
from tandem.tests.support.http import Client

_AXE = Axe()
_BLOCKING_IMPACTS = ("serious", "critical")
_CONSOLE: dict[int, list[str]] = {}


def watch_console(page: Page) -> None:
    """Remember the page's console errors (CSP violations show up there)."""
    messages: list[str] = []
    _CONSOLE[id(page)] = messages
    page.on("console", lambda msg: messages.append(msg.text) if msg.type == "error" else None)


def console_errors(page: Page) -> list[str]:
    """Return the console errors seen so far on ``page``."""
    return list(_CONSOLE.get(id(page), []))


def clear_console(page: Page) -> None:
    """Forget the console errors seen so far (before checking another page in the same tab)."""
    _CONSOLE.setdefault(id(page), []).clear()


def assert_no_csp_violations(page: Page) -> None:
    violations = [m for m in console_errors(page) if "Content Security Policy" in m]
    assert not violations, "CSP violations:\n" + "\n".join(violations)


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page and fail on any serious or critical violation, listing them."""
    results = _AXE.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in _BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(", ".join(node["target"]) for node in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"axe found problems on {page.url}:\n{report}"


def assert_fits_phone(page: Page, width: int = 375) -> None:
    """Fail if the page scrolls sideways at ``width`` pixels."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide on a {width}px screen"


def check_page(page: Page, *, phone: bool) -> None:
    """Check accessibility, CSP and (on a phone) the absence of sideways scrolling."""
    assert_accessible(page)
    assert_no_csp_violations(page)
    if phone:
        assert_fits_phone(page)


def settled(page: Page) -> None:
    """Wait until no HTMX request of the page is in flight (htmx marks its element meanwhile).

    The live server shares the test's in-memory SQLite connection, so reading the database
    from the test while an autosave is still being written fails with "table is locked".
    """
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def totp_code(secret: str, *, used: set[str] | None = None) -> str:
    """Return the current code for ``secret``, waiting for the next one if it was already used.

    allauth refuses a code it has accepted once, and codes near the end of their 30-second
    window may expire before the form is submitted, so this waits rather than race.
    """
    while True:
        now = time.time()
        remaining = 30 - int(now) % 30
        code = format_hotp_value(hotp_value(secret, int(now) // 30))
        if remaining > 3 and (used is None or code not in used):
            if used is not None:
                used.add(code)
            return code
        time.sleep(remaining + 0.2)


def open_nav(page: Page) -> None:
    """On a phone, open the navigation menu (on a wide screen its links are already shown)."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def sign_in(page: Page, email: str, password: str = TEST_PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in", exact=True).click()


def share_session(page: Page, user, base_url: str) -> None:
    """Sign ``user`` in without the browser, for tests about what happens afterwards."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}]
    )


def confirmation_link(body: str) -> str:
    match = re.search(r"https?://\S+/accounts/confirm-email/[^/\s]+/", body)
    assert match, body
    return match.group(0)
