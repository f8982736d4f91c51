"""The parts of the ten journeys that ``test_journeys.py`` leaves out, walked from the demo seed.

Issue 13, continued: reminders, reschedule and cancel (journey 7); a client answering a
due PHQ-9 with a positive item 9 (journey 9); an unacknowledged alert escalating when
its clock runs out, and the safety plan opened from the alert (journey 10); the signed
release downloaded as a PDF (journey 4). Same fixture as ``test_journeys.py``
(``e2e/journeys.py``, through ``e2e/conftest.py``): the demo seeded once into the live
server's in-memory SQLite, each test in a rolled-back savepoint, at 1280 and 375 px,
axe and no sideways scrolling on every page. Work the actions hand to the worker is
queued on commit; the savepoint never commits, so the tests collect those callbacks
(``django_capture_on_commit_callbacks``) and then run the real worker, on the test
clock where a timer must run out.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.journeys import DEMO, People, client_named, go, move, seen, status_of, visit
from tandem.accounts.models import User
from tandem.care.models import AlertStatus, SafetyAlert
from tandem.consent.categories import Purpose
from tandem.consent.models import Release, ReleaseKind, ReleaseStatus
from tandem.measures.models import QuestionnaireResponse
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.reminders import REMINDER_SUBJECT
from tandem.tests.support.tasks import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def work(capture: Any) -> None:
    """Run the real worker until it has nothing due, as a worker that kept running would.

    What a task queues on commit is collected (the test's savepoint never commits) and
    queued, then the worker runs again for it.
    """
    for _ in range(3):
        with capture(execute=True):
            run_worker()


def jordans_referral() -> Referral:
    return Referral.objects.get(
        client__user__email="jordan.ellery" + DEMO, to_organisation__name="Harborlight Psychiatry"
    )


def accept_for_dr_marsh(people: People) -> Page:
    """Priya accepts Jordan's referral for Dr Marsh (she joins his care team)."""
    priya = people.sign_in("priya.raman")
    go(priya, "Referral inbox")
    go(priya, "Referral for Jordan")
    move(priya, ReferralStatus.ACCEPTED, "Accept", Prescriber="Elena Marsh")
    expect(status_of(priya)).to_have_text("Accepted")
    seen(priya)
    return priya


# 7. Book: reschedule, the reminder, cancel ----------------------------------------------


def test_7_reschedule_get_reminded_then_cancel(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    # Jordan's first visit is booked from the invitation and confirmed (as in test_journeys)
    with django_capture_on_commit_callbacks(execute=True):
        priya = accept_for_dr_marsh(people)
        priya.locator("[data-book-first-visit] a").click()
        seen(priya)
        priya.get_by_role("button", name="Invite the client to book").click()
        expect(priya.get_by_role("status").first).to_contain_text("Invitation sent")
        jordan = people.sign_in("jordan.ellery", code=False)
        go(jordan, re.compile("Book your first visit"))
        jordan.locator(".slot-list button").first.click()
        jordan.get_by_label("I will pay at my first visit or by invoice").check()
        jordan.get_by_role("button", name="Save payment information").click()
        expect(jordan.get_by_role("heading", name="Not committed yet")).to_be_visible()
        visit(priya, "/dashboard/")
        go(priya, "Calendar of Harborlight Psychiatry")
        priya.get_by_role("button", name="Confirm Jordan Ellery").click()
        expect(priya.get_by_role("status").first).to_contain_text("Confirmed.")
    booked = Appointment.objects.get(client=jordans_referral().client)
    first_time, prescriber = booked.starts_at, booked.prescriber
    assert booked.status == AppointmentStatus.CONFIRMED

    # More than a day ahead, inside the practice's rules: Jordan moves it to another open
    # time, one more than two days away, so that its 48-hour reminder is still to come (on a
    # Saturday evening the first open time, Monday morning, is nearer than that)
    with django_capture_on_commit_callbacks(execute=True):
        jordan.reload()
        expect(jordan.get_by_role("heading", name="Confirmed", exact=True)).to_be_visible()
        go(jordan, "Reschedule")
        times = jordan.locator(".slot-list form")
        offered = times.evaluate_all(
            "forms => forms.map(f => [f.prescriber.value, f.starts_at.value])"
        )
        later = timezone.now() + dt.timedelta(hours=49)
        chosen = next(
            i
            for i, (who, at) in enumerate(offered)
            if who == str(prescriber.public_id) and dt.datetime.fromisoformat(at) > later
        )
        times.nth(chosen).get_by_role("button").click()
        expect(jordan.get_by_role("status").first).to_contain_text("Your appointment has moved.")
        seen(jordan)
    booked.refresh_from_db()
    assert booked.starts_at != first_time
    assert booked.status == AppointmentStatus.CONFIRMED

    # The time he left is open again, and the coordinator's calendar shows him at the new one
    go(jordan, "Reschedule")
    offered = jordan.locator(".slot-list form").evaluate_all(
        "forms => forms.map(f => [f.prescriber.value, f.starts_at.value])"
    )
    assert [str(prescriber.public_id), first_time] in [
        [who, dt.datetime.fromisoformat(at)] for who, at in offered
    ]
    visit(priya, "/dashboard/")
    go(priya, "Calendar of Harborlight Psychiatry")
    local = booked.starts_at.astimezone(booked.organisation.zone)
    visit(priya, f"{priya.url.split('?')[0]}?date={local.date().isoformat()}&view=day")
    entry = priya.locator(f'a[href$="/appointments/{booked.public_id}/"]').first
    expect(entry).to_contain_text(re.compile(local.strftime("%-I:%M %p").replace(" ", r"\s*")))

    # Two days before the visit the real worker sends the reminder: no health information,
    # a link to the visit
    mail.outbox.clear()
    with time_machine.travel(booked.starts_at - dt.timedelta(hours=47), tick=False):
        work(django_capture_on_commit_callbacks)
    [reminder] = [m for m in mail.outbox if m.subject == REMINDER_SUBJECT]
    assert reminder.to == ["jordan.ellery" + DEMO]
    assert f"/scheduling/appointments/{booked.public_id}/" in reminder.body
    for phi in ("Jordan", "Ellery", "Psychiatry", "Marsh", "evaluation"):
        assert phi not in reminder.body + reminder.subject, phi
    assert "this email contains no health information" in reminder.body

    # He cancels; the time goes back to the practice and the calendar no longer holds him
    visit(jordan, f"/scheduling/appointments/{booked.public_id}/")
    jordan.get_by_text("Cancel appointment…").click()
    jordan.get_by_role("button", name="Yes, cancel the appointment").click()
    seen(jordan)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    expect(jordan.get_by_role("heading", level=1)).to_contain_text("Cancelled")
    priya.reload()
    seen(priya)
    expect(priya.locator("main")).not_to_contain_text("Jordan Ellery")


# 9. Measure: the client answers a due PHQ-9 ---------------------------------------------

# One answer per question: a total of 11, with item 9 "More than half the days" (2).
PHQ9 = [
    "Several days", "More than half the days", "Several days", "More than half the days",
    "Several days", "Several days", "Several days", "Not at all", "More than half the days",
]  # fmt: skip


def test_9_client_answers_a_due_phq9_and_the_prescriber_sees_it(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    jordan_client = client_named("Jordan", "Ellery")
    accept_for_dr_marsh(people)

    # Dr Marsh asks for a PHQ-9 every two weeks, due today
    elena = people.sign_in("elena.marsh")
    visit(elena, f"/measures/clients/{jordan_client.public_id}/")
    elena.get_by_label("Measure").select_option(label="PHQ-9")
    elena.get_by_label(re.compile(r"^Every how many days")).fill("14")
    elena.get_by_role("button", name="Set cadence").click()
    expect(elena.locator("#cadence")).to_contain_text("every 14 days")
    seen(elena)

    # Jordan finds it due in the portal and answers, one question at a time on a phone
    jordan = people.sign_in("jordan.ellery", code=False)
    visit(jordan, "/measures/")
    with django_capture_on_commit_callbacks(execute=True):
        go(jordan, "Answer the PHQ-9")
        for index, label in enumerate(PHQ9):
            question = jordan.locator(f"fieldset#item-{index}")
            question.get_by_label(label, exact=True).check()
            next_button = jordan.get_by_role("button", name="Next")
            if next_button.is_visible():
                next_button.click()
        jordan.get_by_role("button", name="Send my answers").click()
        expect(jordan.locator(".crisis a[href='tel:988']").first).to_be_visible()
        seen(jordan)
    response = QuestionnaireResponse.objects.get(client=jordan_client, source="portal")
    assert (response.total, response.flags) == (11, ["suicide_item_positive"])

    # SAFETY: an urgent alert reaches his prescriber (on call) and his therapist, never him
    alert = SafetyAlert.objects.get(client=jordan_client)
    assert (alert.source, alert.level) == ("questionnaire", "urgent")
    told = set(
        Notification.objects.filter(kind=NotificationKind.SAFETY_ALERT).values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {"elena.marsh" + DEMO, "maya.brennan" + DEMO}

    # Dr Marsh's registry shows the new score and the flag; the banner leads to the alert
    visit(elena, "/measures/registry/")
    row = elena.locator("tr", has_text="Ellery, Jordan")
    expect(row).to_contain_text("11")
    expect(row).to_contain_text("Suicide item positive")
    banner = elena.locator("[data-open-alerts]")
    expect(banner).to_contain_text("Safety alert for Jordan Ellery")
    banner.get_by_role("link").first.click()
    seen(elena)
    expect(elena.locator("[data-status]")).to_contain_text("Waiting for acknowledgement")
    expect(elena.get_by_role("button", name="Acknowledge")).to_be_visible()

    # His therapist is told too, and can open the alert from her banner
    maya = people.sign_in("maya.brennan")
    maya_banner = maya.locator("[data-open-alerts]")
    expect(maya_banner).to_contain_text("Safety alert")
    maya_banner.get_by_role("link").first.click()
    seen(maya)
    expect(maya.locator("[data-status]")).to_contain_text("Waiting for acknowledgement")


# 10. Crisis: nobody acknowledges; the alert escalates; the safety plan ------------------


def test_10_unacknowledged_alert_escalates_and_the_safety_plan_opens_from_it(
    people: People, django_capture_on_commit_callbacks: Any
) -> None:
    wren = client_named("Wren", "Halloway")

    # Ruth raises an urgent alert for Wren; nobody acknowledges it
    ruth = people.sign_in("ruth.feldman")
    with django_capture_on_commit_callbacks(execute=True):
        visit(ruth, f"/care/clients/{wren.public_id}/alerts/new/")
        ruth.get_by_label("Level").select_option(label="Urgent: needs a response within the hour")
        ruth.get_by_label("What happened").fill("Said in session she has a plan.")
        ruth.get_by_label("Immediate steps taken").fill("Stayed with her; called her sister.")
        ruth.get_by_role("button", name="Raise the alert").click()
        expect(ruth.locator("[data-status]")).to_contain_text("Waiting for acknowledgement")
    alert = SafetyAlert.objects.get(client=wren, status=AlertStatus.OPEN)

    # SAFETY: told at once, besides Ruth who raised it, is Elena: on Wren's care team and
    # first on Harborlight's rota this week (a freshly seeded demo's week is hers)
    told_at_once = set(
        Notification.objects.filter(kind=NotificationKind.SAFETY_ALERT).values_list(
            "recipient__email", flat=True
        )
    )
    assert told_at_once == {"elena.marsh" + DEMO}

    # Its clock runs out: the real worker escalates it to the next prescriber on the rota,
    # Samuel Adeyemi (not on Wren's team), and to the practice's admin, Grace Whitcombe
    mail.outbox.clear()
    with time_machine.travel(alert.ack_due_at - dt.timedelta(minutes=1), tick=False):
        work(django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert alert.escalation_level == 0
    with time_machine.travel(alert.ack_due_at + dt.timedelta(minutes=1), tick=False):
        work(django_capture_on_commit_callbacks)
    alert.refresh_from_db()
    assert (alert.status, alert.escalation_level) == (AlertStatus.OPEN, 1)
    escalated_to = set(
        Notification.objects.filter(kind=NotificationKind.SAFETY_ESCALATION).values_list(
            "recipient__email", flat=True
        )
    )
    assert escalated_to == {"samuel.adeyemi" + DEMO, "grace.whitcombe" + DEMO}
    for person in ("samuel.adeyemi", "grace.whitcombe"):
        [email] = [m for m in mail.outbox if m.to == [person + DEMO]]
        assert "Wren" not in email.body
        assert "Halloway" not in email.body

    with time_machine.travel(alert.ack_due_at + dt.timedelta(minutes=3), tick=True):
        # Dr Adeyemi, paged by the escalation, sees the red banner; he opens the alert from
        # his notifications, reads what happened (he must act on it) and acknowledges, late
        samuel = people.sign_in("samuel.adeyemi")
        expect(samuel.locator("[data-open-alerts]")).to_contain_text("Safety alert")
        samuel.get_by_role("link", name=re.compile(r"^Notifications")).click()
        seen(samuel)
        go(samuel, re.compile("escalated", re.IGNORECASE))
        expect(samuel.locator("[data-status]")).to_contain_text("escalated 1 time")
        expect(samuel.locator("main")).to_contain_text("Said in session she has a plan.")
        samuel.get_by_role("button", name="Acknowledge").click()
        expect(samuel.locator("[data-status]")).to_contain_text("Acknowledged")
        seen(samuel)
        alert.refresh_from_db()
        samuel_user = User.objects.get(email="samuel.adeyemi" + DEMO)
        assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, samuel_user)

        # Grace opens it from her notifications too and finds it acknowledged
        # (the red banner is for clinicians: an admin reads no clinical data; she is told
        # in her notifications, and by email)
        grace = people.sign_in("grace.whitcombe")
        grace.get_by_role("link", name=re.compile(r"^Notifications")).click()
        seen(grace)
        go(grace, re.compile("escalated", re.IGNORECASE))
        expect(grace.locator("[data-status]")).to_contain_text("Acknowledged")
        expect(grace.get_by_role("button", name="Acknowledge")).to_have_count(0)
        seen(grace)

        # Ruth (signed in again: her session timed out in the hour) opens the alert, and
        # Wren's safety plan from it, and saves a new version
        ruth = people.sign_in("ruth.feldman")
        visit(ruth, f"/care/alerts/{alert.public_id}/")
        expect(ruth.locator("[data-status]")).to_contain_text("Acknowledged")
        go(ruth, "Open the safety plan")
        ruth.get_by_label("Warning signs that a crisis may be developing").fill(
            "Talks of a plan; stops answering texts."
        )
        ruth.get_by_label("Professionals or agencies to contact during a crisis").fill(
            "988; 911; Dr Marsh at Harborlight."
        )
        ruth.get_by_role("button", name="Save as a new version").click()
        expect(ruth.locator("[data-version]")).to_contain_text("Version")
        seen(ruth)
    expect(ruth.locator("main")).to_contain_text("Talks of a plan; stops answering texts.")


# 4. Consent: the signed release as a PDF --------------------------------------------------


def test_4_client_downloads_the_signed_release_as_pdf(people: People) -> None:
    jordan = people.sign_in("jordan.ellery", code=False)
    go(jordan, "Sign a release")
    jordan.get_by_label("Type your full name to sign").fill("Jordan Ellery")
    jordan.get_by_label("I have read this authorization").check()
    jordan.get_by_role("button", name="Sign", exact=True).click()
    expect(jordan.get_by_role("status")).to_contain_text("Signed.")
    seen(jordan)

    # He downloads his copy: a PDF, named by its reference only, his name inside
    link = jordan.get_by_role("link", name="Download a copy (PDF)").first
    with jordan.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert re.fullmatch(r"release-[0-9a-f-]{36}\.pdf", download.suggested_filename)
    response = jordan.request.get(link.get_attribute("href") or "")
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    with open(download.path(), "rb") as saved:
        assert saved.read(5) == b"%PDF-"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Jordan Ellery" in text
    assert "revoke" in text.lower()


def choose_starting(select: Any, text: str) -> None:
    """Choose the option of ``select`` whose label starts with ``text``."""
    labels = select.locator("option").all_inner_texts()
    [label] = [label for label in labels if label.startswith(text)]
    select.select_option(label=label)


def test_4_a_part2_consent_is_prepared_signed_and_carries_the_notice(people: People) -> None:
    # The demo has no Part 2 consent (its releases leave substance use disorder records
    # aside); Maya prepares one for Jordan, to Harborlight, from his consent status
    jordan_client = client_named("Jordan", "Ellery")
    maya = people.sign_in("maya.brennan")
    visit(maya, f"/consent/clients/{jordan_client.public_id}/")
    go(maya, "Prepare a release")
    maya.get_by_label("Consent for substance use disorder records (42 CFR Part 2)").check()
    maya.get_by_label("Substance use disorder treatment records (42 CFR Part 2)").check()
    choose_starting(maya.get_by_label("Who may disclose"), "Back Bay")
    choose_starting(maya.get_by_label("Who may receive"), "Harborlight Psychiatry")
    maya.locator(f'input[name="purpose"][value="{Purpose.REFERRAL_AND_COORDINATION}"]').check()
    until = timezone.localdate() + dt.timedelta(days=180)
    maya.locator('input[name="expires_on"]').fill(until.isoformat())
    maya.get_by_role("button", name="Prepare release").click()
    seen(maya)
    part2 = Release.objects.get(client=jordan_client, kind=ReleaseKind.PART2)
    assert part2.status == ReleaseStatus.DRAFT

    # Jordan reads it and signs it
    jordan = people.sign_in("jordan.ellery", code=False)
    visit(jordan, "/consent/releases/")
    jordan.locator(f'[data-release="{part2.public_id}"]').get_by_role(
        "link", name="Read and sign"
    ).click()
    seen(jordan)
    jordan.get_by_label("Type your full name to sign").fill("Jordan Ellery")
    jordan.get_by_label("I have read this authorization").check()
    jordan.get_by_role("button", name="Sign", exact=True).click()
    expect(jordan.get_by_role("status")).to_contain_text("Signed.")
    seen(jordan)

    # His copy says what it is and carries the 42 CFR 2.32 notice to recipients
    link = jordan.locator(f'[data-release="{part2.public_id}"]').get_by_role(
        "link", name="Download a copy (PDF)"
    )
    response = jordan.request.get(link.get_attribute("href") or "")
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(response.body())).pages
    )
    assert "Consent for substance use disorder records (42 CFR Part 2)" in text
    assert "Notice to recipients (42 CFR 2.32)" in text
    assert "protected by Federal confidentiality rules (42 CFR part 2)" in text
