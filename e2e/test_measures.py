"""Measurement-based care in a real browser.

A client answers a PHQ-9 on a small phone, one question per screen, with item 9
above 0: the confirmation shows 988 and 911 at once, the safety alert reaches the
prescriber, the registry flags the client and the chart shows the new point.
Every page visited is checked with axe (and for CSP errors, and sideways scrolling
on the phone).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, share_session
from tandem.care.models import SafetyAlert
from tandem.measures.models import QuestionnaireResponse
from tandem.measures.tests.factories import MeasuresWorld, answers_totalling
from tandem.notifications.models import Notification, NotificationKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Answers as labels, one per question: a total of 11 with item 9 "Several days".
ANSWERS = [
    "Several days", "More than half the days", "Nearly every day", "Several days",
    "Several days", "Not at all", "More than half the days", "Not at all", "Several days",
]  # fmt: skip


def test_phq9_with_item_9_on_a_phone_alerts_the_team_flags_the_registry_and_charts_the_point(
    phone_page: Page, desktop_page: Page, live_server
) -> None:
    # Given a client in care, with a release for questionnaire results between their
    # therapist's practice and their prescriber's, and an earlier PHQ-9 from the prescriber
    world = MeasuresWorld()
    world.release_questionnaires()
    world.phq9(answers_totalling(16), days_ago=28)

    # When the client opens the PHQ-9 on a phone
    phone = phone_page
    share_session(phone, world.client_user, live_server.url)
    phone.goto("/measures/answer/phq-9/")
    check_page(phone, phone=True)
    # Then only the first question shows, with its progress
    expect(phone.get_by_text("Question 1 of 10", exact=True).first).to_be_visible()
    expect(phone.locator("fieldset#item-1")).to_be_hidden()

    # When they answer each question, one screen at a time, with the keyboard-reachable buttons
    for index, label in enumerate(ANSWERS):
        question = phone.locator(f"fieldset#item-{index}")
        expect(question).to_be_visible()
        question.get_by_label(label, exact=True).check()
        phone.get_by_role("button", name="Next").click()
    expect(phone.locator("fieldset#item-9")).to_be_visible()  # the optional difficulty question
    check_page(phone, phone=True)
    phone.get_by_role("button", name="Send my answers").click()

    # Then the confirmation shows crisis resources first
    expect(phone.get_by_role("heading", level=2).first).to_have_text(
        "If you are thinking about hurting yourself, help is available now"
    )
    expect(phone.locator(".crisis a[href='tel:988']")).to_be_visible()
    expect(phone.locator(".crisis a[href='tel:911']")).to_be_visible()
    check_page(phone, phone=True)
    response = QuestionnaireResponse.objects.get(source="portal")
    assert (response.total, response.flags) == (11, ["suicide_item_positive"])

    # And the safety alert reached the care team (tandem.care)
    alert = SafetyAlert.objects.get(client=world.client)
    assert (alert.source, alert.level) == ("questionnaire", "concern")
    assert Notification.objects.filter(
        recipient=world.prescriber, kind=NotificationKind.SAFETY_ALERT
    ).exists()

    # And the prescriber's registry flags the client
    desk = desktop_page
    share_session(desk, world.prescriber, live_server.url)
    desk.goto("/measures/registry/")
    row = desk.locator("tr", has_text=world.client.last_name)
    expect(row).to_contain_text("Safety alert open")
    expect(row).to_contain_text("Suicide item positive")
    check_page(desk, phone=False)

    # And the chart shows the new point beside the earlier one
    row.get_by_role("link", name=re.compile(world.client.last_name)).click()
    chart = desk.locator("figure", has_text="PHQ-9").locator("svg.trend-chart")
    expect(chart).to_have_attribute(
        "aria-label", re.compile(r"PHQ-9: 2 values .* first 16, latest 11\.")
    )
    expect(chart.locator("circle.point")).to_have_count(2)
    expect(desk.locator("figure", has_text="PHQ-9").locator("tbody tr")).to_have_count(2)
    check_page(desk, phone=False)
