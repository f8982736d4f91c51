"""The number of SQL queries of a FHIR read is pinned, so a change that adds one shows."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.tests.factories import CareWorld
from tandem.consent.categories import Category
from tandem.fhir.tests.factories import api_for
from tandem.referrals.tests.factories import ALL_PACKET_CATEGORIES, ReferralWorld
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db


def _queries(api, url):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def test_reads_cost_a_fixed_number_of_queries():
    world = CareWorld()
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES)
    referral = world.sent()
    api = api_for(world.prescriber)
    # warm: the first read of the packet writes its disclosures to the accounting
    api.get(f"/fhir/ServiceRequest/{referral.public_id}")

    counts = {
        kind: _queries(api, f"/fhir/{kind}/{referral.public_id}")
        for kind in ("Task", "ServiceRequest")
    }

    # (each read appends one audit event: a statement fewer on PostgreSQL; a packet's
    # consent context is one statement, was three)
    fewer = fewer_on_postgresql()
    assert counts == {"Task": 10 - fewer, "ServiceRequest": 12 - fewer}


def test_reads_of_shared_records_and_clinicians_cost_a_fixed_number_of_queries():
    from tandem.core.roles import Role
    from tandem.core.tests.factories import make_staff
    from tandem.fhir.tests.test_shared_records import (
        _appointment,
        _medication,
        _release_from_psychiatry,
    )
    from tandem.measures.tests.factories import MeasuresWorld

    world = MeasuresWorld()
    _release_from_psychiatry(
        world, [Category.MEDICATIONS, Category.QUESTIONNAIRES, Category.ATTENDANCE]
    )
    event = _medication(world)
    response = world.phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])
    appt = _appointment(world)
    colleague = make_staff(Role.COORDINATOR, world.therapy)
    api = api_for(world.therapist)
    urls = {
        "MedicationStatement": f"/fhir/MedicationStatement/{event.public_id}",
        "QuestionnaireResponse": f"/fhir/QuestionnaireResponse/{response.public_id}",
        "Observation": f"/fhir/Observation/{response.public_id}",
        "Appointment": f"/fhir/Appointment/{appt.public_id}",
        "Practitioner": f"/fhir/Practitioner/{colleague.public_id}",
        "PractitionerRole": f"/fhir/PractitionerRole/{colleague.memberships.get().public_id}",
    }
    for url in urls.values():  # warm: the first showing writes its disclosure
        api.get(url)

    counts = {kind: _queries(api, url) for kind, url in urls.items()}
    again = {kind: _queries(api, url) for kind, url in urls.items()}

    assert counts == again
    fewer = fewer_on_postgresql()  # each read appends one audit event
    # (the consent context of a shared record is one statement, was three: 16 -> 14)
    assert counts == {
        "MedicationStatement": 14 - fewer,
        "QuestionnaireResponse": 14 - fewer,
        "Observation": 14 - fewer,
        "Appointment": 14 - fewer,
        "Practitioner": 11 - fewer,
        "PractitionerRole": 10 - fewer,
    }


def test_a_search_page_audits_each_record_it_shows_in_the_same_queries_for_1_or_4():
    # Given a practice's system with one referral sent in, then four (its Tasks searched:
    # a ServiceRequest carries its packet, whose consent is still decided per referral)
    world = CareWorld()
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES)
    first = world.sent()
    api = api_for(world.prescriber)
    api.get("/fhir/Task")  # warm: the first showing of a packet is accounted
    one = _queries(api, "/fhir/Task")
    others = [world.sent() for _ in range(3)]
    api.get("/fhir/Task")
    before = AuditEvent.objects.count()

    # When it searches again, the page showing all four
    four = _queries(api, "/fhir/Task")

    # Then the search costs what it did for one, yet each referral shown has its own read event
    assert four == one
    reads = AuditEvent.objects.order_by("-pk")[: AuditEvent.objects.count() - before]
    assert sorted(e.object_id for e in reads) == sorted(str(r.public_id) for r in [first, *others])
    assert {(e.action, e.detail["via"]) for e in reads} == {(AuditAction.VIEW, "fhir-search")}
    # And the trail still verifies, link by link
    call_command("verify_audit", stdout=io.StringIO())


def _same_for_1_and_5(api, url, add_one):
    """Return the queries of ``url`` when it finds one record, and when it finds five."""
    add_one()
    api.get(url)  # warm: the first showing of each record is accounted
    one = _queries(api, url)
    for _ in range(4):
        add_one()
    api.get(url)
    return one, _queries(api, url)


def test_a_service_request_search_decides_packet_consent_for_the_page_at_once():
    # Given a practice's system, a release for the whole packet, and one then five referrals
    world = CareWorld()
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES)
    api = api_for(world.prescriber)

    # When it searches ServiceRequests (each carrying its consent-gated packet)
    one, five = _same_for_1_and_5(api, "/fhir/ServiceRequest", world.sent)

    # Then the page of five costs what the page of one did
    assert five == one


def test_a_document_search_decides_consent_for_its_candidates_at_once():
    from tandem.care.notes import actions as note_actions

    world = CareWorld()
    api = api_for(world.therapist)

    def signed_note():
        note_actions.sign_and_send(actor=world.prescriber, note=world.draft_note())

    one, five = _same_for_1_and_5(api, "/fhir/DocumentReference", signed_note)

    assert five == one


@pytest.mark.parametrize(
    ("url", "included"),
    [
        ("/fhir/Task?_include=Task:focus", "ServiceRequest"),
        ("/fhir/ServiceRequest?_include=ServiceRequest:patient", "Patient"),
    ],
)
def test_an_include_costs_the_same_for_1_or_5_matches(url, included):
    world = CareWorld()
    ReferralWorld.release(world, ALL_PACKET_CATEGORIES)
    api = api_for(world.prescriber)

    one, five = _same_for_1_and_5(api, url, world.sent)

    assert five == one
    modes = [e["search"]["mode"] for e in api.get(url).json()["entry"]]
    assert modes.count("match") == 5
    assert modes.count("include") == (5 if included == "ServiceRequest" else 1)
