"""Signed releases as DocumentReference: the web's release PDF, by the web's door, over FHIR."""

import base64
import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import CareWorld
from tandem.consent import states
from tandem.consent.actions import revoke_release
from tandem.consent.categories import Category
from tandem.consent.models import Release, ReleaseStatus
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.fhir.tests.factories import api_for, utc_today
from tandem.fhir.validation import validated
from tandem.tests.support.http import Client

pytestmark = pytest.mark.django_db

RELEASES = "http://loinc.org|59284-0"
NOTES = "http://loinc.org|11488-4"


def _pdf(document):
    return base64.b64decode(document["content"][0]["attachment"]["data"])


def _text(pdf):
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _signed_note(world):
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    return note


# --- read -------------------------------------------------------------------------------


def test_a_signed_release_reads_as_a_consent_document_pointing_at_its_consent():
    world = CareWorld()
    release = world.release
    api = api_for(world.therapist)

    response = api.get(f"/fhir/DocumentReference/{release.public_id}")

    assert response.status_code == 200, response.content
    document = validated(response.json())
    assert document["id"] == str(release.public_id)
    assert document["type"]["coding"][0]["code"] == "59284-0"
    assert document["type"]["coding"][0]["system"] == "http://loinc.org"
    assert document["category"][0]["coding"][0]["code"] == release.kind
    assert document["subject"] == {"reference": f"Patient/{world.client.public_id}"}
    assert document["date"] == release.signed_at.astimezone(timezone.UTC).isoformat().replace(
        "+00:00", "Z"
    )
    assert document["context"]["related"] == [{"reference": f"Consent/{release.public_id}"}]
    assert (document["status"], document["docStatus"]) == ("current", "final")
    assert document["content"][0]["attachment"]["contentType"] == "application/pdf"
    assert _pdf(document).startswith(b"%PDF")
    assert response["ETag"] == f'W/"{document["meta"]["versionId"]}"'


def test_the_pdf_is_the_one_the_web_download_gives():
    world = CareWorld()
    release = world.release
    web = Client()
    web.force_login(world.client_user)

    downloaded = web.get(f"/consent/releases/{release.public_id}/pdf/")
    document = api_for(world.therapist).get(f"/fhir/DocumentReference/{release.public_id}").json()

    assert downloaded.status_code == 200
    text = _text(_pdf(document))
    assert text == _text(downloaded.content)
    assert release.signed_name in text
    assert release.signed_text_sha256 in "".join(text.split())  # wrapped on the page


def test_the_consent_points_back_at_its_signed_document():
    world = CareWorld()
    api = api_for(world.therapist)

    consent = validated(api.get(f"/fhir/Consent/{world.release.public_id}").json())
    draft = world.prepare(categories=[Category.DIAGNOSIS])
    unsigned = validated(api.get(f"/fhir/Consent/{draft.public_id}").json())

    assert consent["sourceReference"] == {
        "reference": f"DocumentReference/{world.release.public_id}"
    }
    assert "sourceReference" not in unsigned


def test_a_consult_note_is_still_read_by_its_id():
    world = CareWorld()
    note = _signed_note(world)

    response = api_for(world.therapist).get(f"/fhir/DocumentReference/{note.public_id}")

    document = validated(response.json())
    assert document["id"] == str(note.public_id)
    assert document["type"]["coding"][0]["code"] == "11488-4"


def test_a_release_not_yet_signed_has_no_document():
    world = CareWorld()
    draft = world.prepare(categories=[Category.DIAGNOSIS])

    response = api_for(world.therapist).get(f"/fhir/DocumentReference/{draft.public_id}")

    assert response.status_code == 404


def test_a_caller_outside_the_clients_care_team_gets_404_and_nothing_is_audited():
    world = CareWorld()
    outsider = make_staff(Role.THERAPIST, world.elsewhere)
    api = api_for(outsider)
    before = AuditEvent.objects.count()

    response = api.get(f"/fhir/DocumentReference/{world.release.public_id}")
    found = api.get("/fhir/DocumentReference", type=RELEASES)

    assert response.status_code == 404
    assert validated(response.json())["issue"][0]["code"] == "not-found"
    assert found.json()["total"] == 0
    assert AuditEvent.objects.count() == before


def test_a_token_without_document_reference_read_gets_403():
    world = CareWorld()
    api = api_for(world.therapist, scopes="system/Consent.read")

    read = api.get(f"/fhir/DocumentReference/{world.release.public_id}")
    found = api.get("/fhir/DocumentReference", type=RELEASES)

    assert [read.status_code, found.status_code] == [403, 403]
    assert "%PDF" not in read.content.decode() + found.content.decode()
    assert validated(read.json())["issue"][0]["code"] == "forbidden"


def test_a_read_is_audited_as_the_web_pdf_download_is():
    world = CareWorld()
    api = api_for(world.therapist)
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()

    api.get(f"/fhir/DocumentReference/{world.release.public_id}")

    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("pk").last()
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == before + 1
    assert event.actor_id == world.therapist.pk
    assert event.object_id == str(world.release.public_id)
    assert event.detail == {"format": "pdf", "via": "fhir"}
    assert event.organisation_id == str(world.therapy.public_id)


def test_a_revoked_release_is_still_readable_as_the_signed_document_marked_amended():
    world = CareWorld()
    release = revoke_release(actor=world.client_user, release=world.release)
    api = api_for(world.therapist)

    document = validated(api.get(f"/fhir/DocumentReference/{release.public_id}").json())
    consent = validated(api.get(f"/fhir/Consent/{release.public_id}").json())

    assert (document["status"], document["docStatus"]) == ("current", "amended")
    assert document["description"].startswith("Revoked ")
    assert "Revoked on" in _text(_pdf(document))
    assert consent["status"] == "inactive"


def test_a_superseded_release_reads_as_a_superseded_document():
    world = CareWorld()
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=world.release.pk)
        states.move(release, ReleaseStatus.SUPERSEDED, world.therapist)
        release.save(update_fields=["status"])

    document = validated(
        api_for(world.therapist).get(f"/fhir/DocumentReference/{release.public_id}").json()
    )

    assert (document["status"], document["docStatus"]) == ("superseded", "final")


# --- search -----------------------------------------------------------------------------


def test_type_picks_releases_or_notes_and_no_type_keeps_the_notes():
    world = CareWorld()
    note = _signed_note(world)
    api = api_for(world.therapist)

    releases = validated(api.get("/fhir/DocumentReference", type=RELEASES).json())
    bare = validated(api.get("/fhir/DocumentReference", type="59284-0").json())
    notes = validated(api.get("/fhir/DocumentReference", type=NOTES).json())
    untyped = validated(api.get("/fhir/DocumentReference").json())

    assert [e["resource"]["id"] for e in releases["entry"]] == [str(world.release.public_id)]
    assert bare["total"] == 1
    for entry in releases["entry"]:
        validated(entry["resource"])
    assert [e["resource"]["id"] for e in notes["entry"]] == [str(note.public_id)]
    assert [e["resource"]["id"] for e in untyped["entry"]] == [str(note.public_id)]


def test_release_search_filters_by_patient_and_signed_time_and_pages():
    world = CareWorld()
    second = world.signed(categories=[Category.DIAGNOSIS])
    world.prepare(categories=[Category.MEDICATIONS])  # a draft: no document
    api = api_for(world.therapist)
    tomorrow = (utc_today() + timezone.timedelta(days=1)).isoformat()
    yesterday = (utc_today() - timezone.timedelta(days=1)).isoformat()

    first_page = validated(api.get("/fhir/DocumentReference", type=RELEASES, _count=1).json())
    next_url = next(link["url"] for link in first_page["link"] if link["relation"] == "next")
    second_page = validated(api.http.get(next_url, **api.headers).json())
    mine = api.get(
        "/fhir/DocumentReference", type=RELEASES, patient=f"Patient/{world.client.public_id}"
    )
    other = api.get(
        "/fhir/DocumentReference",
        type=RELEASES,
        patient="00000000-0000-4000-8000-000000000000",
    )
    later = api.get("/fhir/DocumentReference", type=RELEASES, _lastUpdated=f"ge{tomorrow}")
    since = api.get("/fhir/DocumentReference", type=RELEASES, _lastUpdated=f"ge{yesterday}")

    assert first_page["total"] == 2
    assert first_page["entry"][0]["resource"]["id"] == str(second.public_id)  # newest first
    assert second_page["entry"][0]["resource"]["id"] == str(world.release.public_id)
    assert [mine.json()["total"], other.json()["total"]] == [2, 0]
    assert [later.json()["total"], since.json()["total"]] == [0, 2]


def test_each_release_a_search_sends_is_audited_as_a_pdf_download():
    world = CareWorld()
    world.signed(categories=[Category.DIAGNOSIS])
    api = api_for(world.therapist)
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()

    api.get("/fhir/DocumentReference", type=RELEASES, _count=1)

    events = AuditEvent.objects.filter(action=AuditAction.EXPORT).order_by("pk")
    assert events.count() == before + 1
    assert events.last().detail == {"format": "pdf", "via": "fhir-search"}


def test_a_type_tandem_does_not_serve_is_named_in_the_outcome():
    world = CareWorld()
    api = api_for(world.therapist)

    other = api.get("/fhir/DocumentReference", type="http://loinc.org|18842-5")
    both = api.get("/fhir/DocumentReference", type=f"{RELEASES},{NOTES}")

    for response in (other, both):
        assert response.status_code == 400
        outcome = validated(response.json())
        assert outcome["issue"][0]["expression"] == ["type"]
        assert "59284-0" in outcome["issue"][0]["diagnostics"]


def test_releases_include_their_patient():
    world = CareWorld()
    api = api_for(world.therapist)

    bundle = validated(
        api.get(
            "/fhir/DocumentReference", type=RELEASES, _include="DocumentReference:subject"
        ).json()
    )

    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [
        ("Patient", str(world.client.public_id))
    ]


def _queries(api, url, **params):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, **params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_a_release_search_costs_the_same_queries_for_one_release_as_for_several():
    world = CareWorld()
    api = api_for(world.therapist)
    one = _queries(api, "/fhir/DocumentReference", type=RELEASES)

    for categories in ([Category.DIAGNOSIS], [Category.MEDICATIONS], [Category.CONSULT_NOTES]):
        world.signed(categories=categories)
    several = _queries(api, "/fhir/DocumentReference", type=RELEASES)

    assert Release.objects.filter(signed_at__isnull=False).count() == 4
    assert several == one


def test_capability_statement_and_openapi_describe_the_type_parameter():
    statement = Client().get("/fhir/metadata").json()
    entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "DocumentReference")
    param = next(p for p in entry["searchParam"] if p["name"] == "type")

    assert param["type"] == "token"
    assert "59284-0" in param["documentation"]
    assert "Without type: consult notes only" in param["documentation"]


def test_a_release_document_is_read_at_its_current_version_with_vread():
    world = CareWorld()
    api = api_for(world.therapist)
    current = api.get(f"/fhir/DocumentReference/{world.release.public_id}").json()
    vid = current["meta"]["versionId"]

    same = api.get(f"/fhir/DocumentReference/{world.release.public_id}/_history/{vid}")
    older = api.get(f"/fhir/DocumentReference/{world.release.public_id}/_history/{int(vid) + 7}")

    assert same.status_code == 200
    assert validated(same.json())["id"] == str(world.release.public_id)
    assert older.status_code == 404
