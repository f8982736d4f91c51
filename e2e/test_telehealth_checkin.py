"""A client checks in for a video visit on a phone; the prescriber sees where they are.

The check-in asks where the client is now (street, city, state), a callback number
and their emergency contact; a mistake is named at the field; the video link
appears only after check-in; the prescriber's appointment page shows the address
and tap-to-call numbers. Every page is checked with axe-core, for CSP violations,
and for sideways scrolling on the phone.
"""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, share_session
from tandem.intake.tests.factories import practice_with_policy
from tandem.scheduling import actions
from tandem.scheduling.models import LocationAttestation, SchedulingSettings
from tandem.scheduling.payments import OfflineProvider
from tandem.scheduling.tests.factories import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = at(2027, 4, 12, 10)  # Monday
SLOT = at(2027, 4, 14, 10)  # Wednesday
VIDEO = "https://video.example.test/room-7"


def test_a_client_checks_in_on_a_phone_and_the_prescriber_sees_where_they_are(
    phone_page: Page, desktop_page: Page, live_server
) -> None:
    # Given a confirmed video visit at a Massachusetts-only practice
    p = practice_with_policy()
    SchedulingSettings.objects.update_or_create(organisation=p.org, defaults={"video_link": VIDEO})
    with time_machine.travel(NOW, tick=False):
        appointment = actions.hold_slot(
            actor=p.client_user, organisation=p.org, prescriber=p.prescriber,
            appointment_type=p.new_eval, starts_at=SLOT, client=p.client,
        )  # fmt: skip
        appointment = actions.put_payment_on_file(
            actor=p.client_user, appointment=appointment, provider=OfflineProvider(), token="agree"
        )
        actions.confirm(actor=p.coordinator, appointment=appointment)
    path = f"/scheduling/appointments/{appointment.public_id}/"

    with time_machine.travel(SLOT - dt.timedelta(minutes=10)):
        # When the client opens the visit ten minutes before it starts
        phone = phone_page
        share_session(phone, p.client_user, live_server.url)
        phone.goto(path)
        expect(phone.locator("main")).to_contain_text("Check in to get the video link.")
        expect(phone.get_by_role("link", name=VIDEO)).to_have_count(0)
        check_page(phone, phone=True)

        # and checks in with a callback number too short to dial
        phone.get_by_label("Street address where you are now").fill("12 Elm Street")
        phone.get_by_label("City or town").fill("Springfield")
        phone.get_by_label("State").select_option("MA")
        phone.get_by_label("Callback number").fill("555")
        phone.get_by_label("Emergency contact: name").fill("Robin Ash")
        phone.get_by_label("Emergency contact: relationship to you").fill("Sister")
        phone.get_by_label("Emergency contact: phone").fill("413-555-0199")
        phone.get_by_role("button", name="Check in").click()

        # Then the mistake is named, what was typed is kept, and nothing is stored
        expect(phone.locator("#error-summary")).to_contain_text(
            "Callback number: a US phone number with area code, e.g. 617-555-0123."
        )
        expect(phone.get_by_label("City or town")).to_have_value("Springfield")
        assert not LocationAttestation.objects.exists()
        check_page(phone, phone=True)

        # When they correct it
        phone.get_by_label("Callback number").fill("413-555-0142")
        phone.get_by_role("button", name="Check in").click()

        # Then they are checked in and get the video link
        expect(phone.locator("main")).to_contain_text("You are checked in. Thank you.")
        expect(phone.get_by_role("link", name=VIDEO)).to_be_visible()
        check_page(phone, phone=True)

        # And the prescriber's appointment page shows where the client is and whom to call
        desk = desktop_page
        share_session(desk, p.prescriber, live_server.url)
        desk.goto(path)
        card = desk.locator("[data-visit-safety]")
        expect(card).to_contain_text("12 Elm Street, Springfield, MA")
        expect(card.get_by_role("link", name="(413) 555-0142")).to_have_attribute(
            "href", "tel:+14135550142"
        )
        expect(card).to_contain_text("Robin Ash (Sister)")
        check_page(desk, phone=False)

    # And the client's emergency contact page is usable on a phone
    phone.goto("/clients/me/emergency-contact/")
    expect(phone.get_by_label("Name")).to_have_value("Robin Ash")
    check_page(phone, phone=True)
