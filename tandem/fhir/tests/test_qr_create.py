"""An EHR submits a completed PHQ-9 or GAD-7: POST /fhir/QuestionnaireResponse.

Stored and scored by the measures app's own action, so a positive item 9 raises the same
safety alert to the same people as the clinicians' form; each bad item is named by its
FHIRPath; the same identifier sent twice stores one response.
"""

import uuid

import pytest
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.models import SafetyAlert
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.fhir import codes
from tandem.fhir.tests.factories import api_for
from tandem.fhir.validation import validated
from tandem.measures.models import QuestionnaireResponse, ResponseSource
from tandem.measures.tests.test_safety_triage import TriageWorld
from tandem.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

PHQ9 = f"{codes.LOINC}/44249-1"
GAD7 = f"{codes.LOINC}/69737-5"


def _response(client, answers, *, questionnaire=PHQ9, key=None, **extra):
    key = key or uuid.uuid4()
    return {
        "resourceType": "QuestionnaireResponse",
        "identifier": {"system": codes.UUID_IDENTIFIER, "value": f"urn:uuid:{key}"},
        "questionnaire": questionnaire,
        "status": "completed",
        "subject": {"reference": f"Patient/{client.public_id}"},
        "authored": "2026-11-30T15:00:00Z",
        "item": [
            {"linkId": str(n), "answer": [{"valueInteger": value}]}
            for n, value in enumerate(answers, start=1)
            if value is not None
        ],
        **extra,
    }


def _told(kind):
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_an_ehr_submits_a_phq9_and_it_is_scored_stored_and_readable():
    # Given the therapy practice's EHR, acting for the client's therapist
    world = TriageWorld()
    api = api_for(world.therapist)
    body = _response(world.client, [1, 1, 1, 1, 1, 1, 1, 1, 0])

    # When it sends a completed PHQ-9
    sent = api.post("/fhir/QuestionnaireResponse", body)

    # Then it is stored, scored as on the form, and answered 201 with its Location
    assert sent.status_code == 201, sent.content
    stored = QuestionnaireResponse.objects.get(client=world.client)
    assert (stored.total, stored.band, stored.source) == (8, "mild", ResponseSource.EHR)
    assert stored.organisation == world.therapy
    assert stored.entered_by == world.therapist
    assert stored.entered_at.isoformat().startswith("2026-11-30T15:00:00")
    resource = validated(sent.json())
    assert resource["id"] == str(stored.public_id)
    assert sent["Location"].endswith(f"/fhir/QuestionnaireResponse/{stored.public_id}")
    assert resource["item"][0]["answer"] == [{"valueInteger": 1}]
    assert api.get(f"/fhir/Observation/{stored.public_id}").json()["valueQuantity"]["value"] == 8
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(stored.public_id))
    assert created.detail == {"instrument": "phq-9", "source": "ehr"}


def test_sending_the_same_identifier_twice_stores_one_response():
    world = TriageWorld()
    api = api_for(world.therapist)
    key = uuid.uuid4()
    body = _response(world.client, [1, 1, 1, 1, 1, 1, 1], questionnaire=GAD7, key=key)
    condition = f"identifier={codes.UUID_IDENTIFIER}|urn:uuid:{key}"

    first = api.post("/fhir/QuestionnaireResponse", body, HTTP_IF_NONE_EXIST=condition)
    second = api.post("/fhir/QuestionnaireResponse", body, HTTP_IF_NONE_EXIST=condition)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert QuestionnaireResponse.objects.filter(client=world.client).count() == 1


def test_a_positive_item_9_from_the_ehr_raises_the_same_alert_to_the_same_people(client):
    # Given the therapy practice's EHR and a psychiatric practice with an on-call prescriber
    world = TriageWorld()
    api = api_for(world.therapist)

    # When the EHR sends a PHQ-9 whose item 9 is "Nearly every day"
    sent = api.post("/fhir/QuestionnaireResponse", _response(world.client, [2] * 8 + [3]))

    # Then one urgent questionnaire alert is raised, naming the item and where it came from
    assert sent.status_code == 201
    alert = SafetyAlert.objects.get(client=world.client)
    assert (alert.level, alert.source) == ("urgent", "questionnaire")
    assert alert.summary == (
        "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
        "“Nearly every day” (3); sent by the practice's record system."
    )
    assert QuestionnaireResponse.objects.get(client=world.client).safety_alert_id == (
        alert.public_id
    )
    # and the team's prescriber and the on-call prescriber are paged, as for the form, and so
    # is the therapist the EHR acts for: a record system entered it, so no person has read
    # these answers yet (on the form, the clinician who typed them is not paged). Never the client.
    assert _told(NotificationKind.SAFETY_ALERT) == {
        world.prescriber.pk,
        world.on_call.pk,
        world.therapist.pk,
    }
    # and a recipient opens the alert, which shows its level; the client cannot
    client.force_login(world.prescriber)
    page = client.get(reverse("care:alert", args=[alert.public_id])).content.decode()
    assert "<dt>Level</dt><dd>Urgent: needs a response within the hour</dd>" in page
    client.force_login(world.client_user)
    assert client.get(reverse("care:alert", args=[alert.public_id])).status_code == 404


def test_each_bad_item_is_named_by_its_path_and_nothing_is_stored():
    world = TriageWorld()
    api = api_for(world.therapist)
    body = _response(world.client, [1, 1, 1, 7, 1, 1, 1, 1, 0])
    body["item"][6]["answer"] = [{"valueString": "often"}]
    body["item"].append({"linkId": "12", "answer": [{"valueInteger": 1}]})

    refused = api.post("/fhir/QuestionnaireResponse", body)

    assert refused.status_code == 400
    issues = validated(refused.json())["issue"]
    assert [i["expression"] for i in issues] == [
        ["QuestionnaireResponse.item[3].answer[0]"],
        ["QuestionnaireResponse.item[6].answer[0]"],
        ["QuestionnaireResponse.item[9].linkId"],
    ]
    assert "PHQ-9 item 4" in issues[0]["diagnostics"]
    assert "one of 0, 1, 2, 3; got 7" in issues[0]["diagnostics"]
    assert not QuestionnaireResponse.objects.exists()


def test_an_unknown_questionnaire_a_missing_identifier_or_subject_is_refused_by_name():
    world = TriageWorld()
    api = api_for(world.therapist)
    body = _response(world.client, [1] * 9, questionnaire="http://example.org/Questionnaire/x")
    del body["identifier"]
    body["subject"] = {"reference": "Group/1"}

    refused = api.post("/fhir/QuestionnaireResponse", body)
    malformed = api.post("/fhir/QuestionnaireResponse", {"resourceType": "Patient"})

    assert refused.status_code == 400
    paths = [i["expression"][0] for i in validated(refused.json())["issue"]]
    assert paths == [
        "QuestionnaireResponse.questionnaire",
        "QuestionnaireResponse.subject",
        "QuestionnaireResponse.identifier",
    ]
    assert malformed.status_code == 400
    assert not QuestionnaireResponse.objects.exists()


def test_a_client_not_on_the_callers_care_team_is_404_and_nothing_is_stored():
    world = TriageWorld()
    stranger = make_staff(Role.THERAPIST, world.therapy)  # same practice, not on the team

    refused = api_for(stranger).post(
        "/fhir/QuestionnaireResponse", _response(world.client, [2] * 8 + [3])
    )

    assert refused.status_code == 404
    assert validated(refused.json())["issue"][0]["code"] == "not-found"
    assert not QuestionnaireResponse.objects.exists()
    assert not SafetyAlert.objects.exists()


def test_a_token_without_the_write_scope_gets_403_and_nothing_is_stored():
    world = TriageWorld()
    api = api_for(world.therapist, scopes="system/*.read")

    refused = api.post("/fhir/QuestionnaireResponse", _response(world.client, [1] * 9))

    assert refused.status_code == 403
    assert validated(refused.json())["issue"][0]["code"] == "forbidden"
    assert not QuestionnaireResponse.objects.exists()


def test_the_same_identifier_from_another_practice_is_refused_not_handed_over():
    world = TriageWorld()
    key = uuid.uuid4()
    api_for(world.prescriber).post(
        "/fhir/QuestionnaireResponse", _response(world.client, [1] * 9, key=key)
    )

    reused = api_for(world.therapist).post(
        "/fhir/QuestionnaireResponse", _response(world.client, [3] * 9, key=key)
    )

    assert reused.status_code == 400
    assert validated(reused.json())["issue"][0]["code"] == "duplicate"
    assert "item" not in reused.json()
    assert QuestionnaireResponse.objects.filter(client=world.client).count() == 1
