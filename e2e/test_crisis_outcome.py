"""Recording a crisis outcome in a real browser, on a phone, for each possible outcome.

The submit button once carried the name ``outcome`` too, so the browser sent two
values and the form always answered "Choose the outcome of the assessment". Here
the prescriber sees the red open-alert banner, follows it to the alert, records the
assessment and follow-up, and the banner is gone.
"""

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, share_session
from tandem.care.crisis import actions as crisis
from tandem.care.models import AlertStatus, HospitalisationOutcome, SafetyAlert
from tandem.care.tests.factories import CareWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_prescriber_records_each_outcome_from_the_banner(phone_page: Page, live_server) -> None:
    world = CareWorld()
    page = phone_page
    share_session(page, world.prescriber, live_server.url)

    for outcome in HospitalisationOutcome:
        # Given the therapist raised an alert nobody has acknowledged yet
        alert = crisis.raise_safety_alert(
            world.therapist, world.client, "urgent", "Texted that she has a plan."
        )

        # When the prescriber opens any page, the red banner links to the alert
        page.goto("/")
        banner = page.locator("[data-open-alerts]")
        # naming the client to the prescriber of their care team
        name = f"{world.client.first_name} {world.client.last_name}"
        expect(banner).to_contain_text(f"Safety alert for {name}")
        banner.locator(f"a[href='/care/alerts/{alert.public_id}/']").click()
        expect(page).to_have_url(f"{live_server.url}/care/alerts/{alert.public_id}/")
        check_page(page, phone=True)

        # And records the assessment and the follow-up
        page.get_by_label("Hospitalisation assessment").select_option(value=outcome.value)
        page.get_by_role("textbox", name="Follow-up").fill(
            f"Follow-up after {outcome.value}: visit in 48 hours."
        )
        page.get_by_role("button", name="Record outcome").click()

        # Then the outcome is recorded and shown, and the banner is gone
        expect(page.locator(".messages")).to_contain_text("Outcome recorded.")
        expect(page.locator("#out").locator("..")).to_contain_text(outcome.label)
        expect(page.locator("[data-open-alerts]")).to_have_count(0)
        check_page(page, phone=True)
        alert = SafetyAlert.objects.get(pk=alert.pk)
        assert (alert.status, alert.outcome, alert.follow_up) == (
            AlertStatus.RESOLVED,
            outcome.value,
            f"Follow-up after {outcome.value}: visit in 48 hours.",
        )


def test_the_form_names_what_is_missing(phone_page: Page, live_server) -> None:
    world = CareWorld()
    alert = crisis.raise_safety_alert(world.therapist, world.client, "urgent", "Has a plan.")
    share_session(phone_page, world.prescriber, live_server.url)

    phone_page.goto(f"/care/alerts/{alert.public_id}/")
    phone_page.get_by_role("button", name="Record outcome").click()

    expect(phone_page.locator(".errorlist").first).to_contain_text(
        "Choose the outcome of the assessment."
    )
    expect(phone_page.locator(".errorlist").nth(1)).to_contain_text("Write the follow-up plan.")
    check_page(phone_page, phone=True)
    assert SafetyAlert.objects.get(pk=alert.pk).status == AlertStatus.OPEN
