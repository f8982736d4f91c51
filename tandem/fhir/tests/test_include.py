"""_include on searches: what a page's matches point at, through the same doors as a read."""

import pytest

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.tests.factories import CareWorld
from tandem.fhir.tests.factories import api_for
from tandem.fhir.validation import validated
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld

pytestmark = pytest.mark.django_db


def _by_mode(bundle):
    found: dict[str, list[dict]] = {"match": [], "include": []}
    for entry in bundle["entry"]:
        found[entry["search"]["mode"]].append(entry["resource"])
    return found


def test_service_requests_with_their_patient_included_once():
    # Given two referrals of the same client, on the therapist's caseload
    world = CareWorld()
    world.sent()
    world.sent()
    api = api_for(world.therapist)

    # When the therapist's EHR searches them, including the patient
    response = api.get("/fhir/ServiceRequest", _include="ServiceRequest:patient")

    # Then the client comes along once, marked as included, as a read of them answers
    body = validated(response.json())
    found = _by_mode(body)
    assert len(found["match"]) == 2
    assert body["total"] == 2
    assert found["include"] == [api.get(f"/fhir/Patient/{world.client.public_id}").json()]


def test_tasks_with_their_service_request_included_as_a_read_of_it_answers():
    # Given a release covering part of the packet only, so the ServiceRequest is redacted
    world = CareWorld(release=False)
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES[:1])
    referral = world.sent()
    api = api_for(world.prescriber)
    before = AuditEvent.objects.filter(action=AuditAction.VIEW).count()

    response = api.get("/fhir/Task", _include="Task:focus")

    found = _by_mode(validated(response.json()))
    assert [r["resourceType"] for r in found["match"]] == ["Task"]
    assert found["include"] == [api.get(f"/fhir/ServiceRequest/{referral.public_id}").json()]
    assert found["include"][0]["meta"]["security"][0]["code"] == "REDACTED"
    # And the included read is on the audit trail, as the matched one is
    reads = AuditEvent.objects.filter(action=AuditAction.VIEW).order_by("pk")[before : before + 2]
    assert [e.detail.get("via") for e in reads] == ["fhir-search", "fhir-include"]


def test_an_included_resource_the_caller_may_not_read_is_absent():
    # Given a sent referral: the practice's coordinator works the inbox, but is not yet on the
    # client's care team, so may not read the client
    world = ReferralWorld()
    world.sent()
    api = api_for(world.coordinator)

    response = api.get("/fhir/ServiceRequest", _include="ServiceRequest:patient")

    found = _by_mode(validated(response.json()))
    assert len(found["match"]) == 1
    assert found["include"] == []


def test_an_include_not_offered_is_refused_naming_the_parameter():
    world = CareWorld()
    api = api_for(world.therapist)

    response = api.get("/fhir/ServiceRequest", _include="ServiceRequest:requester")
    wildcard = api.get("/fhir/Consent", _include="*")

    assert response.status_code == 400
    issue = validated(response.json())["issue"][0]
    assert issue["expression"] == ["_include"]
    assert "ServiceRequest:patient" in issue["diagnostics"]
    assert wildcard.status_code == 400


def test_an_include_needs_the_scope_to_read_what_it_includes():
    world = CareWorld()
    world.sent()
    api = api_for(world.therapist, scopes="system/ServiceRequest.read")

    response = api.get("/fhir/ServiceRequest", _include="ServiceRequest:patient")

    assert response.status_code == 403
    assert "system/Patient.read" in response.json()["issue"][0]["diagnostics"]


def test_the_next_link_keeps_the_include():
    world = CareWorld()
    world.sent()
    world.sent()
    api = api_for(world.therapist)

    response = api.get("/fhir/Task", _include="Task:focus", _count=1)

    links = {link["relation"]: link["url"] for link in response.json()["link"]}
    assert "_include=Task%3Afocus" in links["next"]
    second = api.get(links["next"].split("testserver")[1])
    assert len(_by_mode(second.json())["include"]) == 1
