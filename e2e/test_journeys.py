"""The ten journeys of the product brief, each walked in a browser on the demo as seeded.

Issue 13: every journey of /work/shared/PRODUCT.md completes in a real browser starting
from ``scripts/demo``'s seed, at 1280 px and at 375 px, with axe clean and no sideways
scrolling on every page visited. The people are the demo's own (docs/demo.md): they
sign in with the demo password and the demo's published one-time code, and each test
ends on what its user would notice — the referral in the inbox, the visit booked, the
category withheld again, the alert acknowledged.

The demo is seeded once for the module (some 3,000 queries) into the in-memory SQLite
database that the module's own live server shares; each test runs in a savepoint that
is rolled back after it, so every journey starts from the demo exactly as seeded.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.journeys import (
    DEMO,
    People,
    client_named,
    go,
    move,
    nav,
    record_medication,
    seen,
    status_of,
    visit,
)
from tandem.clients.models import Client
from tandem.consent.models import Release, ReleaseStatus
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import Appointment, AppointmentStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


# 1. Decide to refer --------------------------------------------------------------------


def test_1_decide_to_refer(people: People) -> None:
    # Maya Brennan opens her client Magnus Quigley, who has no referral yet
    maya = people.sign_in("maya.brennan")
    go(maya, re.compile(r"^Your clients"))
    go(maya, "Quigley, Magnus")
    go(maya, "Refer for psychiatric evaluation")

    # She reads the talking points for the conversation with her client
    expect(maya.get_by_role("heading", level=1)).to_have_text(
        "Refer Magnus for psychiatric evaluation"
    )
    talking_points = maya.locator("aside")
    expect(talking_points).to_contain_text("this doesn\u2019t mean therapy isn\u2019t working")

    # With a fitting answer the draft opens, and she records why she refers
    eligible(maya, "Harborlight Psychiatry")
    maya.get_by_label("Diagnostic uncertainty").check()
    expect(maya.locator("#autosave-status")).to_contain_text(re.compile(r"Saved at \d\d:\d\d"))
    seen(maya)
    referral = Referral.objects.get(client=client_named("Magnus", "Quigley"))
    assert (referral.status, referral.reasons) == (ReferralStatus.DRAFT, ["diagnostic_uncertainty"])


def eligible(page: Page, practice: str) -> None:
    """Answer the eligibility questions for an adult in Massachusetts on a commercial PPO."""
    answer_eligibility(page, practice, payer="Commercial insurance", plan="PPO")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"to {practice}")
    seen(page)


def answer_eligibility(page: Page, practice: str, *, payer: str, plan: str | None) -> None:
    page.get_by_label("Psychiatric practice").select_option(label=practice)
    page.get_by_label("Where the client will be during visits").select_option(label="Massachusetts")
    page.get_by_label("How the client will pay").select_option(label=payer)
    if plan:
        page.get_by_label("Plan type").select_option(label=plan)
    page.get_by_label("Service needed").select_option(label="Medication evaluation and management")
    page.get_by_role("button", name="Check eligibility and start the referral").click()


# 2. Find a partner ---------------------------------------------------------------------


def test_2_find_a_partner(people: People) -> None:
    # Maya searches the directory for the article's client: 32, in Massachusetts, on a PPO
    maya = people.sign_in("maya.brennan")
    go(maya, "Find a psychiatric practice")
    maya.get_by_label("Client's state during visits").select_option(label="Massachusetts")
    maya.get_by_label("Client's age").fill("32")
    maya.get_by_label("Coverage").select_option(label="Commercial insurance")
    maya.get_by_label("Plan type").select_option(label="PPO")
    maya.get_by_label("Service needed").select_option(label="Medication evaluation and management")
    maya.get_by_role("button", name="Search").click()
    seen(maya)

    # Harborlight fits, with flags measured from the demo's own referrals and why it fits
    harborlight = maya.locator("[data-result]", has_text="Harborlight Psychiatry")
    expect(harborlight.locator("[data-flag]").first).to_be_visible()
    expect(harborlight).to_contain_text(
        re.compile(r"Measured response\s*median .+ \(\d+ referrals\)")
    )
    expect(harborlight.locator("[data-next-slot]")).to_contain_text(re.compile(r"^in \d+ days? "))
    expect(harborlight.locator("[data-fits]")).to_contain_text("Accepts commercial insurance PPO")

    # And the measured figures are explained
    go(maya, re.compile("how it is measured", re.IGNORECASE))
    expect(maya.get_by_role("heading", level=1)).to_be_visible()


# 3. Check eligibility before any PHI moves ---------------------------------------------


def test_3_eligibility_before_any_phi_moves(people: People) -> None:
    magnus = client_named("Magnus", "Quigley")
    maya = people.sign_in("maya.brennan")
    visit(maya, f"/clients/{magnus.public_id}/")
    go(maya, "Refer for psychiatric evaluation")

    # Medicare: Harborlight says no in plain words, and names the next best step
    answer_eligibility(maya, "Harborlight Psychiatry", payer="Medicare", plan=None)
    expect(maya.get_by_role("alert")).to_contain_text(
        "How the client will pay: Harborlight Psychiatry does not accept Medicare"
    )
    expect(maya.locator("[data-fitting]")).to_contain_text("Quinsigamond Behavioral Health Group")
    seen(maya)
    assert not Referral.objects.filter(client=magnus).exists()  # nothing identifying was sent

    # Quinsigamond takes Medicare: the draft opens there
    answer_eligibility(maya, "Quinsigamond Behavioral Health Group", payer="Medicare", plan=None)
    expect(maya.get_by_role("heading", level=1)).to_contain_text(
        "to Quinsigamond Behavioral Health Group"
    )
    seen(maya)
    assert Referral.objects.get(client=magnus).status == ReferralStatus.DRAFT


# 4. Consent ----------------------------------------------------------------------------


def test_4_consent_sign_then_revoke(people: People) -> None:
    jordan_client = Client.objects.get(user__email="jordan.ellery" + DEMO)
    status = f"/consent/clients/{jordan_client.public_id}/"

    # Jordan signs the release waiting for him, from his home page
    jordan = people.sign_in("jordan.ellery", code=False)
    go(jordan, "Sign a release")
    expect(jordan.get_by_label("Full text of the authorization")).to_contain_text(
        "Diagnosis and diagnostic considerations"
    )
    jordan.get_by_label("Type your full name to sign").fill("Jordan Ellery")
    jordan.get_by_label("I have read this authorization").check()
    jordan.get_by_role("button", name="Sign", exact=True).click()
    expect(jordan.get_by_role("status")).to_contain_text("Signed.")
    seen(jordan)

    # His therapist sees diagnosis may now be shared with Harborlight
    maya = people.sign_in("maya.brennan")
    visit(maya, status)
    diagnosis = maya.locator('tr[data-category="diagnosis"]')
    expect(diagnosis).not_to_contain_text("Withheld")
    seen(maya)

    # He revokes it; it takes effect at once, and he can see what was shared
    jordan.get_by_text("Revoke this release").click()
    jordan.get_by_role("button", name="Yes, revoke it now").click()
    expect(jordan.get_by_role("status")).to_contain_text("Revoked.")
    seen(jordan)
    assert Release.objects.get(client=jordan_client).status == ReleaseStatus.REVOKED
    visit(jordan, "/dashboard/")
    go(jordan, "What has been shared")

    # And the category is withheld again for his therapist
    maya.reload()
    expect(diagnosis).to_contain_text(
        "Withheld — no current release covers diagnosis and diagnostic considerations"
    )
    seen(maya)


# 5. Send the referral ------------------------------------------------------------------


def test_5_send_the_referral(people: People) -> None:
    magnus = client_named("Magnus", "Quigley")
    maya = people.sign_in("maya.brennan")
    visit(maya, f"/clients/{magnus.public_id}/")
    go(maya, "Refer for psychiatric evaluation")
    eligible(maya, "Harborlight Psychiatry")

    # She fills the packet the article lists
    maya.get_by_label("Severe or treatment-resistant symptoms").check()
    maya.get_by_label("What was tried, and for how long").fill(
        "Eight months of weekly CBT; panic attacks persist."
    )
    maya.get_by_label("Medication 1: name").fill("Levothyroxine")
    maya.get_by_label("Medication 1: dose").fill("50 mcg daily")
    maya.get_by_label("Medication 1: kind").select_option(label="Medical (non-psychiatric)")
    maya.get_by_label("Or list the codes matching a name").fill("panic disorder")
    maya.get_by_role("button", name="Search codes").click()
    maya.get_by_role("button", name="Add code F41.0").click()
    expect(maya.get_by_role("list", name="Chosen codes")).to_contain_text("F41.0")
    seen(maya)

    # And sends it
    maya.get_by_role("button", name="Send referral").click()
    expect(maya.get_by_role("status").first).to_contain_text(
        "Referral sent to Harborlight Psychiatry."
    )
    seen(maya)
    referral = Referral.objects.get(client=magnus)

    # Then it is in Harborlight's inbox, first name only, with its response clock
    priya = people.sign_in("priya.raman")
    go(priya, "Referral inbox")
    card = priya.locator(f'[data-referral="{referral.public_id}"]')
    expect(card).to_contain_text("Referral for Magnus")
    expect(card).not_to_contain_text("Quigley")
    expect(card.locator("[data-clock]")).to_contain_text("left")


# 6. Triage and respond within target ---------------------------------------------------


def test_6_triage_the_urgent_referral_first(people: People) -> None:
    # Priya's day starts with the urgent referral on top
    priya = people.sign_in("priya.raman")
    due = priya.locator('[data-queue="due"]')
    expect(due.locator("li").first).to_contain_text("urgent")
    due.locator("a").first.click()
    seen(priya)
    referral = Referral.objects.get(public_id=priya.url.rstrip("/").rsplit("/", 1)[-1])
    assert referral.urgent

    # She acknowledges it and accepts it for Dr Marsh
    move(priya, ReferralStatus.RECEIVED, "Acknowledge receipt")
    expect(status_of(priya)).to_have_text("Received")
    seen(priya)
    move(priya, ReferralStatus.ACCEPTED, "Accept", Prescriber="Elena Marsh")
    expect(status_of(priya)).to_have_text("Accepted")
    seen(priya)

    # The referring therapist sees where it stands and who it waits for
    therapist = people.sign_in(referral.therapist.email.removesuffix(DEMO))
    go(therapist, "Open your referrals")
    tracked = therapist.locator(f'[data-referral="{referral.public_id}"]')
    expect(tracked).to_contain_text("Accepted")
    expect(tracked).to_contain_text("Practice: schedule the first visit")


# 7. Book -------------------------------------------------------------------------------


def test_7_book_from_the_invitation(people: People) -> None:
    referral = Referral.objects.get(
        client__user__email="jordan.ellery" + DEMO, to_organisation__name="Harborlight Psychiatry"
    )

    # Priya accepts Jordan's referral and invites him to book
    priya = people.sign_in("priya.raman")
    go(priya, "Referral inbox")
    go(priya, "Referral for Jordan")
    move(priya, ReferralStatus.ACCEPTED, "Accept", Prescriber="Elena Marsh")
    expect(status_of(priya)).to_have_text("Accepted")
    priya.locator("[data-book-first-visit] a").click()
    seen(priya)
    priya.get_by_role("button", name="Invite the client to book").click()
    expect(priya.get_by_role("status").first).to_contain_text("Invitation sent")
    seen(priya)

    # Jordan finds it on his home page and holds a real open time
    jordan = people.sign_in("jordan.ellery", code=False)
    go(jordan, re.compile("Book your first visit"))
    jordan.locator(".slot-list button").first.click()
    expect(jordan.get_by_role("heading", level=1)).to_have_text("Payment information")
    expect(jordan.locator("main")).to_contain_text("Not committed yet.")
    seen(jordan)
    jordan.get_by_label("I will pay at my first visit or by invoice").check()
    jordan.get_by_role("button", name="Save payment information").click()
    expect(jordan.get_by_role("heading", name="Not committed yet")).to_be_visible()
    seen(jordan)
    booked = Appointment.objects.get(client=referral.client, organisation=referral.to_organisation)
    assert booked.status == AppointmentStatus.PENDING

    # Priya confirms it from the practice's calendar
    visit(priya, "/dashboard/")
    go(priya, "Calendar of Harborlight Psychiatry")
    priya.get_by_role("button", name="Confirm Jordan Ellery").click()
    expect(priya.get_by_role("status").first).to_contain_text("Confirmed.")
    seen(priya)

    # Jordan sees it confirmed, and the referral is scheduled with that visit
    jordan.reload()
    expect(jordan.get_by_role("heading", name="Confirmed", exact=True)).to_be_visible()
    seen(jordan)
    referral.refresh_from_db()
    assert (referral.status, referral.appointment_id) == (ReferralStatus.SCHEDULED, booked.pk)


# 8. Collaborate ------------------------------------------------------------------------


def test_8_collaborate_on_a_medication_change(people: People) -> None:
    wren = client_named("Wren", "Halloway")

    # Dr Marsh raises Wren's sertraline and says what to watch for
    elena = people.sign_in("elena.marsh")
    record_medication(
        elena,
        wren,
        kind="Dose changed",
        drug="sertraline (SSRI)",
        dose="50",
        frequency="once daily",
        watch_for="Sleep in the first week.",
    )
    expect(elena.locator('[data-drug="sertraline"]')).to_contain_text("50 mg")
    seen(elena)

    # Ruth Feldman, her primary therapist at another practice, is told and reads it
    ruth = people.sign_in("ruth.feldman")
    changes = ruth.locator('[data-queue="medications"]')
    expect(changes).to_contain_text("1")
    changes.locator("a").first.click()
    seen(ruth)
    expect(ruth.locator("main")).to_contain_text("Sleep in the first week.")

    # And asks her a question securely; Dr Marsh reads it in the thread
    messages = f"/care/clients/{wren.public_id}/messages/"
    visit(ruth, messages)
    ruth.get_by_label("Subject").fill("Sleep after the dose change")
    ruth.get_by_label("Message").fill("She wakes at 4 am since the change; worth a look?")
    ruth.get_by_label("This asks a question").check()
    ruth.get_by_role("button", name="Send", exact=True).click()
    seen(ruth)
    visit(elena, messages)
    go(elena, "Sleep after the dose change")
    expect(elena.locator("main")).to_contain_text("She wakes at 4 am since the change")


# 9. Measure ----------------------------------------------------------------------------


def test_9_measure_the_registry_and_the_trend(people: People) -> None:
    # Dr Marsh's registry shows Wren's baseline, latest and change
    elena = people.sign_in("elena.marsh")
    nav(elena, "Registry")
    row = elena.locator("tr", has_text="Halloway, Wren")
    expect(row).to_contain_text("Remission")
    go(elena, "Halloway, Wren")

    # Her chart shows the twelve weeks, first to latest
    chart = elena.locator("figure", has_text="GAD-7").locator("svg.trend-chart")
    expect(chart).to_have_attribute(
        "aria-label", re.compile(r"GAD-7: 7 values .* first 16, latest 5\.")
    )


# 10. Crisis ----------------------------------------------------------------------------


def test_10_crisis_alert_is_acknowledged(people: People) -> None:
    wren = client_named("Wren", "Halloway")

    # Ruth raises a safety alert for Wren
    ruth = people.sign_in("ruth.feldman")
    visit(ruth, f"/care/clients/{wren.public_id}/timeline/")
    go(ruth, "Raise a safety alert")
    ruth.get_by_label("Level").select_option(label="Urgent: needs a response within the hour")
    ruth.get_by_label("What happened").fill("Said in session she has a plan.")
    ruth.get_by_label("Immediate steps taken").fill("Stayed with her; called her sister.")
    ruth.get_by_role("button", name="Raise the alert").click()
    expect(ruth.locator("[data-status]")).to_contain_text("Waiting for acknowledgement")
    seen(ruth)

    # Dr Marsh, on call, sees the red banner on any page and acknowledges
    elena = people.sign_in("elena.marsh")
    banner = elena.locator("[data-open-alerts]")
    expect(banner).to_contain_text("Safety alert for Wren Halloway")
    banner.get_by_role("link").first.click()
    seen(elena)
    elena.get_by_role("button", name="Acknowledge").click()
    expect(elena.locator("[data-status]")).to_contain_text("Acknowledged")
    seen(elena)

    # Ruth sees it acknowledged
    ruth.reload()
    expect(ruth.locator("[data-status]")).to_contain_text("Acknowledged")
    seen(ruth)
