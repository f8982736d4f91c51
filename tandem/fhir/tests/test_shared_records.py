"""Appointments, medications, questionnaires and scores, and clinicians, read over the API.

Each goes through the pages' door and consent gate: what another practice wrote reaches
the caller only while a release lets its category across, every read is audited, and
every showing across practices is in the client's accounting of disclosures.
"""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.medications.actions import record_medication
from tandem.consent.actions import PartySpec, revoke_release
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.core.roles import Role
from tandem.core.tests.factories import OrganisationFactory, make_staff
from tandem.fhir.tests.factories import api_for, utc_today
from tandem.fhir.validation import validated
from tandem.measures import actions as measure_actions
from tandem.measures.models import ResponseSource
from tandem.measures.tests.factories import MeasuresWorld
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import open_mornings

pytestmark = pytest.mark.django_db


def _release_from_psychiatry(world, categories):
    """The client lets ``categories`` go from the psychiatric practice to the therapist's."""
    return world.signed(
        categories=categories,
        disclosers=[PartySpec(world.psychiatry)],
        recipients=[PartySpec(world.therapy)],
    )


def _medication(world, drug="sertraline", change="start"):
    event, _ = record_medication(
        actor=world.prescriber,
        client=world.client,
        change=change,
        drug=drug,
        dose="25",
        unit="mg",
        frequency="once daily",
        reason="Panic attacks persist after CBT.",
    )
    return event


def _appointment(world, status=AppointmentStatus.CONFIRMED, days=3):
    kind = open_mornings(world.psychiatry, world.prescriber)
    begins = timezone.now() + dt.timedelta(days=days)
    return Appointment.objects.create(
        organisation=world.psychiatry,
        prescriber=world.prescriber,
        client=world.client,
        appointment_type=kind,
        starts_at=begins,
        ends_at=begins + dt.timedelta(hours=1),
        blocked_until=begins + dt.timedelta(hours=1),
        status=status,
    )


def _ids(bundle):
    return [e["resource"]["id"] for e in validated(bundle)["entry"]]


# --- medications ------------------------------------------------------------------------


def test_the_therapist_reads_the_prescribers_medications_while_the_release_lets_them_across():
    world = MeasuresWorld()
    release = _release_from_psychiatry(world, [Category.MEDICATIONS])
    event = _medication(world)
    api = api_for(world.therapist)
    url = f"/fhir/MedicationStatement/{event.public_id}"

    read = api.get(url)
    found = api.get("/fhir/MedicationStatement", patient=str(world.client.public_id))
    accounted = Disclosure.objects.filter(client=world.client, category=Category.MEDICATIONS)
    revoke_release(actor=world.client_user, release=release)
    after = api.get(url)
    after_search = api.get("/fhir/MedicationStatement", patient=str(world.client.public_id))

    assert read.status_code == 200
    statement = validated(read.json())
    assert statement["medicationCodeableConcept"]["text"] == "sertraline"
    assert statement["dosage"] == [{"text": "25 mg once daily"}]
    assert statement["subject"]["reference"] == f"Patient/{world.client.public_id}"
    assert _ids(found.json()) == [str(event.public_id)]
    assert accounted.exists()  # the showing across practices is in the accounting
    assert after.status_code == 404  # revoked: simply not there
    assert validated(after_search.json())["total"] == 0


def test_without_a_release_another_practices_medications_are_absent_but_its_own_are_not():
    world = MeasuresWorld()
    event = _medication(world)

    therapist = api_for(world.therapist)
    prescriber = api_for(world.prescriber)

    assert therapist.get(f"/fhir/MedicationStatement/{event.public_id}").status_code == 404
    assert therapist.get("/fhir/MedicationStatement").json()["total"] == 0
    assert prescriber.get(f"/fhir/MedicationStatement/{event.public_id}").status_code == 200
    assert _ids(prescriber.get("/fhir/MedicationStatement").json()) == [str(event.public_id)]


def test_medication_search_filters_by_status_and_effective_date():
    world = MeasuresWorld()
    started = _medication(world, "sertraline")
    stopped = _medication(world, "sertraline", change="stop")
    api = api_for(world.prescriber)

    active = api.get("/fhir/MedicationStatement", status="active").json()
    ended = api.get("/fhir/MedicationStatement", status="stopped").json()
    tomorrow = (utc_today() + dt.timedelta(days=1)).isoformat()
    future = api.get("/fhir/MedicationStatement", effective=f"ge{tomorrow}").json()
    bad = api.get("/fhir/MedicationStatement", effective="someday")

    assert _ids(active) == [str(started.public_id)]
    assert _ids(ended) == [str(stopped.public_id)]
    assert validated(future)["total"] == 0
    assert bad.status_code == 400
    assert validated(bad.json())["issue"][0]["expression"] == ["effective"]


# --- questionnaires and scores ----------------------------------------------------------


def test_a_phq9_is_read_as_a_questionnaire_response_and_its_total_as_an_observation():
    world = MeasuresWorld()
    world.release_questionnaires(
        disclosers=[PartySpec(world.psychiatry)], recipients=[PartySpec(world.therapy)]
    )
    response = world.phq9([2, 2, 2, 2, 1, 1, 1, 1, 0])
    api = api_for(world.therapist)

    answers = validated(api.get(f"/fhir/QuestionnaireResponse/{response.public_id}").json())
    score = validated(api.get(f"/fhir/Observation/{response.public_id}").json())
    by_patient = api.get("/fhir/Observation", patient=f"Patient/{world.client.public_id}")

    assert answers["questionnaire"].endswith("/44249-1")
    assert answers["item"][0]["answer"] == [{"valueInteger": 2}]
    assert score["code"]["coding"][0]["code"] == "44261-6"
    assert score["valueQuantity"]["value"] == 12
    assert score["interpretation"][0]["text"] == response.band
    assert _ids(by_patient.json()) == [str(response.public_id)]
    assert Disclosure.objects.filter(client=world.client, category=Category.QUESTIONNAIRES).exists()


def test_results_without_a_release_are_absent_and_a_response_without_a_total_has_no_score():
    world = MeasuresWorld()
    held = world.phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])
    partial = measure_actions.record_response(
        world.therapist,
        world.client,
        "phq-9",
        [1, None, None, None, None, None, None, None, None],
        source=ResponseSource.CLINICIAN,
        idempotency_key=uuid.uuid4(),
        organisation=world.therapy,
    )
    api = api_for(world.therapist)

    assert api.get(f"/fhir/QuestionnaireResponse/{held.public_id}").status_code == 404
    assert api.get(f"/fhir/Observation/{held.public_id}").status_code == 404
    own = api.get("/fhir/QuestionnaireResponse").json()
    assert _ids(own) == [str(partial.public_id)]
    assert api.get(f"/fhir/Observation/{partial.public_id}").status_code == 404
    assert validated(api.get("/fhir/Observation").json())["total"] == 0


def test_search_pages_with_count_and_offset_newest_first():
    world = MeasuresWorld()
    responses = [world.phq9([1] * 8 + [0], days_ago=days) for days in (3, 2, 1)]
    api = api_for(world.prescriber)

    first = api.get("/fhir/QuestionnaireResponse", _count="2").json()
    second = api.get("/fhir/QuestionnaireResponse", _count="2", _offset="2").json()
    since = (utc_today() - dt.timedelta(days=2)).isoformat()
    recent = api.get("/fhir/QuestionnaireResponse", authored=f"ge{since}").json()

    assert first["total"] == 3
    assert _ids(first) == [str(r.public_id) for r in reversed(responses[1:])]
    assert "next" in {link["relation"] for link in first["link"]}
    assert _ids(second) == [str(responses[0].public_id)]
    assert len(_ids(recent)) == 2


# --- appointments -----------------------------------------------------------------------


def test_the_care_team_sees_the_psychiatric_visit_under_attendance_and_the_practice_always():
    world = MeasuresWorld()
    appt = _appointment(world)
    therapist = api_for(world.therapist)
    coordinator = make_staff(Role.COORDINATOR, world.psychiatry)
    practice = api_for(coordinator)
    url = f"/fhir/Appointment/{appt.public_id}"

    before = therapist.get(url)
    _release_from_psychiatry(world, [Category.ATTENDANCE])
    after = therapist.get(url)
    own = practice.get(url)
    booked = practice.get("/fhir/Appointment", status="booked").json()
    past = practice.get("/fhir/Appointment", date=f"lt{utc_today().isoformat()}").json()

    assert before.status_code == 404
    assert after.status_code == 200
    assert validated(after.json())["status"] == "booked"
    assert validated(own.json())["participant"][0]["actor"]["reference"] == (
        f"Patient/{world.client.public_id}"
    )
    assert _ids(booked) == [str(appt.public_id)]
    assert validated(past)["total"] == 0


def test_every_read_of_a_shared_record_is_on_the_audit_trail():
    world = MeasuresWorld()
    event = _medication(world)
    api = api_for(world.prescriber)
    reads = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(event.public_id))

    api.get(f"/fhir/MedicationStatement/{event.public_id}")
    api.get("/fhir/MedicationStatement")

    assert sorted(e.detail["via"] for e in reads) == ["fhir", "fhir-search"]
    assert {e.actor_id for e in reads} == {world.prescriber.pk}
    assert {e.organisation_id for e in reads} == {str(world.psychiatry.public_id)}


# --- clinicians -------------------------------------------------------------------------


def test_colleagues_are_practitioners_and_roles_other_practices_staff_are_not():
    world = MeasuresWorld()
    api = api_for(world.prescriber)
    colleague = make_staff(Role.COORDINATOR, world.psychiatry)
    stranger = make_staff(Role.PRESCRIBER, OrganisationFactory())
    role = colleague.memberships.get()

    found = api.get(f"/fhir/Practitioner/{colleague.public_id}")
    hidden = api.get(f"/fhir/Practitioner/{stranger.public_id}")
    roles = api.get("/fhir/PractitionerRole").json()
    one = api.get(f"/fhir/PractitionerRole/{role.public_id}")
    others = api.get(f"/fhir/PractitionerRole/{stranger.memberships.get().public_id}")

    assert found.status_code == 200
    assert validated(found.json())["id"] == str(colleague.public_id)
    assert hidden.status_code == 404
    assert str(role.public_id) in _ids(roles)
    assert validated(one.json())["code"][0]["coding"][0]["code"] == Role.COORDINATOR
    assert others.status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor_id=world.prescriber.pk, object_id=str(colleague.public_id)
    ).exists()


def test_the_capability_statement_lists_the_new_reads_and_searches():
    world = MeasuresWorld()
    api = api_for(world.prescriber)

    statement = validated(api.get("/fhir/metadata").json())

    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    for kind in (
        "Appointment",
        "MedicationStatement",
        "QuestionnaireResponse",
        "Observation",
        "Practitioner",
        "PractitionerRole",
    ):
        # Appointments carry a version (vread of the current one); the others carry none.
        vread = {"vread"} if kind == "Appointment" else set()
        created = {"create"} if kind == "QuestionnaireResponse" else set()  # an EHR sends them
        served_codes = {i["code"] for i in served[kind]["interaction"]}
        assert served_codes == {"read", "search-type", *vread, *created}
    assert {p["name"] for p in served["Appointment"]["searchParam"]} == {
        "patient",
        "status",
        "date",
        "_count",
    }
