"""Every resource Tandem emits validates as FHIR (fhir.resources R4B models) and says the right thing."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tandem.care.medications.actions import record_medication
from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import CareWorld
from tandem.fhir import codes, mapping
from tandem.fhir.validation import InvalidResource, parse, validated
from tandem.measures import actions as measures_actions
from tandem.measures.models import ResponseSource
from tandem.organisations.models import Membership
from tandem.referrals import actions as referral_actions
from tandem.scheduling import actions as scheduling_actions
from tandem.scheduling import selectors as scheduling_selectors
from tandem.scheduling.tests.factories import Practice

pytestmark = pytest.mark.django_db


def test_people_and_practices_validate():
    world = CareWorld()
    membership = Membership.objects.select_related("user", "organisation").get(
        user=world.prescriber
    )

    patient = validated(mapping.patient(world.client))
    practitioner = validated(mapping.practitioner(world.prescriber))
    role = validated(mapping.practitioner_role(membership))
    org = validated(mapping.organization(world.psychiatry))

    assert patient["id"] == str(world.client.public_id)
    assert patient["birthDate"] == world.client.date_of_birth.isoformat()
    assert practitioner["qualification"][0]["code"]["text"] == "Physician (MD)"
    assert role["code"][0]["coding"][0]["code"] == "prescriber"
    assert role["organization"] == {"reference": f"Organization/{world.psychiatry.public_id}"}
    assert org["name"] == "Harborlight Psychiatry"


def test_a_sent_referral_is_a_service_request_and_a_task_with_its_response_clock():
    world = CareWorld()
    referral = world.sent()

    request = validated(mapping.service_request(referral, ["reasons", "diagnoses"]))
    task = validated(mapping.task(referral))

    assert request["status"] == "active"
    assert {c["coding"][0]["code"] for c in request["reasonCode"]} == {
        "treatment_resistant",
        "F41.1",
        "F41.0",
    }
    assert request["meta"]["security"] == [codes.SECURITY_REDACTED]  # the rest was withheld
    assert "note" not in request or all(n["id"] == "symptoms_tried" for n in request["note"])
    assert task["status"] == "requested"
    assert task["businessStatus"]["text"] == "created"
    assert task["restriction"]["period"]["end"] == mapping.instant(referral.due_at)
    assert task["focus"] == {"reference": f"ServiceRequest/{referral.public_id}"}


@pytest.mark.parametrize(
    ("status", "task_status", "business"),
    [
        ("accepted", "accepted", "accepted"),
        ("declined", "rejected", "declined"),
        ("scheduled", "in-progress", "event scheduled"),
        ("no_show", "in-progress", "scheduled event unattended"),
        ("first_visit_done", "in-progress", "event completed"),
        ("consult_note_sent", "completed", "fulfillment completed"),
        ("cancelled", "cancelled", "cancelled"),
    ],
)
def test_every_referral_state_has_a_task_status_and_a_bser_business_status(
    status, task_status, business
):
    assert codes.TASK_STATUS[status] == (task_status, business)


def test_a_release_is_a_consent_that_turns_inactive_when_revoked():
    world = CareWorld()
    release = world.release

    active = validated(mapping.consent(release))
    from tandem.consent.actions import revoke_release

    revoked = validated(mapping.consent(revoke_release(actor=world.client_user, release=release)))

    assert active["status"] == "active"
    assert {c["code"] for c in active["provision"]["class"]} == set(release.categories)
    assert {a["reference"]["reference"] for a in active["provision"]["actor"]} == {
        f"Organization/{world.therapy.public_id}",
        f"Organization/{world.psychiatry.public_id}",
    }
    assert revoked["status"] == "inactive"
    assert revoked["provision"]["period"]["end"].startswith(timezone.now().date().isoformat()[:4])


def test_a_signed_consult_note_is_a_document_reference_with_its_pdf():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    note.refresh_from_db()

    doc = validated(mapping.document_reference(note, b"%PDF-1.7 synthetic"))

    assert doc["type"]["coding"][0]["code"] == "11488-4"
    assert doc["docStatus"] == "final"
    assert doc["content"][0]["attachment"]["contentType"] == "application/pdf"
    assert doc["author"] == [{"reference": f"Practitioner/{world.prescriber.public_id}"}]


def test_a_medication_change_is_a_medication_statement():
    world = CareWorld()
    event, _ = record_medication(
        actor=world.prescriber,
        client=world.client,
        change="start",
        drug="sertraline",
        dose="25",
        unit="mg",
        frequency="daily",
    )

    statement = validated(mapping.medication_statement(event))

    assert statement["status"] == "active"
    assert statement["medicationCodeableConcept"]["text"] == "sertraline"
    assert statement["dosage"] == [{"text": "25 mg daily"}]


@pytest.mark.parametrize(
    ("instrument", "answers", "panel", "total_code", "total"),
    [
        ("phq-9", [2, 2, 2, 1, 1, 1, 1, 1, 0], "44249-1", "44261-6", 11),
        ("gad-7", [1, 1, 1, 1, 1, 1, 1], "69737-5", "70274-6", 7),
    ],
)
def test_questionnaire_answers_and_total_score_carry_loinc_codes(
    instrument, answers, panel, total_code, total
):
    world = CareWorld()
    response = measures_actions.record_response(
        world.prescriber,
        world.client,
        instrument,
        answers,
        source=ResponseSource.CLINICIAN,
        idempotency_key=uuid.uuid4(),
        organisation=world.psychiatry,
    )

    answered = validated(mapping.questionnaire_response(response))
    score = validated(mapping.score_observation(response))

    assert answered["questionnaire"] == f"http://loinc.org/{panel}"
    assert len(answered["item"]) == len(answers)
    assert answered["item"][0]["definition"].startswith("http://loinc.org|")
    assert score["code"]["coding"][0]["code"] == total_code
    assert score["valueQuantity"]["value"] == total
    assert score["interpretation"][0]["text"] == response.band


def test_an_appointment_validates_with_its_participants():
    practice = Practice()
    first_open = scheduling_selectors.slots(practice.org, practice.new_eval, weeks=3)[0]
    appointment = scheduling_actions.hold_slot(
        actor=practice.client_user,
        organisation=practice.org,
        prescriber=practice.prescriber,
        appointment_type=practice.new_eval,
        starts_at=first_open.starts_at,
        client=practice.client,
    )

    resource = validated(mapping.appointment(appointment))

    assert resource["status"] == "proposed"
    assert resource["participant"][0]["actor"] == {
        "reference": f"Patient/{practice.client.public_id}"
    }


def test_an_invalid_resource_names_the_path_of_the_bad_element():
    with pytest.raises(InvalidResource) as caught:
        parse(
            {
                "resourceType": "Task",
                "status": "requested",
                "intent": "order",
                "focus": {"reference": 7},
            },
            "Task",
            "Bundle.entry[1].resource",
        )

    assert [p.path for p in caught.value.problems] == ["Bundle.entry[1].resource.focus.reference"]


def test_referral_decline_is_rejected_with_its_reason():
    world = CareWorld()
    referral = referral_actions.decline(
        actor=world.coordinator, referral=world.sent(), decline_reason="coverage"
    )

    task = validated(mapping.task(referral))

    assert (task["status"], task["businessStatus"]["text"]) == ("rejected", "declined")
    assert task["statusReason"]["text"] == "Coverage not accepted"
    assert dt.datetime.fromisoformat(task["lastModified"]) <= timezone.now()


def test_a_scope_covers_what_it_names_and_no_more():
    from tandem.fhir.scopes import covers, permits

    granted = "system/*.read system/ServiceRequest.write"

    assert permits(granted, "Consent", "read")
    assert not permits(granted, "Consent", "write")
    assert permits(granted, "ServiceRequest", "write")
    assert covers(granted, "system/ServiceRequest.*")
    assert not covers(granted, "system/Task.*")
    assert not covers(granted, "user/Task.read")
