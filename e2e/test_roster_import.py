"""A practice admin imports the roster in a real browser: upload, progress, report.

The admin uploads a Bundle of one colleague and one client; the task worker imports it
while the page polls its status with HTMX, and the report replaces the progress bar
without a reload. The upload page and the report, desktop and a 375 px phone, axe clean.
"""

import json

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, share_session
from tandem.clients.models import Client
from tandem.core.roles import Role
from tandem.core.tests.factories import TherapyPracticeFactory, make_staff
from tandem.tests.support.tasks import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSTER = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:7c1d3c52-5c86-4f57-9e0b-1f3f7a1a0001",
            "resource": {
                "resourceType": "Practitioner",
                "identifier": [{"system": "https://records.example.test/staff", "value": "T-1"}],
                "telecom": [{"system": "email", "value": "rowan.therapist@example.test"}],
            },
        },
        {
            "fullUrl": "urn:uuid:7c1d3c52-5c86-4f57-9e0b-1f3f7a1a0002",
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": "https://records.example.test/mrn", "value": "100"}],
                "name": [{"family": "Quill", "given": ["Avery"]}],
                "birthDate": "1990-04-02",
                "generalPractitioner": [
                    {"reference": "urn:uuid:7c1d3c52-5c86-4f57-9e0b-1f3f7a1a0001"}
                ],
            },
        },
    ],
}


def test_an_admin_uploads_a_roster_and_watches_it_import(
    desktop_page: Page, phone_page: Page, live_server, tmp_path
) -> None:
    practice = TherapyPracticeFactory(name="Harbour Street Therapy")
    admin = make_staff(Role.PRACTICE_ADMIN, practice)
    make_staff(Role.THERAPIST, practice, email="rowan.therapist@example.test")
    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps(ROSTER))
    upload = f"/organisations/{practice.public_id}/settings/roster/"

    for page, phone in ((phone_page, True), (desktop_page, False)):
        share_session(page, admin, live_server.url)
        page.goto(upload)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Roster import")
        check_page(page, phone=phone)

    # When the admin uploads the roster
    page = desktop_page
    page.get_by_label("Roster Bundle (JSON file)").set_input_files(str(roster))
    page.get_by_role("button", name="Upload and import").click()

    # Then the page shows the progress until the worker has run, and then the report
    expect(page.locator("progress")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("0 of 2 entries checked")
    check_page(page, phone=False)
    run_worker()
    expect(page.get_by_role("status")).to_contain_text("Imported", timeout=10_000)
    expect(page.get_by_role("status")).to_contain_text("2 created")
    expect(page.locator("progress")).to_have_count(0)
    check_page(page, phone=False)
    assert Client.objects.filter(last_name="Quill").count() == 1

    # The report on a phone
    phone_page.goto(page.url)
    expect(phone_page.get_by_role("region", name="Report by entry")).to_be_visible()
    check_page(phone_page, phone=True)
