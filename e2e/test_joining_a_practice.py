"""Joining a practice: an admin invites an address, the person opens the emailed link and accepts.

Each page on the way is checked with axe-core, for CSP violations and, on a 375 px phone,
for sideways scrolling.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from e2e.helpers import check_page, share_session, watch_console
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, UserFactory, enrol_totp, make_staff
from tandem.organisations.models import Membership
from tandem.tests.support.tasks import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}


def test_an_invited_coordinator_sees_the_practice_and_role_and_joins(
    browser: Browser, live_server
) -> None:
    # Given a practice admin, and a person with an account who works nowhere yet
    organisation = OrganisationFactory(name="Harbour Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, organisation, full_name="Ada Admin")
    person = UserFactory(email="wren.alder@example.test", full_name="Wren Alder")
    enrol_totp(person)

    # When the admin invites their address on the practice page
    admin_page = browser.new_context(base_url=live_server.url, viewport=PHONE).new_page()
    watch_console(admin_page)
    share_session(admin_page, admin, live_server.url)
    admin_page.goto(f"/organisations/{organisation.public_id}/")
    check_page(admin_page, phone=True)
    admin_page.locator("#id_email").fill("wren.alder@example.test")
    admin_page.locator("#id_role").select_option(Role.COORDINATOR)
    admin_page.get_by_role("button", name="Send invitation").click()

    # Then the page says it was sent, and lists it as pending
    expect(admin_page.get_by_role("status")).to_contain_text(
        "Invitation sent to wren.alder@example.test."
    )
    row = admin_page.get_by_role("row", name=re.compile("wren.alder@example.test"))
    expect(row).to_contain_text("Pending")
    check_page(admin_page, phone=True)

    # When the person opens the emailed link, signed in with that address
    run_worker()
    (message,) = mail.outbox
    (link,) = re.findall(r"https?://\S+", message.body)
    page = browser.new_context(base_url=live_server.url, viewport=PHONE).new_page()
    watch_console(page)
    share_session(page, person, live_server.url)
    page.goto(urlsplit(link).path)

    # Then they see which practice, which role and who invited them, and may accept
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation to Harbour Psychiatry")
    expect(page.locator("dl.facts")).to_contain_text("Coordinator")
    expect(page.locator("dl.facts")).to_contain_text("Ada Admin")
    check_page(page, phone=True)
    page.get_by_role("button", name="Accept").click()

    # and, once accepted, they are on the practice's page as its coordinator
    expect(page.get_by_role("status")).to_contain_text(
        "You joined Harbour Psychiatry as coordinator."
    )
    check_page(page, phone=True)
    assert Membership.objects.filter(user=person, role=Role.COORDINATOR, is_active=True).exists()

    # and someone else signed in who opens the same link learns nothing
    other = browser.new_context(base_url=live_server.url, viewport=PHONE).new_page()
    watch_console(other)
    share_session(other, UserFactory(), live_server.url)
    other.goto(urlsplit(link).path)
    expect(other.get_by_role("heading", level=1)).to_have_text("Invitation not found")
    expect(other.locator("main")).not_to_contain_text("Harbour")
    check_page(other, phone=True)
