"""Each role walks its whole day from the home page on the demo, at 1280 px and at 375 px.

Issue 13: the home page is each role's work queue, with true counts. Here the demo's own
people (docs/demo.md) sign in, and for EVERY queue their home page shows: the count is
checked against the database (what the person may act on), an item is opened, the work
is done where a browser can do it, and back home (through the main navigation, behind
the Menu button on a phone) the count has gone down or the item has left the queue.
Every page visited is checked with axe-core, for CSP errors and for sideways scrolling.

The demo is seeded once for the module into the live server's in-memory SQLite
(``e2e/journeys.py``); each test runs in a savepoint rolled back after it, so each day
starts from the demo exactly as seeded. docs/demo.md has the table of what each walk covers.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

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
from tandem.accounts.models import User
from tandem.care.checkins.models import CheckInStatus, ProgressCheckIn
from tandem.care.crisis.models import AlertStatus, SafetyAlert
from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.clients.models import Client
from tandem.consent.models import Release, ReleaseStatus
from tandem.notifications.models import Notification, NotificationKind
from tandem.organisations.models import Organisation
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from tandem.workspace.queues import LIMIT

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

#: The statuses a visit of today's list may have: booked, or already seen (or missed).
ON_TODAYS_LIST = [*ACTIVE_STATUSES, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]


# What each queue should say, read from the database -------------------------------------


def _today() -> tuple[dt.datetime, dt.datetime]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def _visits_today(**where: object) -> int:
    start, end = _today()
    return Appointment.objects.filter(
        starts_at__gte=start, starts_at__lt=end, status__in=ON_TODAYS_LIST, **where
    ).count()


def coordinator_work(practice: Organisation) -> dict[str, int]:
    """What the practice's front desk has to do: unanswered referrals due by tonight or urgent, …"""
    to_practice = Referral.objects.filter(to_organisation=practice)
    return {
        "due": to_practice.filter(
            Q(due_at__lt=_today()[1]) | Q(urgent=True),
            status__in=[ReferralStatus.SENT, ReferralStatus.RECEIVED],
            responded_at__isnull=True,
        ).count(),
        "info": to_practice.filter(status=ReferralStatus.INFO_REQUESTED).count(),
        "schedule": to_practice.filter(
            status__in=[ReferralStatus.ACCEPTED, ReferralStatus.NO_SHOW]
        ).count(),
        "today": _visits_today(organisation=practice),
    }


def prescriber_work(prescriber: User) -> dict[str, int]:
    return {
        "today": _visits_today(prescriber=prescriber),
        "unsigned": ConsultNote.objects.filter(author=prescriber, status=NoteStatus.DRAFT).count(),
        # Open alerts of her clients, and of Harborlight's (the demo has no rota, so she is
        # its on-call prescriber).
        "alerts": SafetyAlert.objects.filter(status=AlertStatus.OPEN)
        .filter(
            Q(client__care_team__user=prescriber, client__care_team__ended_on__isnull=True)
            | Q(paged_organisation__name="Harborlight Psychiatry")
        )
        .distinct()
        .count(),
        "answered": ProgressCheckIn.objects.filter(
            requested_by=prescriber,
            status=CheckInStatus.ANSWERED,
            answered_at__gte=timezone.now() - dt.timedelta(days=14),
        ).count(),
    }


def therapist_work(therapist: User) -> dict[str, int]:
    return {
        "referrals": Referral.objects.filter(
            therapist=therapist,
            status__in=[ReferralStatus.INFO_REQUESTED, ReferralStatus.DRAFT],
        ).count(),
        "notes": NoteDelivery.objects.filter(
            recipient=therapist, status=DeliveryStatus.DELIVERED, acknowledged_at__isnull=True
        ).count(),
        "medications": Notification.objects.filter(
            recipient=therapist, kind=NotificationKind.MEDICATION_UPDATE, read_at__isnull=True
        ).count(),
        "checkins": ProgressCheckIn.objects.filter(
            therapist=therapist, status=CheckInStatus.REQUESTED
        ).count(),
    }


def person(local: str) -> User:
    return User.objects.get(email=local + DEMO)


# What the home page says -----------------------------------------------------------------


def queue(page: Page, key: str) -> Locator:
    return page.locator(f'[data-queue="{key}"]')


def shows(page: Page, work: dict[str, int]) -> None:
    """Every queue of ``work`` shows its true count and as many items as fit."""
    for key, total in work.items():
        counted = queue(page, key).locator("[data-count]")
        expect(counted, f"the count of {key}").to_have_attribute("data-count", str(total))
        expect(queue(page, key).locator("li"), f"the items of {key}").to_have_count(
            min(total, LIMIT)
        )
        if total > LIMIT:
            expect(queue(page, key)).to_contain_text(f"and {total - LIMIT} more.")


def home(page: Page) -> None:
    """Go back home the way a person would from any page: the main navigation."""
    nav(page, "Dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"^Hello, "))


def open_item(page: Page, key: str, label: str | re.Pattern[str] | None = None) -> None:
    """Follow an item of a queue (the first, or the one named ``label``) and check the page."""
    links = queue(page, key).locator("li a")
    link = links.filter(has_text=label).first if label is not None else links.first
    link.click()
    seen(page)


# The coordinator ------------------------------------------------------------------------


def test_coordinator_walks_her_day(people: People) -> None:
    harborlight = Organisation.objects.get(name="Harborlight Psychiatry")
    priya = people.sign_in("priya.raman")
    before = coordinator_work(harborlight)
    assert (before["info"], before["due"] >= 3, before["schedule"] >= 1) == (1, True, True)
    shows(priya, before)

    # Due: the urgent referral is on top; she acknowledges it and accepts it for Dr Marsh
    expect(queue(priya, "due").locator("li").first).to_contain_text("urgent")
    open_item(priya, "due")
    move(priya, ReferralStatus.RECEIVED, "Acknowledge receipt")
    expect(status_of(priya)).to_have_text("Received")
    seen(priya)
    move(priya, ReferralStatus.ACCEPTED, "Accept", Prescriber="Elena Marsh")
    expect(status_of(priya)).to_have_text("Accepted")
    seen(priya)
    home(priya)
    after = coordinator_work(harborlight)
    assert (after["due"], after["schedule"]) == (before["due"] - 1, before["schedule"] + 1)
    shows(priya, after)
    expect(queue(priya, "due").locator("li").first).not_to_contain_text("urgent")

    # Clients to schedule: she books the oldest accepted one on the client's behalf
    open_item(priya, "schedule")
    expect(priya.get_by_role("heading", level=1)).to_contain_text("Book the first visit for")
    priya.locator(".slot-list button").first.click()
    expect(priya.get_by_role("status").first).to_contain_text("Booked and confirmed")
    seen(priya)
    home(priya)
    booked = coordinator_work(harborlight)
    assert booked["schedule"] == after["schedule"] - 1
    shows(priya, booked)

    # Waiting on the therapist: she reads the question; its therapist answers it from his home
    open_item(priya, "info")
    asked = Referral.objects.get(to_organisation=harborlight, status=ReferralStatus.INFO_REQUESTED)
    expect(priya.locator("[data-info-request]")).to_contain_text("PHQ-9")
    therapist = people.sign_in(asked.therapist.email.removesuffix(DEMO))
    shows(therapist, therapist_work(asked.therapist))
    open_item(therapist, "referrals", "Referral for")
    answer = therapist.locator(f'[data-move="{ReferralStatus.RECEIVED}"]')
    answer.get_by_label("Your answer").fill(
        "PHQ-9 17 and GAD-7 12 this month; citalopram 20 mg in 2023."
    )
    answer.get_by_role("button", name="Send your answer").click()
    expect(status_of(therapist)).to_have_text("Received")
    seen(therapist)
    home(therapist)
    shows(therapist, therapist_work(asked.therapist))
    home(priya)
    answered = coordinator_work(harborlight)
    assert answered["info"] == booked["info"] - 1 == 0
    shows(priya, answered)
    expect(queue(priya, "info")).to_contain_text("No questions are waiting on a therapist.")

    # Today's schedule: each visit opens from the list
    if answered["today"]:
        open_item(priya, "today")
        expect(priya.get_by_role("heading", level=1)).to_contain_text("Appointment")
        home(priya)
    else:  # a weekend or a holiday: the practice is closed
        expect(queue(priya, "today")).to_contain_text("No visits today.")
    go(priya, "Open the calendar")


# The prescriber -------------------------------------------------------------------------


def test_prescriber_walks_her_day(people: People) -> None:
    elena_user = person("elena.marsh")
    wren = client_named("Wren", "Halloway")
    elena = people.sign_in("elena.marsh")
    before = prescriber_work(elena_user)
    assert (before["unsigned"], before["answered"], before["alerts"]) == (1, 1, 0)
    shows(elena, before)

    # Today's visits: Wren's follow-up opens from the list (on a business day)
    if before["today"]:
        open_item(elena, "today", "Wren Halloway")
        expect(elena.get_by_role("heading", level=1)).to_contain_text("Appointment")
        home(elena)

    # Check-ins answered: she reads what Ruth Feldman wrote about Wren
    open_item(elena, "answered", "Wren Halloway")
    expect(elena.locator("main")).to_contain_text("Back at work full time")
    home(elena)

    # Consult notes to sign: she signs Wren's note; Ruth receives it
    open_item(elena, "unsigned", "Wren Halloway")
    elena.get_by_role("button", name="Sign and send").click()
    seen(elena)
    assert ConsultNote.objects.get(client=wren, author=elena_user).status == NoteStatus.SIGNED
    home(elena)
    signed = prescriber_work(elena_user)
    assert signed["unsigned"] == 0
    shows(elena, signed)
    expect(queue(elena, "unsigned")).to_contain_text("No unsigned notes.")

    # Open safety alerts: Ruth raises one for Wren, and it is on Elena's home at once
    ruth = people.sign_in("ruth.feldman")
    visit(ruth, f"/care/clients/{wren.public_id}/timeline/")
    go(ruth, "Raise a safety alert")
    ruth.get_by_label("Level").select_option(label="Urgent: needs a response within the hour")
    ruth.get_by_label("What happened").fill("Called between sessions: sleepless and frightened.")
    ruth.get_by_label("Immediate steps taken").fill("Safety plan reviewed by phone.")
    ruth.get_by_role("button", name="Raise the alert").click()
    seen(ruth)
    home(elena)
    alerted = prescriber_work(elena_user)
    assert alerted["alerts"] == 1
    shows(elena, alerted)

    # Clients off target: every filter of the registry opens; Wren is under the safety flag
    for flag in ("Not improving", "Measure overdue"):
        open_item(elena, "registry", flag)
        expect(elena.get_by_role("heading", level=1)).to_contain_text("registry")
        home(elena)
    open_item(elena, "registry", "Safety flag or open alert")
    go(elena, "Halloway, Wren")
    expect(elena.locator("figure", has_text="GAD-7")).to_be_visible()
    home(elena)

    # She acknowledges the alert from her queue, and it leaves it
    open_item(elena, "alerts")
    elena.get_by_role("button", name="Acknowledge").click()
    expect(elena.locator("[data-status]")).to_contain_text("Acknowledged")
    seen(elena)
    home(elena)
    shows(elena, prescriber_work(elena_user))
    expect(queue(elena, "alerts")).to_contain_text("No open safety alerts.")

    # And Ruth, Wren's therapist, has the signed note to read: she acknowledges it
    home(ruth)
    shows(ruth, therapist_work(person("ruth.feldman")))
    open_item(ruth, "notes", "Wren Halloway")
    ruth.get_by_role("button", name="Acknowledge receipt").click()
    expect(ruth.locator("[data-acknowledged]")).to_be_visible()
    seen(ruth)
    home(ruth)
    read = therapist_work(person("ruth.feldman"))
    assert read["notes"] == 0
    shows(ruth, read)


# The therapist --------------------------------------------------------------------------


def test_therapist_walks_her_day(people: People) -> None:
    maya_user = person("maya.brennan")
    jordan_client = Client.objects.get(user__email="jordan.ellery" + DEMO)
    maya = people.sign_in("maya.brennan")
    before = therapist_work(maya_user)
    # Truly empty in the seed: her one client with a prescriber, Jordan, has not signed yet
    assert before == {"referrals": 0, "notes": 0, "medications": 0, "checkins": 0}
    shows(maya, before)
    expect(queue(maya, "referrals")).to_contain_text("No referral is waiting on you.")
    expect(queue(maya, "medications")).to_contain_text("No new medication changes.")
    go(maya, "Open your referrals")
    home(maya)

    # Once Jordan signs his release, Dr Marsh's medication start for him reaches Maya
    jordan = people.sign_in("jordan.ellery", code=False)
    open_item(jordan, "todo", "Sign a release")
    jordan.get_by_label("Type your full name to sign").fill("Jordan Ellery")
    jordan.get_by_label("I have read this authorization").check()
    jordan.get_by_role("button", name="Sign", exact=True).click()
    expect(jordan.get_by_role("status")).to_contain_text("Signed.")
    elena = people.sign_in("elena.marsh")
    record_medication(
        elena,
        jordan_client,
        kind="Started",
        drug="escitalopram (SSRI)",
        dose="5",
        frequency="once daily in the morning",
        watch_for="Nausea in the first week.",
    )
    expect(elena.locator('[data-drug="escitalopram"]')).to_contain_text("5 mg")

    # Medication changes to read: she opens it from her home and reads what to watch for
    home(maya)
    told = therapist_work(maya_user)
    assert told["medications"] == 1
    shows(maya, told)
    open_item(maya, "medications")
    expect(maya.get_by_role("heading", level=1)).to_contain_text("Medications:")
    expect(maya.locator("main")).to_contain_text("Nausea in the first week.")
    home(maya)
    after = therapist_work(maya_user)
    assert after["medications"] == 0
    shows(maya, after)
    expect(queue(maya, "medications")).to_contain_text("No new medication changes.")


# The client -----------------------------------------------------------------------------


def test_client_walks_his_day(people: People) -> None:
    jordan_client = Client.objects.get(user__email="jordan.ellery" + DEMO)
    jordan = people.sign_in("jordan.ellery", code=False)
    waiting = Release.objects.filter(client=jordan_client, status=ReleaseStatus.DRAFT).count()
    assert waiting == 1
    todo = queue(jordan, "todo")
    expect(todo.get_by_role("link", name="Sign a release")).to_have_count(waiting)
    expect(queue(jordan, "next_visit")).to_contain_text("No visit booked.")
    assert not Appointment.objects.filter(client=jordan_client, status__in=ACTIVE_STATUSES)

    # Sign: the release waiting for him
    open_item(jordan, "todo", "Sign a release")
    jordan.get_by_label("Type your full name to sign").fill("Jordan Ellery")
    jordan.get_by_label("I have read this authorization").check()
    jordan.get_by_role("button", name="Sign", exact=True).click()
    expect(jordan.get_by_role("status")).to_contain_text("Signed.")
    seen(jordan)
    home(jordan)
    expect(todo.get_by_role("link", name="Sign a release")).to_have_count(0)

    # Answer: his questionnaires (none is due in the demo)
    open_item(jordan, "todo", "Answer your questionnaires")
    expect(jordan.get_by_role("heading", level=1)).to_have_text("Questionnaires")
    home(jordan)

    # Book: once Priya accepts his referral and invites him, he books a real open time
    priya = people.sign_in("priya.raman")
    go(priya, "Referral inbox")
    go(priya, "Referral for Jordan")
    move(priya, ReferralStatus.ACCEPTED, "Accept", Prescriber="Elena Marsh")
    priya.locator("[data-book-first-visit] a").click()
    priya.get_by_role("button", name="Invite the client to book").click()
    expect(priya.get_by_role("status").first).to_contain_text("Invitation sent")
    jordan.reload()
    seen(jordan)
    open_item(jordan, "todo", "Book your first visit")
    jordan.locator(".slot-list button").first.click()
    expect(jordan.get_by_role("heading", level=1)).to_have_text("Payment information")
    seen(jordan)
    jordan.get_by_label("I will pay at my first visit or by invoice").check()
    jordan.get_by_role("button", name="Save payment information").click()
    seen(jordan)
    home(jordan)
    expect(todo.get_by_role("link", name=re.compile("Book your first visit"))).to_have_count(0)

    # See the next visit: it is on his home page, and opens
    booked = Appointment.objects.get(client=jordan_client, status__in=ACTIVE_STATUSES)
    expect(queue(jordan, "next_visit")).to_contain_text(booked.get_status_display())
    queue(jordan, "next_visit").get_by_role("link").click()
    seen(jordan)
    expect(jordan.get_by_role("heading", level=1)).to_contain_text("Appointment")
