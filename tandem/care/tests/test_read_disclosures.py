"""Read-time disclosures: the first showing of an item to another organisation is accounted, once.

An item written while no release covered it is held; when the client signs a
release later (or the writing practice turns on the treatment exception) care
pages start showing it to the other organisation. That showing is a disclosure
(45 CFR 164.528) and lands in the client's accounting exactly once per item and
recipient organisation, at a constant number of queries per page.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.checkins import actions as checkin_actions
from tandem.care.crisis import actions as crisis_actions
from tandem.care.crisis import selectors as crisis_selectors
from tandem.care.medications import actions as medication_actions
from tandem.care.messaging import actions as message_actions
from tandem.care.models import MedicationChange
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.consent import actions as consent_actions
from tandem.consent import timeline as consent_timeline
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.core.roles import Role
from tandem.core.tests.factories import add_to_care_team, make_staff

pytestmark = pytest.mark.django_db

ANSWER = {"change": "better", "functioning": "Back at work full time.", "engagement": "full"}
DRUGS = ["sertraline", "bupropion", "mirtazapine", "buspirone", "lamotrigine"]


def start(world, drug="sertraline"):
    event, result = medication_actions.record_medication(
        actor=world.prescriber, client=world.client, change=MedicationChange.START,
        drug=drug, dose="25", unit="mg", frequency="once daily", reason="Panic attacks persist.",
    )  # fmt: skip
    return event, result


def medications_page(world):
    return reverse("care:medications", kwargs={"client_id": world.client.public_id})


def accounting_page(world):
    return text(http(world.client_user).get(reverse("consent:disclosures")))


def test_a_medication_held_until_a_release_is_signed_is_accounted_the_first_time_it_shows():
    # Given the prescriber started a medication while no release covered it (held from the
    # therapist, nothing accounted), and the client signs the release afterwards
    world = CareWorld(release=False)
    event, result = start(world)
    assert result.delivered == []
    assert not Disclosure.objects.exists()
    assert "Nothing has been shared yet." in accounting_page(world)
    release = world.collaboration_release()

    # When the therapist opens the medications page, twice
    first = http(world.therapist).get(medications_page(world))
    http(world.therapist).get(medications_page(world))

    # Then the medication shows, and exactly one disclosure is accounted for it
    assert 'data-drug="sertraline"' in first.content.decode()
    row = Disclosure.objects.get()
    assert (
        row.object_type, row.object_id, row.category, row.purpose, row.basis, row.release,
        row.recipient_organisation, row.recipient_user, row.source_organisation,
        row.first_shown, row.description,
    ) == (
        "care.medicationevent", str(event.public_id), "medications", "treatment_coordination",
        "allowed_by_release", release, world.therapy, world.therapist, world.psychiatry,
        True, f"Medication update {event.reference}",
    )  # fmt: skip
    # And it is audited as a disclosure by the reader, by reference only
    audit = AuditEvent.objects.filter(action=AuditAction.DISCLOSE).get()
    assert (audit.actor_id, audit.client_id, audit.detail) == (
        world.therapist.pk,
        str(world.client.public_id),
        {"first_shown": [str(row.public_id)]},
    )
    # And the client reads it in their accounting
    page = accounting_page(world)
    assert "Nothing has been shared yet." not in page
    assert f"Current medications: Medication update {event.reference}" in page
    assert world.therapy.name in page


def test_a_second_reader_of_the_same_organisation_adds_no_second_row():
    world = CareWorld(release=False)
    start(world)
    world.collaboration_release()
    http(world.therapist).get(medications_page(world))
    colleague = make_staff(Role.THERAPIST, world.therapy)
    add_to_care_team(world.client, colleague, Role.THERAPIST)

    http(colleague).get(reverse("care:timeline", kwargs={"client_id": world.client.public_id}))

    assert Disclosure.objects.count() == 1


def test_an_item_sent_under_the_release_is_not_accounted_again_when_it_shows():
    # Given a medication delivered under the release at once (accounted when sent)
    world = CareWorld()
    event, result = start(world)
    assert [m.user for m in result.delivered] == [world.therapist]
    assert Disclosure.objects.count() == 1

    # When the therapist reads it on the medications page and the timeline
    http(world.therapist).get(medications_page(world))
    http(world.therapist).get(
        reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    )

    # Then the accounting still holds the one row of its sending
    assert list(Disclosure.objects.values_list("object_id", "first_shown")) == [
        (str(event.public_id), False)
    ]


def test_the_treatment_exception_turned_on_later_is_the_basis_of_the_row():
    # Given a medication held for want of a release, then the prescriber's practice turns on
    # disclosures for treatment without a release
    world = CareWorld(release=False)
    event, _ = start(world)
    world.psychiatry.treatment_disclosures_without_release = True
    world.psychiatry.save()

    # When the therapist opens the timeline
    page = http(world.therapist).get(
        reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    )

    # Then the medication shows and is accounted under the treatment exception
    assert "sertraline" in text(page)
    row = Disclosure.objects.get()
    assert (row.object_id, row.basis, row.release, row.recipient_organisation) == (
        str(event.public_id),
        "allowed_treatment_exception",
        None,
        world.therapy,
    )
    accounting = accounting_page(world)
    assert "Nothing has been shared yet." not in accounting
    assert "Treatment between providers, without a release" in accounting


def test_held_check_ins_and_messages_are_accounted_when_they_first_show():
    # Given a progress update and a message from the therapist, both held (no release)
    world = CareWorld(release=False)
    checkin, _ = checkin_actions.send_progress_update(
        actor=world.therapist, client=world.client, data=ANSWER
    )
    thread, _ = message_actions.start_thread(
        actor=world.therapist, client=world.client, subject="Sleep", body="Sleeping better?"
    )
    message = thread.messages.get()
    assert not Disclosure.objects.exists()
    world.collaboration_release()

    # When the prescriber opens the timeline and the thread
    http(world.prescriber).get(
        reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    )
    http(world.prescriber).get(reverse("care:thread", kwargs={"thread_id": thread.public_id}))

    # Then each item shown is accounted once, to the prescriber's practice
    rows = set(
        Disclosure.objects.values_list(
            "object_type", "object_id", "category", "recipient_organisation"
        )
    )
    psychiatry = world.psychiatry.pk
    assert rows == {
        ("care.progresscheckin", str(checkin.public_id), "progress_updates", psychiatry),
        ("care.message", str(message.public_id), "clinician_messages", psychiatry),
        ("care.messagethread", str(thread.public_id), "clinician_messages", psychiatry),
    }


def test_nothing_withheld_is_accounted():
    world = CareWorld(release=False)
    start(world)

    page = http(world.therapist).get(
        reverse("care:timeline", kwargs={"client_id": world.client.public_id})
    )

    assert "Withheld" in text(page)
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def _first_view_queries(count):
    world = CareWorld(release=False)
    for drug in DRUGS[:count]:
        start(world, drug)
    world.collaboration_release()
    browser = http(world.therapist)
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(medications_page(world))
    assert page.content.decode().count('data-event="start"') == count
    assert Disclosure.objects.filter(client=world.client, first_shown=True).count() == count
    return len(queries)


def test_accounting_the_first_showing_costs_the_same_queries_for_one_item_as_for_many():
    assert _first_view_queries(1) == _first_view_queries(len(DRUGS))


def test_two_readers_racing_past_the_check_still_leave_one_row():
    # Given a medication held until the release, then shown to the therapist's practice
    world = CareWorld(release=False)
    event, _ = start(world)
    world.collaboration_release()
    gate = consent_timeline.Gate(world.therapist, world.client, world.therapy.pk)
    gate(Category.MEDICATIONS, world.psychiatry.pk, world.prescriber.pk, obj=event)
    [item] = gate.shown

    # When two page loads both found nothing accounted and both insert
    consent_actions._insert_shown(
        world.therapist, world.client, world.therapy.pk, "treatment_coordination", [item]
    )
    consent_actions._insert_shown(
        world.therapist, world.client, world.therapy.pk, "treatment_coordination", [item]
    )

    # Then the unique constraint on first showings keeps it to one row
    assert Disclosure.objects.filter(first_shown=True).count() == 1


def test_the_safety_plan_and_the_alert_are_accounted_when_first_shown():
    # Given the therapist's safety plan and alert, both held (no release), released later
    world = CareWorld(release=False)
    crisis_actions.save_safety_plan(
        actor=world.therapist,
        client=world.client,
        sections={"warning_signs": "Not sleeping."},
        base_version=0,
    )
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Said she has a plan.", "Called her; safe now."
    )
    held_rows = Disclosure.objects.count()
    world.collaboration_release()

    # When the prescriber opens the safety plan and the alert
    http(world.prescriber).get(
        reverse("care:safety_plan", kwargs={"client_id": world.client.public_id})
    )
    page = http(world.prescriber).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))

    # Then each is accounted once to the prescriber's practice
    assert "Said she has a plan." in text(page)
    new = Disclosure.objects.filter(first_shown=True)
    assert Disclosure.objects.count() == held_rows + 2
    assert sorted(new.values_list("object_type", "description")) == [
        ("care.safetyalert", f"Safety alert {alert.reference}"),
        ("care.safetyplan", "Safety plan"),
    ]


def test_a_check_in_page_accounts_only_the_check_in_it_shows():
    # Given two progress updates held for want of a release, released later
    world = CareWorld(release=False)
    shown, _ = checkin_actions.send_progress_update(
        actor=world.therapist, client=world.client, data=ANSWER
    )
    checkin_actions.send_progress_update(actor=world.therapist, client=world.client, data=ANSWER)
    world.collaboration_release()

    # When the prescriber opens the first one's page
    page = http(world.prescriber).get(
        reverse("care:checkin", kwargs={"checkin_id": shown.public_id})
    )

    # Then it shows, and only it is accounted
    assert "Back at work full time." in text(page)
    assert list(Disclosure.objects.values_list("object_id", flat=True)) == [str(shown.public_id)]


def test_alert_details_shown_under_the_serious_threat_setting_turned_on_later_are_accounted():
    # Given the therapist's alert, held from the prescriber (no release, setting off), then
    # the therapist's practice turns on sharing crisis details without a release
    world = CareWorld(release=False)
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Said she has a plan.", "Called her; safe now."
    )
    assert not Disclosure.objects.exists()
    settings = crisis_selectors.care_settings(world.therapy)
    settings.share_safety_details_without_release = True
    settings.save()

    # When the prescriber opens the alert twice
    page = http(world.prescriber).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))
    http(world.prescriber).get(reverse("care:alert", kwargs={"alert_id": alert.public_id}))

    # Then the details show, accounted once under 45 CFR 164.512(j)
    assert "Said she has a plan." in text(page)
    row = Disclosure.objects.get()
    assert (row.object_id, row.basis, row.release, row.recipient_organisation, row.description) == (
        str(alert.public_id),
        crisis_selectors.SERIOUS_THREAT_BASIS,
        None,
        world.psychiatry,
        f"Safety alert {alert.reference} (serious threat)",
    )


def test_a_safety_plan_shown_under_the_serious_threat_setting_is_accounted_once():
    world = CareWorld(release=False)
    crisis_actions.save_safety_plan(
        actor=world.therapist,
        client=world.client,
        sections={"warning_signs": "Not sleeping."},
        base_version=0,
    )
    settings = crisis_selectors.care_settings(world.therapy)
    settings.share_safety_details_without_release = True
    settings.save()
    path = reverse("care:safety_plan", kwargs={"client_id": world.client.public_id})

    page = http(world.prescriber).get(path)
    http(world.prescriber).get(path)

    assert "Not sleeping." in text(page)
    row = Disclosure.objects.get()
    assert (row.object_type, row.basis, row.release, row.description) == (
        "care.safetyplan",
        crisis_selectors.SERIOUS_THREAT_BASIS,
        None,
        "Safety plan (serious threat)",
    )
