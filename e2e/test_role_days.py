"""Each role walks its day from the home page on the demo data, at 1280 px and 375 px.

The demo is seeded into the live server's database; each person opens their home page,
reads their work queue, and follows its first item to the page where that work is done.
Every page is checked with axe-core, for CSP violations, and (on the phone) for sideways
scrolling.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, share_session
from tandem.accounts.models import User
from tandem.demo.seed import seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = "@demo.tandem.test"

#: person → (the queue their day starts with, what its first item leads to)
DAYS = {
    "priya.raman": ("due", "/referrals/"),
    "elena.marsh": ("registry", "/measures/registry/"),
    "maya.brennan": ("referrals", "/referrals/"),
    "jordan.ellery": ("todo", "/consent/releases/"),
}


@pytest.mark.parametrize("person", list(DAYS))
def test_a_role_walks_its_day_from_the_home_page(
    person: str, desktop_page: Page, phone_page: Page, live_server
) -> None:
    seed_demo()
    user = User.objects.get(email=person + DEMO)
    queue, leads_to = DAYS[person]
    for page, phone in ((desktop_page, False), (phone_page, True)):
        share_session(page, user, live_server.url)
        page.goto("/dashboard/")
        work = page.locator(f'[data-queue="{queue}"]')
        expect(work).to_be_visible()
        check_page(page, phone=phone)
        work.locator("a").first.click()
        page.wait_for_load_state()
        assert leads_to in page.url, page.url
        check_page(page, phone=phone)
