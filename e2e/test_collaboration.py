"""Collaboration after the referral, in a real browser, with the clock driven by the test.

One Wednesday evening (after the practice's hours) the prescriber signs and sends the
initial consultation note and starts a medication; the therapist, on a phone, sees
both on the shared timeline and acknowledges the note; the emails that told them say
nothing about the client. The prescriber's check-in request reaches the therapist,
who answers it. Then the therapist raises a safety alert; nobody acknowledges it,
and 61 minutes later (the after-hours window is 60) the worker escalates it to the
practice admin. The clock is moved with time_machine and the task worker is run by
the test — nothing sleeps for the escalation.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, enter_code, share_session, sign_in, totp_code
from tandem.care.models import AlertStatus, NoteDelivery, ProgressCheckIn, SafetyAlert
from tandem.care.tests.factories import CareWorld
from tandem.core.tests.factories import TEST_TOTP_SECRET
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import Referral
from tandem.referrals.models import ReferralStatus as S
from tandem.tests.support.tasks import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOSTON = ZoneInfo("America/New_York")
WEDNESDAY_EVENING = dt.datetime(2027, 3, 10, 19, 30, tzinfo=BOSTON)


def signed_in(
    page: Page, email: str, next_path: str, base_url: str, used: dict[str, set[str]]
) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    sign_in(page, email)
    # allauth refuses a code again only to the user who used it (its marker names the user),
    # so each user keeps their own used codes: a second user signing in within the same
    # 30 seconds need not wait for the next code.
    enter_code(page, totp_code(TEST_TOTP_SECRET, used=used.setdefault(email, set())))
    expect(page).to_have_url(f"{base_url}{next_path}")


def test_note_medication_check_in_and_an_escalated_alert(
    desktop_page: Page, phone_page: Page, live_server
) -> None:
    # The world is built the week before the fixed evening, whatever the real date.
    with time_machine.travel(WEDNESDAY_EVENING - dt.timedelta(days=7), tick=True):
        world = CareWorld()
        referral = world.sent()
        for move in (
            referral_actions.accept,
            referral_actions.schedule,
            referral_actions.first_visit_done,
        ):
            referral = move(actor=world.coordinator, referral=referral)
    client_id = world.client.public_id
    timeline = f"/care/clients/{client_id}/timeline/"
    used: dict[str, set[str]] = {}
    mail.outbox.clear()

    with time_machine.travel(WEDNESDAY_EVENING, tick=True):
        # Given the prescriber signs in and writes the initial consultation note
        prescriber = desktop_page
        signed_in(prescriber, world.prescriber.email, timeline, live_server.url, used)
        check_page(prescriber, phone=False)
        prescriber.get_by_role("link", name="Write the initial consultation note").click()
        prescriber.get_by_label("Diagnostic impressions (ICD-10-CM codes)").fill("F41.0, F32.1")
        prescriber.get_by_label("Formulation").fill("Panic disorder; moderate depressive episode.")
        prescriber.get_by_label("Medication recommendations").fill("Sertraline, titrate slowly.")
        prescriber.get_by_label("Suggestions for the therapy's focus").fill(
            "Interoceptive exposure."
        )
        prescriber.get_by_label("Thyroid tests (TSH, free T4)").check()
        prescriber.get_by_label("Follow-up plan").fill("Medication visit in three weeks.")
        check_page(prescriber, phone=False)
        prescriber.get_by_role("button", name="Save draft").click()
        expect(prescriber.get_by_role("heading", level=1)).to_contain_text("(draft)")

        # When they sign and send it, the therapist has it and the loop moves on
        prescriber.get_by_role("button", name="Sign and send").click()
        expect(prescriber.locator("[data-delivery]")).to_contain_text("Delivered")
        check_page(prescriber, phone=False)
        assert Referral.objects.get(pk=referral.pk).status == S.CONSULT_NOTE_SENT

        # And they start sertraline
        prescriber.goto(f"/care/clients/{client_id}/medications/")
        prescriber.get_by_label("Kind of change").select_option(label="Started")
        prescriber.get_by_label("Medication:", exact=True).select_option(label="sertraline (SSRI)")
        prescriber.get_by_label("Dose").fill("25")
        prescriber.get_by_label("Unit").select_option(label="mg")
        prescriber.get_by_label("Frequency").fill("once daily in the morning")
        prescriber.get_by_label("What the therapist might watch for").fill(
            "Activation or restlessness; sleep change."
        )
        prescriber.get_by_role("button", name="Record").click()
        expect(prescriber.locator('[data-drug="sertraline"]')).to_contain_text("25 mg")
        check_page(prescriber, phone=False)

        # And ask for progress every two weeks from today
        prescriber.goto(f"/care/clients/{client_id}/check-ins/")
        prescriber.get_by_label("First check-in on").fill(WEDNESDAY_EVENING.date().isoformat())
        prescriber.get_by_role("button", name="Save cadence").click()
        expect(prescriber.locator("[data-cadence]")).to_contain_text("every 14 days")
        check_page(prescriber, phone=False)
        run_worker()  # emails the notifications; the check-in due this morning is asked now
        run_worker()

        # Then the therapist's emails say there is something to see, and nothing about whom
        to_therapist = [m for m in mail.outbox if m.to == [world.therapist.email]]
        assert len(to_therapist) >= 3
        for email in to_therapist:
            for phi in (
                world.client.first_name,
                world.client.last_name,
                "sertraline",
                "Panic",
                "F41",
            ):
                assert phi not in email.subject + email.body
        kinds = set(
            Notification.objects.filter(recipient=world.therapist).values_list("kind", flat=True)
        )
        assert {
            NotificationKind.CONSULT_NOTE,
            NotificationKind.MEDICATION_UPDATE,
            NotificationKind.CHECKIN_REQUEST,
        } <= kinds

        # When the therapist opens the timeline on their phone, both are there
        therapist = phone_page
        signed_in(therapist, world.therapist.email, timeline, live_server.url, used)
        expect(therapist.locator('[data-kind="consult_note"]')).to_contain_text(
            "Initial consultation note"
        )
        expect(therapist.locator('[data-kind="medication"]')).to_contain_text("sertraline")
        expect(therapist.locator('[data-kind="medication"]')).to_contain_text(
            "Activation or restlessness"
        )
        check_page(therapist, phone=True)
        therapist.get_by_role("link", name="Medications", exact=True).first.click()
        expect(therapist.locator('[data-drug="sertraline"]')).to_contain_text(
            "once daily in the morning"
        )
        check_page(therapist, phone=True)

        # And acknowledges the note
        therapist.goto(timeline)
        therapist.get_by_role("link", name="Initial consultation note").click()
        expect(therapist.locator("body")).to_contain_text("F41.0 Panic disorder")
        check_page(therapist, phone=True)
        therapist.get_by_role("button", name="Acknowledge receipt").click()
        expect(therapist.locator("[data-acknowledged]")).to_be_visible()
        assert NoteDelivery.objects.get().acknowledged_at is not None

        # And answers the progress check-in
        therapist.goto(f"{timeline}?kind=checkin")
        therapist.get_by_role("link", name="Progress check-in requested").click()
        therapist.get_by_label("Change since last time").select_option(label="A little better")
        therapist.get_by_label("Functioning (work, relationships, daily life)").fill(
            "Back at work."
        )
        therapist.get_by_label("Engagement in therapy").select_option(label="Attending and engaged")
        therapist.get_by_label("Adherence and side effects you noticed").fill(
            "Some nausea in week one."
        )
        check_page(therapist, phone=True)
        therapist.get_by_role("button", name="Send check-in").click()
        expect(therapist.locator('[data-kind="checkin"]').first).to_contain_text("Back at work.")
        assert ProgressCheckIn.objects.get().status == "answered"

        # Then the prescriber sees the answer on the timeline
        prescriber.goto(f"{timeline}?kind=checkin")
        expect(prescriber.locator('[data-kind="checkin"]').first).to_contain_text(
            "Some nausea in week one."
        )

        # When the therapist raises a safety alert after hours
        therapist.goto(f"/care/clients/{client_id}/alerts/new/")
        check_page(therapist, phone=True)
        therapist.get_by_label("Level").select_option(
            label="Urgent: needs a response within the hour"
        )
        therapist.get_by_label("What happened").fill("Texted that she has a plan.")
        therapist.get_by_label("Immediate steps taken").fill("Called her; she is with her sister.")
        therapist.get_by_role("button", name="Raise the alert").click()
        expect(therapist.locator("[data-status]")).to_contain_text("Waiting for acknowledgement")
        check_page(therapist, phone=True)
        alert = SafetyAlert.objects.get()
        raised = alert.raised_at
        assert alert.ack_due_at - raised == dt.timedelta(minutes=60)
        assert Notification.objects.filter(
            kind=NotificationKind.SAFETY_ALERT, recipient=world.prescriber
        ).exists()

    # And nobody acknowledges: at 59 minutes nothing, at 61 the worker escalates to the admin
    with time_machine.travel(raised + dt.timedelta(minutes=59), tick=False):
        run_worker()
    assert SafetyAlert.objects.get().escalation_level == 0
    with time_machine.travel(raised + dt.timedelta(minutes=61), tick=False):
        run_worker()
        run_worker()
    alert.refresh_from_db()
    assert (alert.status, alert.escalation_level) == (AlertStatus.OPEN, 1)
    assert Notification.objects.filter(
        kind=NotificationKind.SAFETY_ESCALATION, recipient=world.admin
    ).exists()
    [escalation_email] = [
        m for m in mail.outbox if m.to == [world.admin.email] and "escalated" in m.body
    ]
    assert "an unacknowledged safety alert was escalated to you" in escalation_email.body
    assert world.client.first_name not in escalation_email.body

    # The admin follows the link and acknowledges; the late acknowledgement is recorded
    with time_machine.travel(raised + dt.timedelta(minutes=62), tick=True):
        admin = desktop_page
        admin.context.clear_cookies()
        share_session(admin, world.admin, live_server.url)
        admin.goto(f"/care/alerts/{alert.public_id}/")
        expect(admin.locator("[data-status]")).to_contain_text("escalated 1 time")
        check_page(admin, phone=False)
        admin.get_by_role("button", name="Acknowledge").click()
        expect(admin.locator("[data-status]")).to_contain_text("Acknowledged")
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.admin
    assert alert.events.get(kind="acknowledged").detail == {"late": True, "after_escalation": 1}


def test_messages_safety_plan_and_rota_pages_on_a_phone(phone_page: Page, live_server) -> None:
    world = CareWorld()
    client_id = world.client.public_id
    used: dict[str, set[str]] = {}
    therapist = phone_page

    # Given the therapist asks the prescriber a question with a PDF attached
    signed_in(
        therapist,
        world.therapist.email,
        f"/care/clients/{client_id}/messages/",
        live_server.url,
        used,
    )
    check_page(therapist, phone=True)
    therapist.get_by_label("Subject").fill("Sleep on sertraline")
    therapist.get_by_label("Message").fill("Is the insomnia from the medication?")
    therapist.get_by_label("This asks a question").check()
    therapist.get_by_label("Attachments").set_input_files(
        files=[
            {
                "name": "sleep-diary.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n%%EOF\n",
            }
        ]
    )
    therapist.get_by_role("button", name="Send").click()
    expect(therapist.locator("[data-due]")).to_contain_text("Answer due")
    expect(therapist.get_by_role("link", name="sleep-diary.pdf")).to_be_visible()
    check_page(therapist, phone=True)

    # And a file that only pretends to be an image is refused by name
    therapist.get_by_label("Message").fill("Photo of the chart.")
    therapist.get_by_label("Attachments").set_input_files(
        files=[{"name": "chart.png", "mimeType": "image/png", "buffer": b"%PDF-1.4 not a png"}]
    )
    therapist.get_by_role("button", name="Send reply").click()
    expect(therapist.locator(".errorlist, [role=alert]").first).to_contain_text(
        "That file is not the image it claims to be."
    )
    check_page(therapist, phone=True)

    # The safety plan: write a first version
    therapist.goto(f"/care/clients/{client_id}/safety-plan/")
    therapist.get_by_label("Warning signs that a crisis may be developing").fill("Not sleeping.")
    therapist.get_by_label("Professionals or agencies to contact during a crisis").fill("988; 911.")
    therapist.get_by_role("button", name="Save as a new version").click()
    expect(therapist.locator("[data-version]")).to_contain_text("Version 1")
    check_page(therapist, phone=True)

    # The check-ins page
    therapist.goto(f"/care/clients/{client_id}/check-ins/")
    check_page(therapist, phone=True)

    # The practice admin's rota, with the coming week's gap
    therapist.context.clear_cookies()
    share_session(therapist, world.admin, live_server.url)
    therapist.goto(f"/care/rota/{world.psychiatry.public_id}/")
    expect(therapist.locator("[data-gaps]")).to_contain_text(
        "Nobody is on call in these stretches of the coming week"
    )
    check_page(therapist, phone=True)
