"""The FHIR API end to end: tokens and scopes, the referral round trip, consent, search, errors."""

import pytest
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import CareWorld
from tandem.consent.actions import revoke_release
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.fhir import codes
from tandem.fhir.tests.factories import (
    Api,
    api_for,
    system_client,
    token_for,
    token_response,
    utc_today,
)
from tandem.fhir.validation import validated
from tandem.referrals.models import Referral
from tandem.referrals.selectors import inbox
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld
from tandem.tests.support.http import Client

from .referral_bundle import referral_bundle

pytestmark = pytest.mark.django_db


def _codes(service_request):
    return {c["coding"][0]["code"] for c in service_request.get("reasonCode", [])}


# --- tokens and scopes ------------------------------------------------------------------


def test_a_system_gets_a_token_for_no_more_than_the_scopes_its_practice_gave_it():
    world = CareWorld()
    system = system_client(world.therapist, scopes="system/ServiceRequest.read")

    granted = token_response(system)
    too_much = token_response(system, scope="system/*.write")

    assert granted.status_code == 200
    assert granted.json()["scope"] == "system/ServiceRequest.read"
    assert too_much.status_code == 400
    assert too_much.json()["error"] == "invalid_scope"


def test_without_a_token_or_with_an_unknown_one_the_answer_is_401_with_an_outcome():
    world = CareWorld()
    referral = world.sent()

    anonymous = Client().get(f"/fhir/Task/{referral.public_id}")
    forged = Api("not-a-token").get(f"/fhir/Task/{referral.public_id}")

    for response in (anonymous, forged):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        outcome = validated(response.json())
        assert outcome["issue"][0]["code"] == "login"


def test_a_token_without_the_right_scope_gets_403_and_nothing_of_the_resource():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.therapist, scopes="system/Patient.read")

    response = api.get(f"/fhir/ServiceRequest/{referral.public_id}")

    assert response.status_code == 403
    outcome = validated(response.json())
    assert outcome["issue"][0]["code"] == "forbidden"
    assert str(world.client.last_name) not in response.content.decode()


def test_a_system_acts_only_as_its_practice_even_when_its_person_works_elsewhere_too():
    world = CareWorld()
    referral = world.sent()
    from tandem.core.tests.factories import MembershipFactory, OrganisationFactory

    elsewhere = OrganisationFactory()
    MembershipFactory(user=world.therapist, organisation=elsewhere, role="therapist")
    api = api_for(world.therapist, organisation=elsewhere)

    response = api.get(f"/fhir/ServiceRequest/{referral.public_id}")

    assert response.status_code == 404
    assert validated(response.json())["issue"][0]["code"] == "not-found"


def test_metadata_is_a_capability_statement_naming_what_is_supported():
    response = Client().get("/fhir/metadata")

    statement = validated(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"ServiceRequest", "Task", "DocumentReference", "Consent", "Patient"} <= types


# --- the round trip ---------------------------------------------------------------------


def test_round_trip_referral_in_accepted_on_the_web_task_reflects_it_and_the_note_comes_back():
    world = CareWorld()
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES)
    therapist_ehr = api_for(world.therapist)
    practice_ehr = api_for(world.prescriber)
    bundle = referral_bundle(world.client, world.psychiatry)

    # The therapist's EHR sends the referral in, twice (a retry)
    first = therapist_ehr.post("/fhir/", bundle)
    again = therapist_ehr.post("/fhir/", bundle)

    assert first.status_code == 200, first.content
    answer = validated(first.json())
    referral = Referral.objects.get()
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created", "201 Created"]
    assert answer["entry"][1]["response"]["location"].startswith(f"Task/{referral.public_id}/")
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK", "200 OK"]
    assert Referral.objects.count() == 1
    # and it is in the practice's inbox
    assert list(inbox(world.coordinator)) == [referral]

    # The coordinator accepts it on the web page
    web = Client()
    web.force_login(world.coordinator)
    accepted = web.post(
        f"/referrals/{referral.public_id}/move/",
        {
            "target": "accepted",
            "accepted-expected_version": referral.version,
            "accepted-assigned_prescriber": world.prescriber.pk,
        },
    )
    assert accepted.status_code in (200, 302)

    # The Task read back over FHIR says so
    task = practice_ehr.get(f"/fhir/Task/{referral.public_id}")
    assert task.status_code == 200
    assert (task.json()["status"], task.json()["businessStatus"]["text"]) == (
        "accepted",
        "accepted",
    )
    assert task["ETag"] == f'W/"{Referral.objects.get().version}"'

    # The prescriber signs the consult note; the therapist's EHR finds it as a DocumentReference
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    found = therapist_ehr.get("/fhir/DocumentReference", patient=str(world.client.public_id))

    bundle_out = validated(found.json())
    assert bundle_out["total"] == 1
    doc = bundle_out["entry"][0]["resource"]
    assert doc["id"] == str(note.public_id)
    assert doc["content"][0]["attachment"]["contentType"] == "application/pdf"
    import base64

    assert base64.b64decode(doc["content"][0]["attachment"]["data"]).startswith(b"%PDF")


def test_a_bad_bundle_is_refused_with_the_path_of_each_bad_element_and_nothing_is_stored():
    world = CareWorld()
    api = api_for(world.therapist)
    bundle = referral_bundle(world.client, world.psychiatry)
    bundle["entry"][0]["resource"]["reasonCode"].append(
        {"coding": [{"system": codes.ICD10CM, "code": "Q99.NOPE"}]}
    )
    bundle["entry"][1]["resource"]["focus"] = {"reference": 7}

    wrong_type = api.post("/fhir/", bundle)
    bundle["entry"][1]["resource"]["focus"] = {
        "reference": "urn:uuid:4a6e3b52-2d1c-4c1e-9a53-0d3c1f1f0001"
    }
    bad_code = api.post("/fhir/", bundle)

    assert wrong_type.status_code == 400
    assert validated(wrong_type.json())["issue"][0]["expression"] == [
        "Bundle.entry[1].resource.focus.reference"
    ]
    assert bad_code.status_code == 400
    issue = bad_code.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[0].resource.reasonCode"]
    assert "Q99.NOPE" in issue["diagnostics"]
    assert Referral.objects.count() == 0


def test_an_ineligible_referral_names_the_element_that_does_not_fit():
    world = CareWorld()
    api = api_for(world.therapist)
    bundle = referral_bundle(world.client, world.psychiatry)
    bundle["entry"][0]["resource"]["extension"][0]["extension"][3]["valueCode"] = "CA"

    response = api.post("/fhir/", bundle)

    assert response.status_code == 400
    paths = [i["expression"][0] for i in response.json()["issue"]]
    assert paths == [
        f"Bundle.entry[0].resource.extension('{codes.EXT_ELIGIBILITY}').extension('visit-state')"
    ]
    assert Referral.objects.count() == 0


def test_the_practice_without_write_scope_cannot_send_a_referral():
    world = CareWorld()
    api = api_for(world.therapist, scopes="system/*.read")

    response = api.post("/fhir/", referral_bundle(world.client, world.psychiatry))

    assert response.status_code == 403
    assert Referral.objects.count() == 0


# --- consent: withheld categories are absent, and a revocation takes them away ----------


def test_the_practice_reads_only_what_the_release_covers_and_a_revocation_removes_it():
    world = CareWorld(release=False)
    ReferralWorld.release(world, [Category.DIAGNOSIS, Category.TREATMENT_HISTORY])
    referral = world.sent()
    api = api_for(world.prescriber)
    url = f"/fhir/ServiceRequest/{referral.public_id}"

    before = validated(api.get(url).json())
    disclosed = Disclosure.objects.filter(client=world.client).count()
    release = world.client.releases.get(status="signed")
    revoke_release(actor=world.client_user, release=release)
    after = validated(api.get(url).json())

    assert _codes(before) == {"treatment_resistant", "F41.1", "F41.0"}
    assert {n["id"] for n in before["note"]} == {"symptoms_tried", "treatment_history"}
    assert "medical_history" not in {n["id"] for n in before["note"]}  # not covered
    assert before["meta"]["security"] == [codes.SECURITY_REDACTED]
    assert disclosed >= 1  # the accounting of disclosures has the read
    assert _codes(after) == set()
    assert "note" not in after
    assert after["meta"]["security"] == [codes.SECURITY_REDACTED]


def test_every_read_is_on_the_audit_trail_as_the_practice():
    world = CareWorld()
    referral = world.sent()
    api = api_for(world.prescriber)
    before = AuditEvent.objects.filter(action=AuditAction.VIEW).count()

    api.get(f"/fhir/Task/{referral.public_id}")

    event = AuditEvent.objects.filter(action=AuditAction.VIEW).order_by("pk").last()
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() == before + 1
    assert event.actor_id == world.prescriber.pk
    assert event.object_id == str(referral.public_id)
    assert event.organisation_id == str(world.psychiatry.public_id)


def test_a_note_no_release_covers_is_absent_from_the_therapists_search():
    world = CareWorld(release=False)
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    api = api_for(world.therapist)

    found = api.get("/fhir/DocumentReference", patient=str(world.client.public_id))
    read = api.get(f"/fhir/DocumentReference/{note.public_id}")

    assert found.json()["total"] == 0
    assert read.status_code == 404


# --- search -----------------------------------------------------------------------------


def test_search_pages_with_next_links_and_filters_by_patient_status_and_last_updated():
    world = CareWorld()
    for _ in range(3):
        world.sent()
    api = api_for(world.prescriber)

    first = api.get("/fhir/ServiceRequest", _count=2, status="active")
    page = validated(first.json())
    next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
    second = validated(api.http.get(next_url, **api.headers).json())
    tomorrow = (utc_today() + timezone.timedelta(days=1)).isoformat()
    none_later = api.get("/fhir/Task", _lastUpdated=f"ge{tomorrow}")
    other_patient = api.get("/fhir/Task", patient="Patient/00000000-0000-4000-8000-000000000000")

    assert page["total"] == 3
    assert len(page["entry"]) == 2
    assert len(second["entry"]) == 1
    assert "next" not in {link["relation"] for link in second["link"]}
    ids = {e["resource"]["id"] for e in page["entry"] + second["entry"]}
    assert ids == {str(r.public_id) for r in Referral.objects.all()}
    assert none_later.json()["total"] == 0
    assert other_patient.json()["total"] == 0


def test_a_bad_search_parameter_is_named_in_the_outcome():
    world = CareWorld()
    api = api_for(world.prescriber)

    unknown = api.get("/fhir/Task", colour="blue")
    count = api.get("/fhir/Task", _count="lots")
    date = api.get("/fhir/Task", _lastUpdated="geyesterday")

    assert [r.status_code for r in (unknown, count, date)] == [400, 400, 400]
    assert unknown.json()["issue"][0]["expression"] == ["colour"]
    assert count.json()["issue"][0]["expression"] == ["_count"]
    assert date.json()["issue"][0]["expression"] == ["_lastUpdated"]


def test_a_patient_off_the_callers_care_team_is_not_found():
    world = CareWorld()
    stranger_ehr = api_for(world.admin)

    response = stranger_ehr.get(f"/fhir/Patient/{world.client.public_id}")
    mine = api_for(world.therapist).get(f"/fhir/Patient/{world.client.public_id}")

    assert response.status_code == 404
    assert mine.status_code == 200
    assert validated(mine.json())["name"][0]["family"] == world.client.last_name


def test_token_for_helper_is_the_real_token_endpoint():
    world = CareWorld()
    token = token_for(system_client(world.therapist))

    assert Api(token).get(f"/fhir/Patient/{world.client.public_id}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        '{"resourceType": "Bundle", "type": "transaction", "entry": [1, 2,, ',
        "[]",
        '{"resourceType": "Patient"}',
        '{"resourceType": "Bundle", "type": "transaction", "entry": ["junk"]}',
        '{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Nope"}}]}',
        '{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Task", "status": "requested", "intent": "order"}, "request": {"method": "POST", "url": "Task"}}]}',
        '{"resourceType": "Bundle", "type": "batch"}',
    ],
)
def test_junk_bundles_get_an_outcome_never_a_server_error(body):
    world = CareWorld()
    api = api_for(world.therapist)

    response = api.http.post("/fhir/", body, content_type="application/fhir+json", **api.headers)

    assert response.status_code == 400, response.content
    assert validated(response.json())["resourceType"] == "OperationOutcome"
    assert Referral.objects.count() == 0


def test_junk_search_parameters_get_an_outcome_never_a_server_error():
    world = CareWorld()
    api = api_for(world.prescriber)
    junk = [
        {"patient": "not-a-uuid"},
        {"status": "x" * 600},
        {"_count": "0"},
        {"_count": "99999999999999999999"},
        {"_offset": "-1"},
        {"_lastUpdated": "ge2027-02-30"},
        {"_lastUpdated": "zz2026-01-01"},
    ]

    for kind in ("ServiceRequest", "Task", "DocumentReference", "Consent"):
        for params in junk:
            response = api.get(f"/fhir/{kind}", **params)
            assert response.status_code in (200, 400), (kind, params, response.status_code)
            validated(response.json())


def test_a_document_search_accounts_only_the_notes_it_sends():
    # Given two consult notes signed while no release let them across (held), then a release
    world = CareWorld(release=False)
    notes = []
    for _ in range(2):
        note = world.draft_note()
        note_actions.sign_and_send(actor=world.prescriber, note=note)
        notes.append(note)
    world.collaboration_release()
    accounted = Disclosure.objects.filter(category=Category.CONSULT_NOTES, client=world.client)
    before = accounted.count()
    api = api_for(world.therapist)

    # When the therapist's EHR asks for one document at a time
    page = api.get("/fhir/DocumentReference", patient=str(world.client.public_id), _count=1)

    # Then both are counted, one is sent, and the client's accounting names that one only
    body = validated(page.json())
    assert body["total"] == 2
    assert len(body["entry"]) == 1
    assert accounted.count() == before + 1
