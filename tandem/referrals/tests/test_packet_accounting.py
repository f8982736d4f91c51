"""The packet's accounting names what was shown, and Part 2 travels with its 42 CFR 2.32 notice."""

import datetime as dt
import html as htmllib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.consent.actions import PartySpec
from tandem.consent.categories import PART2_NOTICE, Category, Purpose
from tandem.consent.models import Disclosure, ReleaseKind
from tandem.referrals import actions
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

SUBSTANCE = {
    "substance_use": "Completed an outpatient program in 2024.",
    "substance_use_part2": True,
}


def open_packet(user, referral):
    browser = HttpClient()
    browser.force_login(user)
    response = browser.get(reverse("referrals:detail", kwargs={"referral_id": referral.public_id}))
    assert response.status_code == 200
    return response


def page_text(response) -> str:
    raw = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", raw))).strip()


def part2_consent(world):
    return world.signed(
        kind=ReleaseKind.PART2,
        categories=[Category.PART2_RECORDS],
        recipients=[PartySpec(world.psychiatry)],
        purpose=Purpose.REFERRAL,
        expires_on=timezone.localdate() + dt.timedelta(days=180),
    )


def test_each_section_shown_is_one_row_named_as_the_packet_names_it_and_none_for_withheld():
    # Given a sent packet and a release for every packet category but safety
    world = ReferralWorld()
    referral = world.sent()
    world.release([c for c in ALL_PACKET_CATEGORIES if c != Category.SAFETY])

    # When the coordinator opens the referral, then the prescriber does
    open_packet(world.coordinator, referral)
    open_packet(world.prescriber, referral)

    # Then the accounting holds one row per section shown, under the section's own name,
    # and none for the withheld safety section
    rows = Disclosure.objects.filter(object_type="referrals.referral")
    assert sorted((d.section, d.description, d.category) for d in rows) == [
        ("diagnoses", "Diagnosis and diagnostic considerations (ICD-10-CM)", "diagnosis"),
        ("medical_history", "Medical history", "medical_history"),
        ("medications", "Current medications", "medications"),
        ("reasons", "Reasons for referral", "treatment_history"),
        ("recent_scores", "Recent questionnaire scores", "questionnaires"),
        ("substance_use", "Substance use", "substance_use"),
        ("treatment_history", "Treatment history and response", "treatment_history"),
    ]
    assert {(d.recipient_organisation, d.purpose, d.first_shown) for d in rows} == {
        (world.psychiatry, "referral", True)
    }
    # And the client reads each section by name
    client_browser = HttpClient()
    client_browser.force_login(world.client_user)
    accounting = page_text(client_browser.get(reverse("consent:disclosures")))
    assert "Treatment history and response: Treatment history and response" in accounting
    assert "Current medications: Current medications" in accounting
    assert "Safety concerns" not in accounting


def test_the_practice_reading_part2_records_sees_the_full_2_32_notice_and_the_row_keeps_it():
    # Given a packet whose substance-use part comes from a Part 2 program, a general
    # release for the packet and the client's Part 2 consent to the practice
    world = ReferralWorld()
    referral = world.sent(**SUBSTANCE)
    world.release(ALL_PACKET_CATEGORIES)
    part2_consent(world)

    # When the prescriber opens the referral
    response = open_packet(world.prescriber, referral)

    # Then the substance-use section shows with the 42 CFR 2.32 notice word for word
    body = response.content.decode()
    section = body[body.index('data-section="substance_use"') :]
    section = section[: section.index("</section>")]
    assert "Completed an outpatient program in 2024." in section
    assert f'<p class="part2-notice" data-part2-notice>{PART2_NOTICE}</p>' in section
    # And its row in the accounting stores the exact notice that went with it
    row = Disclosure.objects.get(section="substance_use")
    assert (row.category, row.part2_notice, row.part2_notice_text) == (
        Category.PART2_RECORDS,
        True,
        PART2_NOTICE,
    )
    # And no other row carries it
    others = Disclosure.objects.exclude(section="substance_use")
    assert set(others.values_list("part2_notice", "part2_notice_text")) == {(False, "")}


def test_without_part2_consent_no_notice_and_no_row_for_the_substance_use_section():
    world = ReferralWorld()
    referral = world.sent(**SUBSTANCE)
    world.release(ALL_PACKET_CATEGORIES)

    body = open_packet(world.prescriber, referral).content.decode()

    assert "Completed an outpatient program in 2024." not in body
    assert PART2_NOTICE not in body
    assert not Disclosure.objects.filter(section="substance_use").exists()
    assert not Disclosure.objects.filter(category=Category.PART2_RECORDS).exists()


def test_a_part2_document_is_listed_to_the_practice_with_the_notice_and_its_row_keeps_it():
    # Given a Part 2 document attached to the referral, and the client's Part 2 consent
    world = ReferralWorld()
    referral = world.start()
    actions.add_attachment(
        actor=world.therapist,
        referral=referral,
        upload=SimpleUploadedFile("program.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        title="Discharge summary",
        category=Category.PART2_RECORDS,
    )
    referral = actions.send_referral(actor=world.therapist, referral=world.drafted(referral))
    part2_consent(world)

    # When the prescriber opens the referral
    body = open_packet(world.prescriber, referral).content.decode()

    # Then the document is listed with the 42 CFR 2.32 notice, and its row stores the notice
    item = body[body.index("<li data-attachment>") :]
    item = item[: item.index("</li>")]
    assert "Discharge summary" in item
    assert f'<p class="part2-notice" data-part2-notice>{PART2_NOTICE}</p>' in item
    row = Disclosure.objects.get(object_type="referrals.referralattachment")
    assert (row.part2_notice, row.part2_notice_text) == (True, PART2_NOTICE)


def _first_view_queries(documents):
    world = ReferralWorld()
    referral = world.start()
    for i in range(documents):
        actions.add_attachment(
            actor=world.therapist,
            referral=referral,
            upload=SimpleUploadedFile(f"scores-{i}.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
            title=f"Scores {i}",
            category=Category.QUESTIONNAIRES,
        )
    referral = actions.send_referral(actor=world.therapist, referral=world.drafted(referral))
    world.release(ALL_PACKET_CATEGORIES)
    with CaptureQueriesContext(connection) as queries:
        body = open_packet(world.prescriber, referral).content.decode()
    assert body.count("<li data-attachment>") == documents
    assert (
        Disclosure.objects.filter(
            client=world.client, object_type="referrals.referralattachment"
        ).count()
        == documents
    )
    return len(queries)


def test_the_first_view_of_newly_released_documents_costs_the_same_for_one_as_for_many():
    assert _first_view_queries(1) == _first_view_queries(6)
