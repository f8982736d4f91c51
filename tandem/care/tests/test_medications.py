"""Medication updates: the prescriber records, the therapist is told at once without PHI."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.care.medications import actions as medication_actions
from tandem.care.medications import drugs as medications
from tandem.care.medications import selectors as medication_selectors
from tandem.care.models import MedicationChange
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.consent.models import Disclosure
from tandem.core.policy import Forbidden
from tandem.notifications.models import Notification, NotificationKind
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db


def start(world, drug="sertraline", **overrides):
    kwargs = {
        "actor": world.prescriber,
        "client": world.client,
        "change": MedicationChange.START,
        "drug": drug,
        "dose": "25",
        "unit": "mg",
        "frequency": "once daily",
        "reason": "Panic attacks persist after CBT.",
        "watch_for": "Activation or restlessness in the first two weeks; sleep change.",
    } | overrides
    return medication_actions.record_medication(**kwargs)


def test_a_start_reaches_the_therapist_at_once_with_no_phi_in_the_email(
    django_capture_on_commit_callbacks,
):
    world = CareWorld()
    with django_capture_on_commit_callbacks(execute=True):
        event, result = start(world)
    run_worker()

    assert [m.user for m in result.delivered] == [world.therapist]
    assert event.rxcui == "36437"
    assert (
        Disclosure.objects.filter(
            object_id=str(event.public_id), category="medications", recipient_user=world.therapist
        ).count()
        == 1
    )
    told = Notification.objects.get(
        recipient=world.therapist, kind=NotificationKind.MEDICATION_UPDATE
    )
    assert told.link == f"/care/clients/{world.client.public_id}/medications/"
    [email] = [m for m in mail.outbox if "medication" in m.body]
    for phi in ("sertraline", world.client.first_name, world.client.last_name, "Panic", "25 mg"):
        assert phi not in email.subject + email.body
    assert "a client's medication was updated" in email.body


def test_dose_change_and_stop_build_the_current_list_and_history():
    world = CareWorld()
    start(world)
    start(world, drug="levothyroxine", dose="50", unit="mcg", frequency="every morning")
    medication_actions.record_medication(
        actor=world.prescriber,
        client=world.client,
        change=MedicationChange.DOSE_CHANGE,
        drug="sertraline",
        dose="50",
        unit="mg",
        frequency="once daily",
    )
    medication_actions.record_medication(
        actor=world.prescriber,
        client=world.client,
        change=MedicationChange.STOP,
        drug="levothyroxine",
    )

    view = medication_selectors.medication_list(world.therapist, world.client)

    assert [(e.drug, str(e.dose), e.unit) for e in view.current] == [("sertraline", "50.000", "mg")]
    assert [(e.change, e.drug) for e in view.history] == [
        ("stop", "levothyroxine"),
        ("dose_change", "sertraline"),
        ("start", "levothyroxine"),
        ("start", "sertraline"),
    ]
    page = text(
        http(world.therapist).get(
            reverse("care:medications", kwargs={"client_id": world.client.public_id})
        )
    )
    assert "sertraline (RxCUI 36437) 50 mg once daily" in page


def test_bad_input_names_the_field_and_the_rule():
    world = CareWorld()
    with pytest.raises(ValidationError) as bad:
        start(world, drug="snake oil", dose="-1", unit="spoon", frequency="")
    assert set(bad.value.message_dict) == {"drug", "dose", "unit", "frequency"}
    assert bad.value.message_dict["dose"] == ["Give the dose as a positive number, e.g. 50 or 0.5."]

    start(world)
    with pytest.raises(ValidationError) as twice:
        start(world)
    assert twice.value.message_dict["drug"] == [
        "sertraline is already active; record a dose change instead."
    ]
    with pytest.raises(ValidationError) as not_active:
        medication_actions.record_medication(
            actor=world.prescriber,
            client=world.client,
            change=MedicationChange.STOP,
            drug="bupropion",
        )
    assert not_active.value.message_dict["drug"] == [
        "bupropion is not an active medication; record a start first."
    ]


def test_only_the_prescriber_records_and_the_therapist_cannot_post_the_form():
    world = CareWorld()
    with pytest.raises(Forbidden):
        start(world, actor=world.therapist)
    path = reverse("care:medications", kwargs={"client_id": world.client.public_id})
    response = http(world.therapist).post(
        path,
        {"change": "start", "drug": "sertraline", "dose": "25", "unit": "mg", "frequency": "daily"},
    )
    assert response.status_code == 404
    assert medication_selectors.medication_list(world.prescriber, world.client).history == []

    ok = http(world.prescriber).post(
        path,
        {"change": "start", "drug": "sertraline", "dose": "25", "unit": "mg", "frequency": "daily"},
    )
    assert ok.status_code == 302
    assert [
        e.drug for e in medication_selectors.medication_list(world.therapist, world.client).current
    ] == ["sertraline"]


def test_the_shipped_list_has_unique_names_and_numeric_rxcuis_or_none():
    drugs = medications.by_name()
    assert len(drugs) == len(medications.choices())
    assert all(re.fullmatch(r"\d+", d.rxcui) for d in drugs.values() if d.rxcui)
    assert drugs["vortioxetine"].rxcui == "1455099"
    assert drugs["quetiapine"].rxcui == ""  # not verified: left blank rather than guessed


def test_a_referral_only_release_does_not_let_a_medication_update_flow():
    """Given the client's release names referral as its only purpose, when the prescriber
    records a medication start, then the therapist's practice is not sent it."""
    from tandem.consent.categories import Purpose

    world = CareWorld(release=False)
    world.signed(categories=["medications"], purpose=Purpose.REFERRAL)

    event, result = start(world)

    assert result.delivered == []
    assert not Disclosure.objects.filter(object_id=str(event.public_id)).exists()


def test_a_release_for_referral_and_coordination_lets_a_medication_update_flow():
    from tandem.consent.categories import Purpose

    world = CareWorld(release=False)
    world.signed(categories=["medications"], purpose=Purpose.REFERRAL_AND_COORDINATION)

    event, result = start(world)

    assert [m.user for m in result.delivered] == [world.therapist]
    assert (
        Disclosure.objects.filter(
            object_id=str(event.public_id), category="medications", recipient_user=world.therapist
        ).count()
        == 1
    )
