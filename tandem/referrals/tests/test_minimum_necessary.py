"""Minimum necessary (45 CFR 164.502(b)): each role at the practice sees the parts it needs.

A coordinator (front desk) works from eligibility, contact, urgency and scheduling facts;
prescribers read the clinical sections a release covers. The rule lives in the policy layer
(``core.policy.sections_for``) and every page showing the packet obeys it.
"""

import html as htmllib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tandem.consent.models import Disclosure
from tandem.core import policy
from tandem.core.policy import RecordSection
from tandem.referrals import actions, selectors, states
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
FRONT_DESK = "Not shown to front-desk staff: minimum necessary (45 CFR 164.502(b))."
ADMINS = "Not shown to practice admins: minimum necessary (45 CFR 164.502(b))."
CLINICAL_TEXT = (
    "CBT with interoceptive exposure since spring.",
    "F41.1",
    "Levothyroxine",
    "Hypothyroidism, treated.",
    "Six months of weekly CBT",
)


def http(user):
    client = HttpClient()
    client.force_login(user)
    return client


def text(response) -> str:
    body = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def detail_url(referral):
    return reverse("referrals:detail", kwargs={"referral_id": referral.public_id})


def _sent_with_everything_released(world, **packet):
    referral = world.drafted(**packet)
    http(world.therapist).post(
        reverse("referrals:add_attachment", kwargs={"referral_id": referral.public_id}),
        {
            "file": SimpleUploadedFile("scores.pdf", PDF_BYTES, "application/pdf"),
            "title": "PHQ-9 history",
            "category": "questionnaires",
        },
    )
    referral = actions.send_referral(actor=world.therapist, referral=referral)
    world.release(ALL_PACKET_CATEGORIES)
    return referral


def test_the_policy_gives_each_role_its_sections():
    world = ReferralWorld()
    org = world.psychiatry.pk
    facts = {
        RecordSection.ELIGIBILITY,
        RecordSection.CONTACT,
        RecordSection.URGENCY,
        RecordSection.SCHEDULING,
    }

    assert policy.sections_for(world.coordinator, org) == facts
    assert policy.sections_for(world.admin, org) == facts
    assert policy.sections_for(world.prescriber, org) == facts | {RecordSection.CLINICAL}
    # Roles count in the organisation whose work it is, not elsewhere.
    assert policy.sections_for(world.prescriber, world.therapy.pk) == frozenset()
    assert policy.withheld_reason(world.coordinator, org, RecordSection.CLINICAL) == FRONT_DESK
    assert policy.withheld_reason(world.admin, org, RecordSection.CLINICAL) == ADMINS
    assert policy.withheld_reason(world.prescriber, org, RecordSection.CLINICAL) == ""


def test_a_coordinator_sees_the_scheduling_facts_and_no_clinical_section_and_nothing_is_disclosed():
    """Given a release covering the whole packet, when the front desk opens the referral, then it
    sees eligibility, contact, urgency and scheduling facts, and every clinical section says why
    it is not shown; nothing is disclosed to the practice by that view."""
    world = ReferralWorld()
    referral = _sent_with_everything_released(world, safety_ideation=True)

    response = http(world.coordinator).get(detail_url(referral))

    assert response.status_code == 200
    page = text(response)
    body = response.content.decode()
    for fact in (
        "Medication evaluation and management",
        "Urgent — safety concerns",
        "Response due",
        "Contact",
    ):
        assert fact in page
    assert world.client.email in page
    for clinical in CLINICAL_TEXT:
        assert clinical not in page
    keys = re.findall(r'data-section="([a-z_]+)"', body)
    assert keys == list(selectors.SECTION_TITLES)
    assert page.count(FRONT_DESK) == len(keys) + 1  # every section, and the one attachment
    assert "PHQ-9 history" not in page
    assert not Disclosure.objects.exists()


def test_a_prescriber_reads_the_clinical_sections_the_release_covers():
    world = ReferralWorld()
    referral = _sent_with_everything_released(world)

    response = http(world.prescriber).get(detail_url(referral))

    page = text(response)
    for clinical in CLINICAL_TEXT:
        assert clinical in page
    assert "PHQ-9 history" in page
    assert FRONT_DESK not in page
    # One disclosure per section shown (the accounting names each section) and the attachment.
    assert Disclosure.objects.filter(recipient_user=world.prescriber).count() == 8 + 1


def test_a_practice_admin_is_told_why_the_clinical_sections_are_not_shown():
    world = ReferralWorld()
    referral = _sent_with_everything_released(world)

    sections = selectors.packet(world.admin, referral, states.PRACTICE)

    assert [(s.shown, s.withheld_label, s.content) for s in sections] == [
        (False, ADMINS, {}) for _ in sections
    ]
    assert not Disclosure.objects.exists()


def test_the_front_desk_cannot_download_a_clinical_attachment():
    world = ReferralWorld()
    referral = _sent_with_everything_released(world)
    [item] = referral.attachments.all()

    response = http(world.coordinator).get(
        reverse(
            "referrals:attachment",
            kwargs={"referral_id": referral.public_id, "document_id": item.public_id},
        )
    )

    assert response.status_code == 404
    assert not Disclosure.objects.exists()


def test_the_therapists_answer_is_clinical_and_withheld_from_the_front_desk():
    world = ReferralWorld()
    referral = _sent_with_everything_released(world)
    referral = actions.request_info(
        actor=world.prescriber, referral=referral, question="Any history of mania?"
    )
    actions.answer(
        actor=world.therapist,
        referral=referral,
        answer="No manic episodes reported; sleep is fragmented.",
    )

    coordinator_page = text(http(world.coordinator).get(detail_url(referral)))
    prescriber_page = text(http(world.prescriber).get(detail_url(referral)))

    assert "No manic episodes reported" not in coordinator_page
    assert "No manic episodes reported" in prescriber_page
