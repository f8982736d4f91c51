"""The referral history: the practice's notes after the visit reach the therapist only under consent."""

import html as htmllib
import re

import pytest
from django.urls import reverse

from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.referrals import actions
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ReferralWorld
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

NOTE = "Zqcanary: bipolar II likely, starting lamotrigine 25 mg"


def page(user, referral) -> str:
    client = HttpClient()
    client.force_login(user)
    response = client.get(reverse("referrals:detail", kwargs={"referral_id": referral.public_id}))
    assert response.status_code == 200
    body = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def _seen_with_a_note(world: ReferralWorld):
    referral = world.accepted()
    referral = actions.schedule(actor=world.coordinator, referral=referral)
    return actions.first_visit_done(actor=world.prescriber, referral=referral, note=NOTE)


def test_without_a_release_the_therapist_sees_the_visit_happened_but_not_the_practices_note():
    # Given a referral whose first visit the prescriber recorded with a clinical note, no release
    world = ReferralWorld()
    referral = _seen_with_a_note(world)

    # When the therapist and the prescriber open the referral
    therapist_view = page(world.therapist, referral)
    practice_view = page(world.prescriber, referral)

    # Then the therapist sees the move but not the note, and nothing is in the accounting
    assert (
        f"First visit completed by {world.prescriber.display_name} (note withheld)"
        in therapist_view
    )
    assert "Zqcanary" not in therapist_view
    assert Disclosure.objects.filter(category=Category.CONSULT_NOTES).count() == 0
    # And the practice reads its own note
    assert f"First visit completed by {world.prescriber.display_name}: “{NOTE}”" in practice_view


def test_under_a_release_for_consultation_notes_the_therapist_reads_the_note_recorded_once():
    # Given the same referral and a two-way release covering consultation notes
    world = ReferralWorld()
    referral = _seen_with_a_note(world)
    world.release([Category.CONSULT_NOTES])

    # When the therapist opens the referral twice
    first = page(world.therapist, referral)
    page(world.therapist, referral)

    # Then the note shows, and its disclosure is in the accounting once, from the prescriber
    assert f"First visit completed by {world.prescriber.display_name}: “{NOTE}”" in first
    event = referral.events.get(to_status=S.FIRST_VISIT_DONE)
    assert list(
        Disclosure.objects.filter(category=Category.CONSULT_NOTES).values_list(
            "object_type", "object_id", "recipient_organisation", "disclosed_by", "description"
        )
    ) == [
        (
            "referrals.referralevent",
            str(event.pk),
            world.therapy.pk,
            world.prescriber.pk,
            "Referral history: the practice's note (first visit completed)",
        )
    ]
