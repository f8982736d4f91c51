"""Slot, Schedule, Questionnaire, Communication and AuditEvent over the API.

Each reads through the pages' own door: the calendar's for slots and schedules, the
messaging pages' care-team rule and consent gate for messages, the audit pages' rule for
the audit trail. Refusals look like absence (404, or not in the page), every read is
audited, and a search page costs the same queries for one result as for several.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.messaging import actions as messaging
from tandem.consent.categories import Category
from tandem.consent.models import Disclosure
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.fhir import codes
from tandem.fhir.tests.factories import api_for, utc_today
from tandem.fhir.validation import validated
from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.tests.factories import MeasuresWorld
from tandem.scheduling import actions as scheduling_actions
from tandem.scheduling.models import WeeklyHours
from tandem.scheduling.tests.factories import Practice

pytestmark = pytest.mark.django_db

NEW_TYPES = ("Slot", "Schedule", "Questionnaire", "Communication", "AuditEvent")


def _ids(bundle):
    return [e["resource"]["id"] for e in validated(bundle)["entry"]]


def _queries(api, url, **params):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, **params)
    assert response.status_code == 200, response.content
    return len(captured)


# --- scopes -----------------------------------------------------------------------------


def test_a_token_without_the_read_scope_gets_403_for_each_new_resource_type():
    world = MeasuresWorld()
    api = api_for(world.prescriber, scopes="system/Patient.read")

    for kind in NEW_TYPES:
        response = api.get(f"/fhir/{kind}", patient=str(world.client.public_id))
        assert response.status_code == 403, kind
        assert validated(response.json())["issue"][0]["code"] == "forbidden"


def test_the_capability_statement_lists_the_new_types_and_their_parameters():
    world = MeasuresWorld()

    statement = validated(api_for(world.prescriber).get("/fhir/metadata").json())

    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    for kind in NEW_TYPES:
        assert {i["code"] for i in served[kind]["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in served["Slot"]["searchParam"]} == {
        "start",
        "schedule",
        "practitioner",
        "service-type",
        "_count",
    }
    assert {i["code"] for i in served["QuestionnaireResponse"]["interaction"]} == {
        "read",
        "search-type",
        "create",
    }


# --- Slot and Schedule ------------------------------------------------------------------


def test_a_practice_system_reads_its_prescribers_open_slots_with_stable_ids():
    # Given a practice open weekday mornings, and its coordinators' system
    practice = Practice()
    api = api_for(practice.coordinator)
    membership = practice.prescriber.memberships.get()

    # When it searches the new-evaluation slots, twice, and reads the first one
    first = validated(api.get("/fhir/Slot", **{"service-type": "new", "_count": "5"}).json())
    again = api.get("/fhir/Slot", **{"service-type": "new", "_count": "5"}).json()
    one = api.get(f"/fhir/Slot/{first['entry'][0]['resource']['id']}")

    # Then every slot is free, an hour long, on the prescriber's schedule, with the same ids
    slots = [e["resource"] for e in first["entry"]]
    assert first["total"] > 5
    assert len(slots) == 5
    assert {s["status"] for s in slots} == {"free"}
    assert {s["schedule"]["reference"] for s in slots} == {f"Schedule/{membership.public_id}"}
    assert {s["serviceType"][0]["coding"][0]["code"] for s in slots} == {"new"}
    for s in slots:
        start = dt.datetime.fromisoformat(s["start"])
        assert dt.datetime.fromisoformat(s["end"]) - start == dt.timedelta(hours=1)
        assert start > timezone.now()
        # the id is derived, carries no person's id
        assert str(practice.prescriber.public_id) not in s["id"]
    assert _ids(again) == [s["id"] for s in slots]
    assert one.status_code == 200
    assert validated(one.json()) == slots[0]


def test_slot_search_narrows_by_start_schedule_and_type_and_a_taken_slot_is_gone():
    practice = Practice()
    api = api_for(practice.coordinator)
    everything = validated(api.get("/fhir/Slot", _count="100").json())
    first = everything["entry"][0]["resource"]
    first_day = first["start"][:10]

    same_day = validated(
        api.get("/fhir/Slot", start=[f"ge{first_day}", f"le{first_day}T23:59:59Z"]).json()
    )
    follow_ups = validated(api.get("/fhir/Slot", **{"service-type": "follow-up"}).json())
    nobody = api.get("/fhir/Slot", schedule="Schedule/00000000-0000-4000-8000-000000000000")
    bad = api.get("/fhir/Slot", start="soon")

    assert 0 < same_day["total"] < everything["total"]
    assert {e["resource"]["start"][:10] for e in same_day["entry"]} == {first_day}
    assert {e["resource"]["serviceType"][0]["coding"][0]["code"] for e in follow_ups["entry"]} == {
        "follow-up"
    }
    assert validated(nobody.json())["total"] == 0
    assert bad.status_code == 400
    assert validated(bad.json())["issue"][0]["expression"] == ["start"]

    # When a client holds the first new-evaluation slot, it is no longer offered
    new = [e["resource"] for e in everything["entry"] if "new" in str(e["resource"])]
    taken = new[0]
    scheduling_actions.hold_slot(
        actor=practice.client_user,
        organisation=practice.org,
        prescriber=practice.prescriber,
        appointment_type=practice.new_eval,
        starts_at=dt.datetime.fromisoformat(taken["start"]),
        client=practice.client,
    )
    assert api.get(f"/fhir/Slot/{taken['id']}").status_code == 404
    assert taken["id"] not in _ids(api.get("/fhir/Slot", _count="100").json())


def test_another_practice_and_a_therapist_see_no_slots_and_each_read_is_audited():
    practice = Practice()
    own = api_for(practice.coordinator)
    slot_id = own.get("/fhir/Slot").json()["entry"][0]["resource"]["id"]
    schedule_id = practice.prescriber.memberships.get().public_id
    stranger = api_for(make_staff(Role.COORDINATOR))
    therapist = api_for(make_staff(Role.THERAPIST))

    for api in (stranger, therapist):
        assert validated(api.get("/fhir/Slot").json())["total"] == 0
        assert api.get(f"/fhir/Slot/{slot_id}").status_code == 404
        assert api.get(f"/fhir/Schedule/{schedule_id}").status_code == 404
        assert validated(api.get("/fhir/Schedule").json())["total"] == 0
    reads = AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="scheduling.slot", actor_id=practice.coordinator.pk
    )
    assert [e.detail["via"] for e in reads] == ["fhir-search"]
    assert {e.organisation_id for e in reads} == {str(practice.org.public_id)}


def test_a_schedule_is_a_prescribers_calendar_with_the_practices_appointment_types():
    practice = Practice()
    api = api_for(practice.coordinator)
    membership = practice.prescriber.memberships.get()

    found = validated(api.get("/fhir/Schedule").json())
    one = validated(api.get(f"/fhir/Schedule/{membership.public_id}").json())

    assert _ids(found) == [str(membership.public_id)]
    assert one["actor"][0]["reference"] == f"Practitioner/{practice.prescriber.public_id}"
    assert {c["coding"][0]["code"] for c in one["serviceType"]} == {"new", "follow-up"}


def test_a_slot_search_costs_the_same_queries_for_one_slot_as_for_many():
    practice = Practice()
    api = api_for(practice.coordinator)
    # one prescriber's hours cut to one half-hour-wide window: a single follow-up slot a day
    WeeklyHours.objects.filter(prescriber=practice.prescriber).update(
        starts=dt.time(9), ends=dt.time(9, 30)
    )
    params = {"service-type": "follow-up", "_count": "100"}
    narrow = validated(api.get("/fhir/Slot", **params).json())
    one_count = _queries(api, "/fhir/Slot", **params)
    WeeklyHours.objects.filter(prescriber=practice.prescriber).update(
        starts=dt.time(9), ends=dt.time(17)
    )
    wide = validated(api.get("/fhir/Slot", **params).json())

    many_count = _queries(api, "/fhir/Slot", **params)

    assert len(narrow["entry"]) < len(wide["entry"])
    assert one_count == many_count


# --- Questionnaire ----------------------------------------------------------------------


def test_the_phq9_is_a_questionnaire_with_loinc_codes_found_by_its_canonical_url():
    world = MeasuresWorld()
    api = api_for(world.therapist)

    by_url = validated(api.get("/fhir/Questionnaire", url=f"{codes.LOINC}/44249-1").json())
    by_code = validated(api.get("/fhir/Questionnaire", code=f"{codes.LOINC}|69737-5").json())
    every = validated(api.get("/fhir/Questionnaire", _count="100").json())

    assert by_url["total"] == 1
    phq9 = by_url["entry"][0]["resource"]
    assert phq9["code"][0]["code"] == "44249-1"
    assert phq9["title"] == "PHQ-9"
    assert phq9["item"][8]["code"][0]["code"] == "44260-8"
    assert [o["valueCoding"]["display"] for o in phq9["item"][8]["answerOption"]] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]
    assert by_code["entry"][0]["resource"]["title"] == "GAD-7"
    assert every["total"] == len(INSTRUMENTS)
    read = api.get(f"/fhir/Questionnaire/{phq9['id']}")
    assert validated(read.json()) == phq9
    # a QuestionnaireResponse names this same canonical url
    response = world.phq9([1] * 8 + [0])
    prescriber = api_for(world.prescriber)
    answers = prescriber.get(f"/fhir/QuestionnaireResponse/{response.public_id}").json()
    assert answers["questionnaire"] == phq9["url"]


# --- Communication ----------------------------------------------------------------------


def _thread(world, body="Sleep is worse since the dose change; any thoughts?"):
    thread, _ = messaging.start_thread(
        actor=world.therapist,
        client=world.client,
        subject="Sleep",
        body=body,
        is_question=True,
    )
    return thread, thread.messages.get()


def test_a_message_reaches_the_other_practice_only_while_a_release_covers_clinician_messages():
    # Given the therapist's message, written while no release covered messages
    world = MeasuresWorld()
    _, message = _thread(world)
    prescriber = api_for(world.prescriber)
    url = f"/fhir/Communication/{message.public_id}"

    before = prescriber.get(url)
    before_search = prescriber.get("/fhir/Communication", patient=str(world.client.public_id))
    own = api_for(world.therapist).get(url)
    # When the client lets clinicians' messages go from the therapy practice to psychiatry
    world.signed(categories=[Category.CLINICIAN_MESSAGES])
    after = prescriber.get(url)
    found = prescriber.get("/fhir/Communication", patient=f"Patient/{world.client.public_id}")

    # Then the psychiatric practice reads it only from then on, and the showing is accounted
    assert before.status_code == 404
    assert validated(before_search.json())["total"] == 0
    assert own.status_code == 200
    assert after.status_code == 200
    sent = validated(after.json())
    assert sent["payload"] == [{"contentString": message.body}]
    assert sent["sender"]["reference"] == f"Practitioner/{world.therapist.public_id}"
    assert sent["subject"]["reference"] == f"Patient/{world.client.public_id}"
    assert _ids(found.json()) == [str(message.public_id)]
    assert Disclosure.objects.filter(
        client=world.client,
        category=Category.CLINICIAN_MESSAGES,
        recipient_organisation=world.psychiatry,
    ).exists()


def test_someone_not_on_the_care_team_does_not_see_the_message_and_reads_are_audited():
    world = MeasuresWorld()
    _, message = _thread(world)
    outsider = make_staff(Role.THERAPIST, world.therapy)  # same practice, not on the team
    api = api_for(outsider)
    own = api_for(world.therapist)

    refused = api.get(f"/fhir/Communication/{message.public_id}")
    listed = api.get("/fhir/Communication")
    own.get(f"/fhir/Communication/{message.public_id}")
    own.get("/fhir/Communication", patient=str(world.client.public_id))

    assert refused.status_code == 404
    assert validated(listed.json())["total"] == 0
    reads = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(message.public_id))
    assert sorted(e.detail["via"] for e in reads) == ["fhir", "fhir-search"]
    assert {e.actor_id for e in reads} == {world.therapist.pk}


def test_communication_search_by_sent_date_and_count():
    world = MeasuresWorld()
    thread, _ = _thread(world)
    messaging.reply(actor=world.therapist, thread=thread, body="Also: appetite is down.")
    api = api_for(world.therapist)
    tomorrow = (utc_today() + dt.timedelta(days=1)).isoformat()

    page = validated(api.get("/fhir/Communication", _count="1").json())
    future = validated(api.get("/fhir/Communication", sent=f"ge{tomorrow}").json())
    bad = api.get("/fhir/Communication", sent="yesterday")

    assert page["total"] == 2
    assert len(page["entry"]) == 1
    assert page["entry"][0]["resource"]["payload"][0]["contentString"] == "Also: appetite is down."
    assert future["total"] == 0
    assert bad.status_code == 400
    assert validated(bad.json())["issue"][0]["expression"] == ["sent"]


def test_a_communication_search_costs_the_same_queries_for_one_message_as_for_four():
    world = MeasuresWorld()
    world.signed(categories=[Category.CLINICIAN_MESSAGES])
    thread, _ = _thread(world)
    api = api_for(world.prescriber)
    api.get("/fhir/Communication")  # warm: the first showing is accounted
    one = _queries(api, "/fhir/Communication")
    for n in range(3):
        messaging.reply(actor=world.therapist, thread=thread, body=f"Update {n}.")
    api.get("/fhir/Communication")

    four = _queries(api, "/fhir/Communication")

    assert validated(api.get("/fhir/Communication").json())["total"] == 4
    assert four == one


# --- AuditEvent -------------------------------------------------------------------------


def _admin_with_trail(world):
    """The therapy practice's admin, after the therapist read the client's record there."""
    admin = make_staff(Role.PRACTICE_ADMIN, world.therapy)
    api_for(world.therapist).get(f"/fhir/Patient/{world.client.public_id}")
    return admin


def test_a_practice_admin_reads_the_trail_about_a_client_in_their_practice():
    world = MeasuresWorld()
    admin = _admin_with_trail(world)
    api = api_for(admin)

    found = validated(api.get("/fhir/AuditEvent", patient=str(world.client.public_id)).json())

    assert found["total"] >= 1
    events = [e["resource"] for e in found["entry"]]
    read = next(
        e
        for e in events
        if e["action"] == "R"
        and e["agent"][0].get("who", {}).get("reference")
        == f"Practitioner/{world.therapist.public_id}"
    )
    assert read["agent"][1]["who"]["reference"] == f"Organization/{world.therapy.public_id}"
    assert {"reference": f"Patient/{world.client.public_id}"} in [x["what"] for x in read["entity"]]
    one = api.get(f"/fhir/AuditEvent/{read['id']}")
    assert one.status_code == 200
    assert validated(one.json())["id"] == read["id"]
    # and the admin's own reading of the trail is itself on the trail
    assert AuditEvent.objects.filter(
        actor_id=admin.pk, object_type="audit.auditevent", object_id=read["id"]
    ).exists()


def test_the_trail_needs_a_patient_and_is_empty_for_who_the_audit_pages_refuse():
    world = MeasuresWorld()
    admin = _admin_with_trail(world)
    patient = str(world.client.public_id)
    event_id = api_for(admin).get("/fhir/AuditEvent", patient=patient).json()["entry"][0]
    other_admin = make_staff(Role.PRACTICE_ADMIN)

    missing = api_for(admin).get("/fhir/AuditEvent")

    assert missing.status_code == 400
    assert validated(missing.json())["issue"][0]["expression"] == ["patient"]
    # the therapist is no admin; the other practice's admin reads only their own practice's
    for user in (world.therapist, other_admin):
        api = api_for(user)
        assert validated(api.get("/fhir/AuditEvent", patient=patient).json())["total"] == 0
        assert api.get(f"/fhir/AuditEvent/{event_id['resource']['id']}").status_code == 404


def test_an_audit_event_search_costs_the_same_queries_for_one_event_as_for_several():
    world = MeasuresWorld()
    admin = make_staff(Role.PRACTICE_ADMIN, world.therapy)
    therapist = api_for(world.therapist)
    therapist.get(f"/fhir/Patient/{world.client.public_id}")
    api = api_for(admin)
    patient = str(world.client.public_id)
    first = validated(api.get("/fhir/AuditEvent", patient=patient).json())
    one = _queries(api, "/fhir/AuditEvent", patient=patient)
    for _ in range(3):
        therapist.get(f"/fhir/Patient/{world.client.public_id}")

    several = _queries(api, "/fhir/AuditEvent", patient=patient)

    later = validated(api.get("/fhir/AuditEvent", patient=patient).json())
    assert len(later["entry"]) > len(first["entry"])
    assert one == several
