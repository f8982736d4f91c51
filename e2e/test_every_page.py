"""Every page Tandem serves, on a 375 px phone: axe finds nothing serious, nothing scrolls
sideways, and the Content-Security-Policy is never violated.

The journeys check the pages they pass through; this sweeps the rest: every page from
the URL conf, as each person who may open it (``tandem.tests.support.pages``, which
also feeds the server-side checks of every page in ``tandem/tests/test_url_access.py``).

Every problem is collected, so one run lists them all.
"""

from __future__ import annotations

from playwright.sync_api import Page

from e2e.helpers import check_page, clear_console, share_session
from tandem.tests.support.pages import every_page


def test_every_page_passes_axe_fits_a_phone_and_keeps_to_the_csp(
    phone_page: Page, live_server
) -> None:
    pages = [(page.label, page.url, page.user) for page in every_page()]
    # The sweep must really see the site: the sign-in page, dashboards, lists and records.
    labels = {label for label, _, _ in pages}
    assert {"account_login as anonymous visitor", "core:dashboard as coordinator"} <= labels
    assert "clients:detail" in labels
    assert len(pages) > 60, labels

    problems: dict[str, str] = {}
    with_banner: set[str] = set()
    signed_in_as: object = "nobody yet"
    for label, url, user in pages:
        if user is not signed_in_as:
            phone_page.context.clear_cookies()
            if user is not None:
                share_session(phone_page, user, live_server.url)
            signed_in_as = user
        clear_console(phone_page)
        phone_page.goto(url)
        if phone_page.locator("[data-open-alerts]").count():
            with_banner.add(label)
        if label == "care:alert":
            # The alert page is swept with its outcome form showing.
            assert phone_page.locator('button[name="record_outcome"]').count() == 1
        try:
            check_page(phone_page, phone=True)
        except AssertionError as problem:
            problems[f"{label} ({url})"] = str(problem).split("\nassert")[0]

    assert problems == {}, "\n\n".join(f"{k}:\n{v}" for k, v in problems.items())
    # The open-alert banner was swept too: on the alert page and on the clinicians' pages.
    assert {"care:alert", "core:dashboard as therapist", "core:dashboard as prescriber"} <= (
        with_banner
    ), with_banner
