"""The consent journey in a real browser.

The therapist prepares a release; the client signs it on a small phone, downloads
their copy and later revokes it in two clicks; the therapist then sees every
category withheld. Every page visited is checked with axe (and for CSP errors).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from e2e.helpers import check_page, enter_code, sign_in, totp_code
from tandem.consent.categories import Category
from tandem.consent.models import Release, ReleaseStatus
from tandem.consent.tests.factories import World
from tandem.core.tests.factories import TEST_TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = [Category.DIAGNOSIS, Category.MEDICATIONS, Category.CONSULT_NOTES]


def test_prepare_sign_on_a_phone_download_revoke_then_withheld(
    desktop_page: Page, phone_page: Page, live_server
) -> None:
    world = World()
    client = world.client
    status_path = f"/consent/clients/{client.public_id}/"

    # Given the therapist signs in with password and authenticator code
    therapist = desktop_page
    therapist.goto(f"/accounts/login/?next={status_path}")
    check_page(therapist, phone=False)
    sign_in(therapist, world.therapist.email)
    enter_code(therapist, totp_code(TEST_TOTP_SECRET))
    expect(therapist).to_have_url(f"{live_server.url}{status_path}")
    expect(therapist.locator(f'tr[data-category="{Category.DIAGNOSIS}"]')).to_contain_text(
        "Withheld — no current release covers diagnosis and diagnostic considerations"
    )
    check_page(therapist, phone=False)

    # When they prepare a two-way release for diagnosis, medications and consult notes
    therapist.get_by_role("link", name="Prepare a release").click()
    expect(therapist.get_by_role("heading", level=1)).to_contain_text("Prepare a release")
    check_page(therapist, phone=False)
    for category in SHARED:
        therapist.get_by_label(category.label, exact=True).check()
    therapist.get_by_label("Who may disclose").select_option(
        label="Maple Street Counseling (therapy practice)"
    )
    therapist.get_by_label("Who may receive").select_option(
        label="Harborlight Psychiatry (psychiatric practice)"
    )
    expect(therapist.get_by_label("Two-way", exact=False)).to_be_checked()
    # Referral and ongoing coordination: one click, the first choice
    therapist.get_by_role("radio", name=re.compile("Referral, then ongoing coordination")).check()
    ends = timezone.localdate() + dt.timedelta(days=365)
    therapist.get_by_label("End date").fill(ends.isoformat())
    therapist.get_by_role("button", name="Prepare release").click()

    # Then the release waits for the client's signature
    expect(therapist.get_by_role("status")).to_contain_text("Release prepared.")
    release = Release.objects.get(client=client)
    assert (release.status, release.categories, release.purpose) == (
        ReleaseStatus.DRAFT,
        list(SHARED),
        "referral_and_coordination",
    )
    check_page(therapist, phone=False)

    # Given the client signs in on a small phone and opens their notification
    phone = phone_page
    phone.goto("/accounts/login/")
    check_page(phone, phone=True)
    sign_in(phone, world.client_user.email)
    expect(phone.get_by_role("link", name=re.compile(r"^Notifications 1 new$"))).to_be_visible()
    check_page(phone, phone=True)
    phone.get_by_role("link", name=re.compile(r"^Notifications")).click()
    check_page(phone, phone=True)
    phone.get_by_role("link", name="A release is waiting for your signature").click()

    # When they read the release and sign it with their typed name
    expect(phone.get_by_label("Full text of the authorization")).to_contain_text(
        "Diagnosis and diagnostic considerations"
    )
    check_page(phone, phone=True)
    typed_name = f"{client.first_name} {client.last_name}"
    phone.get_by_label("Type your full name to sign").fill(typed_name)
    phone.get_by_label("I have read this authorization").check()
    phone.get_by_role("button", name="Sign", exact=True).click()

    # Then it is active, and their copy downloads as a PDF
    expect(phone.get_by_role("status")).to_contain_text("Signed.")
    check_page(phone, phone=True)
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="Download a copy (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"release-{release.public_id}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # When they later revoke it: open "Revoke this release", then confirm
    phone.get_by_text("Revoke this release").click()
    check_page(phone, phone=True)
    phone.get_by_role("button", name="Yes, revoke it now").click()
    expect(phone.get_by_role("status")).to_contain_text("Revoked.")
    check_page(phone, phone=True)
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED

    # And they can see who has opened their record: their therapist did, preparing the release
    phone.goto("/consent/releases/")
    phone.get_by_role("link", name="Who has seen your record").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Who has seen your record")
    expect(phone.locator("tr[data-access]").first).to_contain_text("Therapist")
    check_page(phone, phone=True)

    # Then the therapist sees every category withheld again
    therapist.goto(status_path)
    for category in SHARED:
        expect(therapist.locator(f'tr[data-category="{category}"]')).to_contain_text(
            f"Withheld — no current release covers {category.label.lower()}"
        )
    check_page(therapist, phone=False)
