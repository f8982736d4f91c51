"""The referral detail page: times in the receiving practice's zone, and the appointment it carries."""

import datetime as dt
import html as htmllib
import re

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse

from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ReferralWorld

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def text(response) -> str:
    """Return the page's visible text with tags removed and whitespace folded."""
    body = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def page(user, referral) -> str:
    client = HttpClient()
    client.force_login(user)
    response = client.get(reverse("referrals:detail", kwargs={"referral_id": referral.public_id}))
    assert response.status_code == 200
    return text(response)


def test_history_and_due_time_are_in_the_practices_zone_for_both_sides():
    # Given a practice in Los Angeles (the server runs on New York time) and a referral sent
    # on Monday 12 April 2027 at 10:00 Pacific (13:00 in New York, 17:00 UTC)
    world = ReferralWorld()
    world.psychiatry.time_zone = "America/Los_Angeles"
    world.psychiatry.holiday_subdivision = "CA"
    world.psychiatry.save()
    with time_machine.travel(dt.datetime(2027, 4, 12, 17, 0, tzinfo=UTC), tick=False):
        referral = world.sent()

    # When both sides open it at 11:00 Pacific, before the practice answers
    with time_machine.travel(dt.datetime(2027, 4, 12, 18, 0, tzinfo=UTC), tick=False):
        views = [page(world.coordinator, referral), page(world.therapist, referral)]

    # Then both see the due time and the history in Pacific time, labelled with the abbreviation
    for seen in views:
        assert "Response due Tue 13 Apr 2027, 17:00 PDT — 1 day 6 h left" in seen
        assert "Mon 12 Apr 2027, 10:00 PDT — Sent by" in seen
        assert "13:00" not in seen
        assert "Times are Harborlight Psychiatry’s local time (America/Los_Angeles)." in seen


def test_a_winter_event_carries_the_standard_time_abbreviation():
    # Given a Los Angeles practice and a referral sent in January (Pacific standard time)
    world = ReferralWorld()
    world.psychiatry.time_zone = "America/Los_Angeles"
    world.psychiatry.save()
    with time_machine.travel(dt.datetime(2027, 1, 12, 17, 30, tzinfo=UTC), tick=False):
        referral = world.sent()

    # When the practice acknowledges it in summer time and the therapist looks
    with time_machine.travel(dt.datetime(2027, 4, 1, 16, 0, tzinfo=UTC), tick=False):
        from tandem.referrals import actions

        actions.transition(actor=world.coordinator, referral=referral, target=S.RECEIVED)
        seen = page(world.therapist, referral)

    # Then each time carries the abbreviation in force on its own date
    assert "Tue 12 Jan 2027, 09:30 PST — Sent by" in seen
    assert "Thu 1 Apr 2027, 09:00 PDT — Received by" in seen
