"""The partner directory in a real browser: the article's search and a referral from a result.

A therapist looks for a practice for a 32-year-old in Massachusetts on a Blue Cross PPO
(commercial insurance, PPO plan) who needs a medication evaluation within 4 weeks, sees
the measured flags of the practice that fits and why another would not, and starts a
referral from the result in one click. Desktop and a 375 px phone, axe clean.
"""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, share_session
from tandem.directory.models import PracticeMetrics, PracticeProfile
from tandem.directory.tests.factories import practice
from tandem.referrals.models import Payer, PlanType, Referral, Service
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling.models import AppointmentType, SchedulingSettings, WeeklyHours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def books_new_patients(world: ReferralWorld) -> None:
    org = world.psychiatry
    SchedulingSettings.objects.create(organisation=org, min_notice_hours=24)
    AppointmentType.objects.create(
        organisation=org, code="new", name="New patient", duration_minutes=60, is_new_client=True
    )
    for weekday in range(5):
        WeeklyHours.objects.create(
            organisation=org, prescriber=world.prescriber, weekday=weekday,
            starts=dt.time(9), ends=dt.time(12),
        )  # fmt: skip
    now = timezone.now()
    PracticeMetrics.objects.create(
        organisation=org, computed_at=now, period_start=now - dt.timedelta(days=90),
        period_end=now, response_n=14, response_median_hours=5.5, response_p90_hours=15.0,
        offer_n=9, offer_median_days=3.0, visit_n=9, visit_median_days=17.0, notes_n=8,
        notes_share=0.875,
    )  # fmt: skip
    PracticeProfile.objects.create(organisation=org, telehealth=True, languages=["en"])


def test_a_therapist_finds_a_practice_by_fit_and_refers_from_the_result(
    desktop_page: Page, phone_page: Page, live_server
) -> None:
    world = ReferralWorld()
    books_new_patients(world)
    practice("Granite State Psychiatry", visit_states=["NH"])

    # Given the therapist on the directory
    page = desktop_page
    share_session(page, world.therapist, live_server.url)
    page.goto("/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a psychiatric practice")
    check_page(page, phone=False)

    # When they search for the article's client
    page.get_by_label("Client's state during visits").select_option(label="Massachusetts")
    page.get_by_label("Client's age").fill("32")
    page.get_by_label("Coverage").select_option(label="Commercial insurance")
    page.get_by_label("Plan type").select_option(label="PPO")
    page.get_by_label("Service needed").select_option(label="Medication evaluation and management")
    page.get_by_label("Can see within (weeks)").fill("4")
    page.get_by_role("button", name="Search").click()

    # Then Harborlight fits, with its measured flags and why; Granite would not, and says why
    result = page.locator(f'[data-result="{world.psychiatry.public_id}"]')
    expect(page.get_by_role("heading", level=2).first).to_have_text("1 practice fits of 2")
    expect(result.locator('[data-flag="responds"]')).to_contain_text(
        "Responds within 2 business days"
    )
    expect(result.locator('[data-flag="seen_soon"]')).to_contain_text(
        "New patients seen within 4 weeks"
    )
    expect(result.locator('[data-flag="sends_notes"]')).to_contain_text("Sends consult notes")
    expect(result.locator("[data-fits]")).to_contain_text("Accepts commercial insurance PPO")
    expect(page.locator("[data-misses]").last).to_contain_text(
        "Granite State Psychiatry can only see clients who are in New Hampshire"
    )
    check_page(page, phone=False)

    # The same results fit a phone
    share_session(phone_page, world.therapist, live_server.url)
    query = {
        "state": "MA", "age": "32", "payer": Payer.COMMERCIAL, "plan_type": PlanType.PPO,
        "service": Service.MEDICATION_MANAGEMENT, "within_weeks": "4",
    }  # fmt: skip
    phone_page.goto("/directory/?" + urlencode(query))
    expect(phone_page.locator(f'[data-result="{world.psychiatry.public_id}"]')).to_be_visible()
    check_page(phone_page, phone=True)

    # When they start a referral for their client from the result, in one click
    result.get_by_label("Refer").select_option(
        label=f"{world.client.first_name} {world.client.last_name}"
    )
    result.get_by_role("button", name="Start a referral").click()

    # Then the draft is open, the search's answers carried over as eligibility answers
    referral = Referral.objects.get()
    expect(page).to_have_url(f"{live_server.url}/referrals/{referral.public_id}/edit/")
    assert (referral.to_organisation, referral.visit_state) == (world.psychiatry, "MA")
    assert (referral.payer, referral.plan_type) == (Payer.COMMERCIAL, PlanType.PPO)
    assert referral.service == Service.MEDICATION_MANAGEMENT
    check_page(page, phone=False)
