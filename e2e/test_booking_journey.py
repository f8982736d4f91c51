"""A self-referring client books through the appointment bot on a phone; a coordinator confirms.

The client answers one question at a time, confirms their email by the emailed
link (only then is the portal account opened), picks a slot, agrees to pay at the first visit, and reads "Not committed
yet" until the coordinator — signed in with password and authenticator code —
confirms. The confirmation email carries an .ics and no PHI. Every page is checked
with axe-core, for CSP violations, and for sideways scrolling on the phone.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, enter_code, sign_in, totp_code
from tandem.core.tests.factories import TEST_TOTP_SECRET
from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.reminders import CONFIRMATION_SUBJECT
from tandem.tests.support.tasks import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "rowan.whitcombe@example.test"
PASSWORD = "harbour lantern quietly 73"


def answer(page: Page, question: str) -> None:
    """Wait for the bot to ask ``question`` (a new question replaces the form in place)."""
    expect(page.locator("#current-question")).to_contain_text(question)


def test_self_referring_client_books_on_a_phone_and_is_not_committed_until_confirmed(
    phone_page: Page, desktop_page: Page, live_server
) -> None:
    p = practice_with_policy()
    practice_path = f"/practices/{p.org.public_id}/"
    phone = phone_page

    # Given the practice's public page
    phone.goto(practice_path)
    expect(phone.get_by_role("heading", level=1)).to_have_text(p.org.name)
    expect(phone.locator("main")).to_contain_text(
        "You are NOT financially committed to anything until you enter your payment "
        "information AND your appointment is confirmed."
    )
    check_page(phone, phone=True)

    # When the client opens the appointment bot and answers one question at a time
    phone.get_by_role("link", name="Request an appointment").click()
    check_page(phone, phone=True)
    phone.get_by_role("button", name="Start").click()
    answer(phone, "What is your name?")
    check_page(phone, phone=True)
    phone.get_by_label("First name").fill("Rowan")
    phone.get_by_label("Last name").fill("Whitcombe")
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "What is your date of birth?")
    phone.get_by_role("textbox", name="Date of birth").fill("2099-01-01")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("alert").first).to_contain_text("The date of birth is in the future")
    check_page(phone, phone=True)
    phone.get_by_role("textbox", name="Date of birth").fill("1990-05-17")
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "How can the practice reach you?")
    phone.get_by_label("Email").fill(EMAIL)
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "Where do you live")
    phone.get_by_label("State where you live").select_option("MA")
    phone.get_by_label("State where you will be during visits").select_option("MA")
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "How will you pay for your visits?")
    phone.get_by_label("How will you pay for visits?").select_option("medicare")
    phone.get_by_label("Plan type").select_option("none")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("main")).to_contain_text(
        "does not accept Medicare and has not opted out of it, so it cannot see you while you "
        "have Medicare, not even as private pay"
    )
    expect(
        phone.get_by_role("link", name=f"Write to {p.org.name} through its contact form")
    ).to_be_visible()
    check_page(phone, phone=True)
    phone.get_by_label("How will you pay for visits?").select_option("self_pay")
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "What brings you to us")
    phone.get_by_label("What brings you to us?").fill("Low mood for several months")
    phone.get_by_label("Yes").check()
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "(PHQ-9)")
    for item in range(1, 10):
        phone.locator(f'input[name="item{item}"][value="{1 if item < 9 else 0}"]').check()
    check_page(phone, phone=True)
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "(GAD-7)")
    for item in range(1, 8):
        phone.locator(f'input[name="item{item}"][value="1"]').check()
    phone.get_by_role("button", name="Continue").click()

    answer(phone, "policies")
    phone.get_by_label("I have read and agree to the practice's policies").check()
    phone.get_by_role("button", name="Continue").click()

    # Going back to an answer keeps the rest
    answer(phone, "confirm your email address")
    phone.get_by_role("link", name="Edit your answer to: Hello!").click()
    expect(phone.get_by_label("First name")).to_have_value("Rowan")
    phone.get_by_role("button", name="Continue").click()
    answer(phone, "confirm your email address")
    check_page(phone, phone=True)
    phone.get_by_role("button", name="Email me the link").click()

    # Then they open the emailed link, choose a password, sign in, and see real open slots
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(phone, phone=True)
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    link = re.search(r"https?://\S+(/intake/confirm/[^/\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    phone.goto(link.group(1))
    check_page(phone, phone=True)
    phone.locator("#id_password1").fill(PASSWORD)
    phone.locator("#id_password2").fill(PASSWORD)
    phone.get_by_role("button", name="Open my account").click()
    sign_in(phone, EMAIL, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Choose a time for your first visit")
    check_page(phone, phone=True)
    phone.locator(".slot-list button").first.click()

    # A visible countdown while the slot is held; payment through the offline provider
    expect(phone.get_by_role("heading", level=1)).to_have_text("Payment information")
    expect(phone.locator("[data-countdown-text]")).to_contain_text("left")
    expect(phone.locator("main")).to_contain_text("Not committed yet.")
    check_page(phone, phone=True)
    phone.get_by_label("I will pay at my first visit or by invoice").check()
    phone.get_by_role("button", name="Save payment information").click()
    expect(phone.get_by_role("heading", name="Not committed yet")).to_be_visible()
    expect(phone.locator("[data-commitment]")).to_contain_text("Payment information: on file")
    check_page(phone, phone=True)
    appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.PENDING

    # When the coordinator signs in with their authenticator and confirms the request
    coordinator = desktop_page
    coordinator.goto(f"/accounts/login/?next=/scheduling/practice/{p.org.public_id}/calendar/")
    sign_in(coordinator, p.coordinator.email)
    enter_code(coordinator, totp_code(TEST_TOTP_SECRET))
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(f"Calendar of {p.org.name}")
    check_page(coordinator, phone=False)
    coordinator.get_by_role("button", name="Confirm Rowan Whitcombe").click()
    expect(coordinator.get_by_role("status").first).to_contain_text("Confirmed.")

    # Then the client sees it confirmed, and the email carries an .ics and no PHI
    phone.reload()
    expect(phone.get_by_role("heading", name="Confirmed", exact=True)).to_be_visible()
    expect(phone.locator("main")).not_to_contain_text("Not committed yet")
    check_page(phone, phone=True)
    run_worker()
    [confirmation] = [m for m in mail.outbox if m.subject == CONFIRMATION_SUBJECT]
    assert confirmation.to == [EMAIL]
    [(filename, ics, mimetype)] = confirmation.attachments
    assert (filename, mimetype) == ("appointment.ics", "text/calendar")
    assert "SUMMARY:Appointment" in ics
    everything = confirmation.subject + confirmation.body + ics
    for phi in (p.org.name, "Psychiatry", "evaluation", "Rowan", "Whitcombe", "Low mood"):
        assert phi not in everything
