"""Consent before the act: where something would be withheld, the page says so before the click
and offers the release to ask for, prepared with the right categories and parties."""

import html
import re

import pytest
from django.urls import reverse

from tandem.care.tests.factories import CareWorld
from tandem.consent.categories import Category
from tandem.referrals import selectors
from tandem.referrals.models import ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.tests.support.http import Client

pytestmark = pytest.mark.django_db


def _checked(form: str, category: str) -> bool:
    """Return whether the category's checkbox is ticked on the rendered form."""
    tag = form.split(f'value="{category}"')[1].split(">")[0]
    return "checked" in tag


def _as(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def test_therapist_is_told_before_sending_that_no_release_covers_the_packet_and_can_request_one():
    world = ReferralWorld()
    draft = world.drafted()

    page = _as(world.therapist).get(reverse("referrals:edit", args=[draft.public_id]))

    body = page.content.decode()
    gap = selectors.consent_gap(draft)
    assert gap is not None
    assert set(gap.categories) == {
        Category.TREATMENT_HISTORY,
        Category.DIAGNOSIS,
        Category.MEDICATIONS,
        Category.MEDICAL_HISTORY,
    }
    # Shown before the "Send referral" button, with the release request ready
    assert body.index("data-consent-gap") < body.index('value="send"')
    assert "Request a release from the client" in body
    assert gap.request_url.replace("&", "&amp;") in body
    assert f"source={world.therapy.public_id}" in gap.request_url
    assert f"recipient={world.psychiatry.public_id}" in gap.request_url

    # The link opens "prepare a release" filled in: the categories ticked, the parties chosen
    form = _as(world.therapist).get(gap.request_url).content.decode()
    for category in gap.categories:
        assert f'value="{category}" id="id_categories_' in form
        assert _checked(form, category)
    assert f'<option value="{world.therapy.public_id}" selected>' in form
    assert f'<option value="{world.psychiatry.public_id}" selected>' in form


def test_once_a_release_covers_the_packet_there_is_nothing_to_warn_about():
    world = ReferralWorld()
    world.release(
        [
            Category.TREATMENT_HISTORY,
            Category.DIAGNOSIS,
            Category.MEDICATIONS,
            Category.MEDICAL_HISTORY,
        ]
    )
    draft = world.drafted()

    body = _as(world.therapist).get(reverse("referrals:edit", args=[draft.public_id])).content
    assert selectors.consent_gap(draft) is None
    assert b"data-consent-gap" not in body


def test_coordinator_triaging_a_withheld_packet_can_ask_the_therapist_for_a_release():
    world = ReferralWorld()
    referral = world.sent()
    from tandem.referrals import actions

    referral = actions.NAMED_MOVES[ReferralStatus.RECEIVED](
        actor=world.coordinator, referral=referral
    )
    web = _as(world.coordinator)

    body = web.get(reverse("referrals:detail", args=[referral.public_id])).content.decode()

    assert "Withheld from your clinicians: no release covers it" in body
    # Minimum necessary: the front desk is not told which clinical parts were written.
    assert "Medical history" not in body.split("data-consent-gap")[1].split("</section>")[0]
    # The button posts the prepared question (as the page renders it)
    form = body.split("data-ask-release")[1].split("</form>")[0]
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    assert "share the referral packet with" in fields["info_requested-note"]
    response = web.post(reverse("referrals:move", args=[referral.public_id]), fields)
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.INFO_REQUESTED
    # The therapist, answering, sees the release to request
    therapist_page = _as(world.therapist).get(
        reverse("referrals:detail", args=[referral.public_id])
    )
    assert "Request a release from the client" in therapist_page.content.decode()


def test_prescriber_learns_before_signing_that_the_therapist_would_not_receive_the_note():
    world = CareWorld(release=False)
    note = world.draft_note()

    body = _as(world.prescriber).get(reverse("care:note_edit", args=[note.public_id]))
    text = body.content.decode()

    assert "data-would-hold" in text
    assert text.index("data-would-hold") < text.index('name="sign"')
    assert f"{world.therapist.display_name} ({world.therapy.name}) would not receive" in text
    assert "categories=consult_notes" in text
    assert f"recipient={world.therapy.public_id}" in text


def test_no_warning_when_the_release_covers_consult_notes():
    world = CareWorld()
    note = world.draft_note()

    text = _as(world.prescriber).get(reverse("care:note_edit", args=[note.public_id])).content
    assert b"data-would-hold" not in text
