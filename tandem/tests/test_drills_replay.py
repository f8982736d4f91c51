"""Drill: a state-changing form replayed 20 times at once (double clicks, proxy retries) has one effect.

Each replay is the same signed-in person's POST on its own connection, all released
together (``tandem.tests.support.race.all_at_once``); PostgreSQL's row locks decide.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import cast

import pytest
import time_machine
from django.urls import reverse

from tandem.referrals.models import ReferralEvent, ReferralReason
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import Practice, at
from tandem.tests.support.http import Client as Browser
from tandem.tests.support.race import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPLAYS = 20


def _browsers(user, count=REPLAYS):
    browsers = []
    for _ in range(count):
        browser = Browser(raise_request_exception=False)
        browser.force_login(user)
        browsers.append(browser)
    return browsers


def _post(browser, url, data) -> tuple[int, str]:
    response = browser.post(url, data)
    return response.status_code, response.get("Location", "")


def _replay(calls) -> list[tuple[int, str]]:
    """Run the calls at once; each outcome is (status, Location), or (0, the exception)."""
    return [
        cast(tuple[int, str], o.value) if o.error is None else (0, repr(o.error))
        for o in all_at_once(*calls)
    ]


def test_sending_a_referral_replayed_twenty_times_sends_it_once():
    # Given a therapist's finished draft, and the "Send" button's POST replayed 20 times at once
    world = ReferralWorld()
    referral = world.drafted()
    url = reverse("referrals:edit", kwargs={"referral_id": referral.public_id})
    data = {"reasons": [ReferralReason.CLIENT_REQUEST], "action": "send"}

    outcomes = _replay([partial(_post, b, url, data) for b in _browsers(world.therapist)])

    # Then every replay lands on the referral's page and the referral was sent once
    detail = reverse("referrals:detail", kwargs={"referral_id": referral.public_id})
    assert Counter(outcomes) == Counter({(302, detail): REPLAYS}), outcomes
    referral.refresh_from_db()
    assert referral.status == S.SENT
    assert ReferralEvent.objects.filter(referral=referral, to_status=S.SENT).count() == 1


def test_booking_a_slot_replayed_twenty_times_holds_it_once():
    # Given a client choosing a time, their POST replayed 20 times at once
    with time_machine.travel(at(2027, 4, 12, 10), tick=False):
        p = Practice()
        url = reverse("scheduling:book", args=[p.org.public_id])
        form = {
            "prescriber": str(p.prescriber.public_id),
            "starts_at": at(2027, 4, 14, 10).isoformat(),
        }

        outcomes = _replay([partial(_post, b, url, form) for b in _browsers(p.client_user)])

    # Then there is one hold, and no replay failed with a server error
    (held,) = Appointment.objects.filter(status=AppointmentStatus.HELD)
    assert held.client == p.client
    assert all(0 < code < 500 for code, _ in outcomes), outcomes
    pay = reverse("scheduling:pay", args=[held.public_id])
    assert (302, pay) in outcomes
