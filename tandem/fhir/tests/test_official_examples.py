"""The specification's own example resources: each imports, or is refused by name and rule.

The files are FHIR R4's published examples (see examples/README.md). A roster built of
them goes through the same import as an upload; what Tandem cannot take is refused with
the FHIRPath of the element and the rule, in an OperationOutcome, never a server error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tandem.core.roles import Role
from tandem.core.tests.factories import TherapyPracticeFactory, make_staff
from tandem.fhir.models import RosterImport
from tandem.fhir.roster import import_roster
from tandem.fhir.tests.factories import api_for
from tandem.measures.models import QuestionnaireResponse
from tandem.measures.tests.test_safety_triage import TriageWorld
from tandem.organisations.models import Invitation
from tandem.referrals.models import Referral
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "examples"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}-example.json").read_text())


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }


@pytest.fixture
def practice() -> Any:
    organisation = TherapyPracticeFactory()
    return organisation, make_staff(Role.PRACTICE_ADMIN, organisation)


def issues(report: Any) -> list[tuple[str, str]]:
    outcome = report.operation_outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    return [(i["expression"][0], i["diagnostics"]) for i in outcome["issue"]]


def test_peter_james_chalmers_is_refused_for_each_thing_a_us_client_record_needs(practice):
    organisation, admin = practice

    report = import_roster(
        actor=admin, organisation=organisation, bundle=collection(example("patient"))
    )

    assert issues(report) == [
        (
            "Bundle.entry[0].resource.telecom[1].value",
            "A phone number is a US phone number with area code, e.g. 617-555-0123.",
        ),
        (
            "Bundle.entry[0].resource.address[0].state",
            "A state is a two-letter US state code, e.g. MA.",
        ),
        (
            "Bundle.entry[0].resource.generalPractitioner",
            "Name the client's therapist or prescriber in your practice (a Practitioner or "
            "PractitionerRole): they join the client's care team, without whom nobody could see "
            "the record.",
        ),
    ]


def test_dr_adam_careful_is_invited_at_his_roles_address(practice):
    organisation, admin = practice
    role = example("practitionerrole")
    del role["organization"]  # the example's Organization/f001 is not the importing practice

    report = import_roster(
        actor=admin,
        organisation=organisation,
        bundle=collection(example("practitioner"), role),
    )

    assert report.applied, report.lines()
    assert [e.outcome for e in report.entries] == ["created", "created"]
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("adam.southern@example.org", Role.THERAPIST)


def test_the_practitioner_roles_own_organization_is_refused_as_not_the_practice(practice):
    organisation, admin = practice

    report = import_roster(
        actor=admin,
        organisation=organisation,
        bundle=collection(example("practitioner"), example("practitionerrole")),
    )

    assert issues(report) == [
        (
            "Bundle.entry[1].resource.organization",
            "A roster's roles are in the importing practice: leave organization out, or "
            f"reference Organization/{organisation.public_id}.",
        )
    ]
    assert Invitation.objects.count() == 0


def test_hl7s_organization_is_refused_and_as_the_practice_updates_its_details(practice):
    organisation, admin = practice
    hl7 = example("organization")

    refused = import_roster(actor=admin, organisation=organisation, bundle=collection(hl7))
    hl7["id"] = str(organisation.public_id)
    done = import_roster(actor=admin, organisation=organisation, bundle=collection(hl7))

    assert issues(refused) == [
        (
            "Bundle.entry[0].resource.id",
            "A roster updates only the importing practice's own details: give its Organization "
            f"the id {organisation.public_id}.",
        )
    ]
    assert done.applied, done.lines()
    organisation.refresh_from_db()
    assert (organisation.name, organisation.phone, organisation.city, organisation.state) == (
        "Health Level Seven International",
        "(734) 677-7777",
        "Ann Arbor",
        "MI",
    )


def test_every_example_uploaded_together_ends_in_a_report_not_a_failure(
    client, practice, django_capture_on_commit_callbacks
):
    organisation, admin = practice
    client.force_login(admin)
    roster = collection(
        *(example(n) for n in ("organization", "practitioner", "practitionerrole", "patient"))
    )
    upload = json.dumps(roster).encode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/organisations/{organisation.public_id}/settings/roster/",
            {"file": SimpleUploadedFile("examples.json", upload)},
        )
    run_worker()
    page = client.get(sent["Location"])

    assert page.status_code == 200
    assert RosterImport.objects.get().status == "rejected"
    assert "Bundle.entry[3].resource.generalPractitioner" in page.content.decode()


# --- the types an EHR sends in: a referral (ServiceRequest + Task) and a questionnaire --------


def _published(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def test_the_specifications_service_request_and_task_sent_as_a_referral_are_refused_by_path():
    # Given a therapy practice's EHR that sends the specification's ServiceRequest "example"
    # (a CT of the head) and Task "example3" (a refill request) as a referral transaction

    world = TriageWorld()
    service_request = _published("servicerequest-example")
    task = _published("task-example3")
    entry = [
        {
            "fullUrl": f"http://hl7.org/fhir/{r['resourceType']}/{r['id']}",
            "resource": r,
            "request": {"method": "POST", "url": r["resourceType"]},
        }
        for r in (service_request, task)
    ]
    api = api_for(world.therapist)

    # When it is posted as is, and again with the Task pointed at the ServiceRequest
    as_published = api.post(
        "/fhir/", {"resourceType": "Bundle", "type": "transaction", "entry": entry}
    )
    entry[1]["resource"] = {**task, "focus": {"reference": entry[0]["fullUrl"]}}
    focused = api.post("/fhir/", {"resourceType": "Bundle", "type": "transaction", "entry": entry})

    # Then each answer is a 400 OperationOutcome naming the element and the rule, nothing made
    assert as_published.status_code == focused.status_code == 400
    assert [(i["expression"], i["diagnostics"]) for i in as_published.json()["issue"]] == [
        (["Bundle.entry[1].resource.focus"], "The Task's focus is the ServiceRequest's fullUrl.")
    ]
    assert [(i["expression"], i["diagnostics"]) for i in focused.json()["issue"]] == [
        (["Bundle.entry[1].resource.status"], "A new referral's Task is requested, intent order.")
    ]
    assert not Referral.objects.exists()


def test_the_specifications_questionnaire_response_is_refused_for_each_missing_element():
    # Given the specification's QuestionnaireResponse "f201" (a general health questionnaire)

    world = TriageWorld()

    # When an EHR sends it in
    sent = api_for(world.therapist).post(
        "/fhir/QuestionnaireResponse", _published("questionnaireresponse-f201")
    )

    # Then it is refused, each problem by its path: not one of Tandem's instruments, its
    # subject not a client Tandem knows, and no identifier to make a resend idempotent
    assert sent.status_code == 400
    problems = {i["expression"][0]: i["diagnostics"] for i in sent.json()["issue"]}
    assert list(problems) == [
        "QuestionnaireResponse.questionnaire",
        "QuestionnaireResponse.subject",
        "QuestionnaireResponse.identifier",
    ]
    assert problems["QuestionnaireResponse.questionnaire"].startswith(
        "Name one of Tandem's questionnaires by its canonical url: http://loinc.org/44249-1"
    )
    assert not QuestionnaireResponse.objects.exists()
