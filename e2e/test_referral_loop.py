"""The closed referral loop in a real browser, from both sides.

The therapist checks eligibility, drafts the packet (autosaved as they type) and
sends it; the coordinator sees it in the inbox with every clinical section withheld
(minimum necessary: the front desk never sees them), acknowledges it and asks a
question; the therapist answers; once the client's release covers diagnosis and
medications the prescriber sees exactly those two sections while the coordinator
still sees none; the coordinator accepts with the prescriber and walks the loop to closed. Every page is
checked with axe (and for CSP errors); the inbox and tracker also on a 375 px phone.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import DESKTOP
from e2e.helpers import check_page, enter_code, settled, share_session, sign_in, totp_code
from tandem.consent.categories import Category
from tandem.core.tests.factories import TEST_TOTP_SECRET
from tandem.referrals.models import Referral
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ReferralWorld

FRONT_DESK = "Not shown to front-desk staff: minimum necessary (45 CFR 164.502(b))."

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"Saved at \d\d:\d\d")


def signed_in(page: Page, email: str, next_path: str, base_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    sign_in(page, email)
    enter_code(page, totp_code(TEST_TOTP_SECRET, used=set()))
    expect(page).to_have_url(f"{base_url}{next_path}")


def status_of(page: Page):
    return page.locator("#status-title + p [data-status]")


def move(page: Page, target: str, button: str, **labels: str) -> None:
    form = page.locator(f'[data-move="{target}"]')
    for label, value in labels.items():
        field = form.get_by_label(label)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    form.get_by_role("button", name=button).click()


def test_the_whole_loop_from_both_sides(
    desktop_page: Page, phone_page: Page, browser: Browser, live_server
) -> None:
    world = ReferralWorld()
    first = world.client.first_name
    client_path = f"/clients/{world.client.public_id}/"

    # Given the therapist signs in and opens their client's record
    therapist = desktop_page
    signed_in(therapist, world.therapist.email, client_path, live_server.url)
    check_page(therapist, phone=False)

    # When they start a referral for a client on Medicare, eligibility says no, in plain words
    therapist.get_by_role("link", name="Refer for psychiatric evaluation").click()
    expect(therapist.get_by_role("heading", level=1)).to_have_text(
        f"Refer {first} for psychiatric evaluation"
    )
    expect(therapist.locator("aside")).to_contain_text(
        "this doesn\u2019t mean therapy isn\u2019t working"
    )
    check_page(therapist, phone=False)
    therapist.get_by_label("Psychiatric practice").select_option(label="Harborlight Psychiatry")
    therapist.get_by_label("Where the client will be during visits").select_option(
        label="Massachusetts"
    )
    therapist.get_by_label("How the client will pay").select_option(label="Medicare")
    therapist.get_by_label("Service needed").select_option(
        label="Medication evaluation and management"
    )
    therapist.get_by_role("button", name="Check eligibility and start the referral").click()
    expect(therapist.get_by_role("alert")).to_contain_text(
        "How the client will pay: Harborlight Psychiatry does not accept Medicare and has not "
        "opted out of it, so it cannot see Medicare beneficiaries, not even as private pay"
    )
    expect(therapist.locator("[data-fitting]")).to_contain_text(
        "No other practice in Tandem fits these answers."
    )
    assert not Referral.objects.exists()
    check_page(therapist, phone=False)

    # With commercial PPO coverage the draft opens
    therapist.get_by_label("How the client will pay").select_option(label="Commercial insurance")
    therapist.get_by_label("Plan type").select_option(label="PPO")
    therapist.get_by_role("button", name="Check eligibility and start the referral").click()
    expect(therapist.get_by_role("heading", level=1)).to_contain_text("to Harborlight Psychiatry")
    referral = Referral.objects.get()
    check_page(therapist, phone=False)

    # They draft the packet; it saves as they type
    therapist.get_by_label("Severe or treatment-resistant symptoms").check()
    expect(therapist.locator("#autosave-status")).to_contain_text(SAVED)
    therapist.get_by_label("What was tried, and for how long").fill(
        "Six months of weekly CBT; panic attacks persist."
    )
    therapist.get_by_label("Medication 1: name").fill("Levothyroxine")
    therapist.get_by_label("Medication 1: dose").fill("50 mcg daily")
    therapist.get_by_label("Medication 1: kind").select_option(label="Medical (non-psychiatric)")
    therapist.get_by_label("Medical history", exact=True).fill("Hypothyroidism, treated.")
    expect(therapist.locator("#autosave-status")).to_contain_text(SAVED)
    settled(therapist)
    referral.refresh_from_db()
    assert referral.reasons == ["treatment_resistant"]

    # A diagnosis is found by name and picked from the list
    therapist.get_by_label("Or list the codes matching a name").fill("generalized anxiety")
    therapist.get_by_role("button", name="Search codes").click()
    therapist.get_by_role("button", name="Add code F41.1").click()
    expect(therapist.get_by_role("list", name="Chosen codes")).to_contain_text(
        "F41.1 Generalized anxiety disorder"
    )
    expect(therapist.get_by_label("Medication 1: name")).to_have_value("Levothyroxine")
    check_page(therapist, phone=False)

    # And they send it
    therapist.get_by_role("button", name="Send referral").click()
    expect(therapist.get_by_role("status").first).to_contain_text(
        "Referral sent to Harborlight Psychiatry."
    )
    expect(status_of(therapist)).to_have_text("Sent")
    expect(therapist.locator("[data-waiting]")).to_have_text("Practice: acknowledge the referral")
    check_page(therapist, phone=False)

    # Then the coordinator sees it in the inbox, first name only
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    coordinator = context.new_page()
    signed_in(coordinator, world.coordinator.email, "/referrals/inbox/", live_server.url)
    card = coordinator.locator(f'[data-referral="{referral.public_id}"]')
    expect(card).to_contain_text(f"Referral for {first}")
    expect(card).not_to_contain_text(world.client.last_name)
    expect(card.locator("[data-clock]")).to_contain_text("left")
    check_page(coordinator, phone=False)

    # Opening it, every packet section is withheld from the front desk, with the reason
    card.get_by_role("link").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        f"Referral for {first} from {world.therapist.display_name}"
    )
    expect(coordinator.locator("[data-withheld]")).to_have_count(8)
    expect(coordinator.locator('[data-section="diagnoses"]')).to_contain_text(FRONT_DESK)
    expect(coordinator.get_by_text(world.therapist.email)).to_be_visible()
    check_page(coordinator, phone=False)

    # They acknowledge it and ask a question
    move(coordinator, S.RECEIVED, "Acknowledge receipt")
    expect(status_of(coordinator)).to_have_text("Received")
    check_page(coordinator, phone=False)
    move(
        coordinator,
        S.INFO_REQUESTED,
        "Ask for more information",
        **{"Your question for the therapist": "Has the client tried an SSRI before?"},
    )
    expect(status_of(coordinator)).to_have_text("More information requested")
    expect(coordinator.locator("[data-waiting]")).to_have_text(
        "You: answer the practice's question"
    )

    # The therapist's tracker shows who it waits for; on a phone too, without sideways scroll
    therapist.goto("/referrals/")
    tracked = therapist.locator(f'[data-referral="{referral.public_id}"]')
    expect(tracked).to_contain_text("More information requested")
    expect(tracked).to_contain_text("You: answer the practice's question")
    check_page(therapist, phone=False)
    phone_page.context.clear_cookies()
    share_session(phone_page, world.therapist, live_server.url)
    phone_page.goto("/referrals/")
    expect(phone_page.locator(f'[data-referral="{referral.public_id}"]')).to_be_visible()
    check_page(phone_page, phone=True)

    # And the therapist answers
    tracked.get_by_role("link", name=re.compile("Answer the practice")).click()
    expect(therapist.locator("[data-info-request]")).to_have_text(
        "Has the client tried an SSRI before?"
    )
    check_page(therapist, phone=False)
    move(
        therapist,
        S.RECEIVED,
        "Send your answer",
        **{"Your answer": "Sertraline in 2019, stopped for nausea."},
    )
    expect(status_of(therapist)).to_have_text("Received")
    expect(therapist.locator("[data-waiting]")).to_have_text("Practice: accept or decline")

    # Given the client signs a release for diagnosis and medications
    world.release([Category.DIAGNOSIS, Category.MEDICATIONS])

    # The coordinator still sees no clinical section, nor the therapist's answer
    coordinator.reload()
    expect(coordinator.locator("[data-withheld]")).to_have_count(9)  # eight sections, the answer
    expect(coordinator.locator('[data-section="diagnoses"]')).to_contain_text(FRONT_DESK)
    expect(coordinator.locator("body")).not_to_contain_text("F41.1")
    expect(coordinator.locator("body")).not_to_contain_text("Sertraline in 2019")
    check_page(coordinator, phone=False)

    # The prescriber sees those two sections, and still not the rest: the therapist's
    # answer is treatment history, which this release does not cover
    prescriber_context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    prescriber = prescriber_context.new_page()
    signed_in(
        prescriber, world.prescriber.email, f"/referrals/{referral.public_id}/", live_server.url
    )
    expect(prescriber.locator("[data-info-response]")).to_contain_text(
        "Withheld — no current release covers treatment history and response"
    )
    expect(prescriber.locator("body")).not_to_contain_text("Sertraline in 2019")
    expect(prescriber.locator('[data-section="diagnoses"]')).to_contain_text(
        "F41.1 Generalized anxiety disorder"
    )
    expect(prescriber.locator('[data-section="medications"]')).to_contain_text(
        "Levothyroxine, 50 mcg daily"
    )
    expect(prescriber.locator("[data-withheld]")).to_have_count(7)  # six sections, the answer
    expect(prescriber.locator('[data-section="medical_history"]')).not_to_contain_text(
        "Hypothyroidism"
    )
    check_page(prescriber, phone=False)
    prescriber_context.close()

    # The inbox on a phone has no sideways scroll either
    phone_page.context.clear_cookies()
    share_session(phone_page, world.coordinator, live_server.url)
    phone_page.goto("/referrals/inbox/")
    expect(phone_page.locator(f'[data-referral="{referral.public_id}"]')).to_be_visible()
    check_page(phone_page, phone=True)

    # They accept with a prescriber and walk the loop to the end
    move(coordinator, S.ACCEPTED, "Accept", Prescriber=world.prescriber.display_name)
    expect(status_of(coordinator)).to_have_text("Accepted")
    therapist.reload()
    expect(therapist.locator("[data-waiting]")).to_have_text("Practice: schedule the first visit")
    expect(therapist.get_by_text(world.prescriber.display_name).first).to_be_visible()
    move(
        coordinator,
        S.SCHEDULED,
        "Mark scheduled",
        **{"When, and with whom": "Tuesday 10:00 with the prescriber"},
    )
    expect(status_of(coordinator)).to_have_text("Scheduled")
    check_page(coordinator, phone=False)
    move(coordinator, S.FIRST_VISIT_DONE, "First visit done")
    expect(status_of(coordinator)).to_have_text("First visit completed")
    therapist.reload()
    expect(therapist.locator("[data-waiting]")).to_have_text("Prescriber: send the consult note")
    move(coordinator, S.CONSULT_NOTE_SENT, "Consult note sent")
    expect(status_of(coordinator)).to_have_text("Consult note sent")
    move(coordinator, S.CLOSED, "Close the referral")
    expect(status_of(coordinator)).to_have_text("Closed")
    expect(coordinator.locator("[data-move]")).to_have_count(0)
    check_page(coordinator, phone=False)

    # And the therapist sees the loop closed, with its whole history
    therapist.goto("/referrals/")
    tracked = therapist.locator(f'[data-referral="{referral.public_id}"]')
    expect(tracked).to_contain_text("Closed")
    expect(tracked).to_contain_text("Nothing — the loop is closed")
    tracked.get_by_role("link").click()
    expect(therapist.locator(".history li")).to_have_count(10)
    check_page(therapist, phone=False)
    context.close()
