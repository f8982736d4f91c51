"""vread and _history: a Task, ServiceRequest or Consent as it was at each of its versions."""

import pytest

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import CareWorld
from tandem.consent.actions import revoke_release
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.fhir.tests.factories import api_for
from tandem.fhir.validation import validated
from tandem.referrals import actions
from tandem.referrals.models import DeclineReason, Referral

pytestmark = pytest.mark.django_db


def _declined(world):
    """Start (v1), save the packet (v2), send (v3), acknowledge (v4), decline (v5)."""
    referral = world.sent()
    actions.receive(actor=world.coordinator, referral=referral)
    actions.decline(
        actor=world.coordinator,
        referral=referral,
        decline_reason=DeclineReason.NOT_ACCEPTING,
        note="Our prescribers are full until spring.",
    )
    return Referral.objects.get(pk=referral.pk)


def _vids(bundle):
    return [e["resource"]["meta"]["versionId"] for e in bundle["entry"]]


def test_a_tasks_history_is_every_version_the_reader_could_have_seen_newest_first():
    # Given a referral the practice acknowledged and then declined
    world = CareWorld()
    referral = _declined(world)
    practice = api_for(world.coordinator)
    therapist = api_for(world.therapist)

    # When each side's EHR asks for the Task's history
    theirs = practice.get(f"/fhir/Task/{referral.public_id}/_history")
    mine = therapist.get(f"/fhir/Task/{referral.public_id}/_history")

    # Then the practice sees the versions since it was sent (it never saw the drafts), the
    # therapist every one, newest first, each Task as it stood then
    assert theirs.status_code == 200, theirs.content
    body = validated(theirs.json())
    assert (body["type"], body["total"]) == ("history", 3)
    assert _vids(body) == ["5", "4", "3"]
    assert [e["resource"]["status"] for e in body["entry"]] == ["rejected", "received", "requested"]
    assert [e["response"]["etag"] for e in body["entry"]] == ['W/"5"', 'W/"4"', 'W/"3"']
    assert body["entry"][0]["resource"]["statusReason"]["coding"][0]["code"] == "not_accepting"
    assert "statusReason" not in body["entry"][1]["resource"]
    assert _vids(validated(mine.json())) == ["5", "4", "3", "2", "1"]
    assert mine.json()["entry"][-1]["request"] == {"method": "POST", "url": "Task"}
    # And the newest is exactly what a read answers today
    assert body["entry"][0]["resource"] == practice.get(f"/fhir/Task/{referral.public_id}").json()


def test_vread_answers_the_task_at_that_version_with_its_etag_and_404_for_one_never_made():
    world = CareWorld()
    referral = _declined(world)
    sent = referral.versions.get(version=3)
    api = api_for(world.coordinator)

    then = api.get(f"/fhir/Task/{referral.public_id}/_history/3")
    draft = api.get(f"/fhir/Task/{referral.public_id}/_history/2")
    never = api.get(f"/fhir/Task/{referral.public_id}/_history/9")
    junk = api.get(f"/fhir/Task/{referral.public_id}/_history/x")

    assert then.status_code == 200
    assert then["ETag"] == 'W/"3"'
    task = validated(then.json())
    assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == ("requested", "sent")
    assert task["meta"]["versionId"] == "3"
    assert task["lastModified"] == sent.at.isoformat().replace("+00:00", "Z")
    assert task["restriction"]["period"]["end"] == referral.due_at.isoformat().replace(
        "+00:00", "Z"
    )
    for refused in (draft, never, junk):  # the practice never saw the draft
        assert refused.status_code == 404
        assert validated(refused.json())["resourceType"] == "OperationOutcome"


def test_history_pages_with_count_and_next_links():
    world = CareWorld()
    referral = _declined(world)
    api = api_for(world.therapist)

    first = api.get(f"/fhir/Task/{referral.public_id}/_history", _count=2)
    links = {link["relation"]: link["url"] for link in first.json()["link"]}
    second = api.get(links["next"].split("testserver")[1])
    bad = api.get(f"/fhir/Task/{referral.public_id}/_history", _count=0)

    assert _vids(first.json()) == ["5", "4"]
    assert _vids(second.json()) == ["3", "2"]
    assert second.json()["total"] == 5
    assert bad.status_code == 400
    assert bad.json()["issue"][0]["expression"] == ["_count"]


def test_a_service_requests_versions_are_those_since_its_packet_was_last_written():
    # Given a referral whose packet was saved at v2 and is frozen since it was sent (v3)
    world = CareWorld()
    referral = _declined(world)
    api = api_for(world.therapist)

    history = api.get(f"/fhir/ServiceRequest/{referral.public_id}/_history")
    first = api.get(f"/fhir/ServiceRequest/{referral.public_id}/_history/1")
    draft = api.get(f"/fhir/ServiceRequest/{referral.public_id}/_history/2")

    # Then the versions before the packet's text was written are not served (not kept)
    assert _vids(validated(history.json())) == ["5", "4", "3", "2"]
    assert first.status_code == 404
    assert draft.json()["status"] == "draft"
    assert draft.json()["note"] == history.json()["entry"][0]["resource"]["note"]
    assert history.json()["entry"][1]["resource"]["status"] == "active"


def test_a_consent_at_each_version_and_only_for_who_may_read_it_today():
    # Given a collaboration release the client signed, then revoked
    world = CareWorld()
    release = revoke_release(actor=world.client_user, release=world.release)
    api = api_for(world.therapist)
    outsider = api_for(make_staff(Role.THERAPIST, world.elsewhere))

    read = api.get(f"/fhir/Consent/{release.public_id}")
    history = api.get(f"/fhir/Consent/{release.public_id}/_history")
    signed = api.get(f"/fhir/Consent/{release.public_id}/_history/2")

    # Then each version is the release after each status change, the read is the newest
    assert read["ETag"] == 'W/"3"'
    body = validated(history.json())
    assert [e["resource"]["status"] for e in body["entry"]] == ["inactive", "active", "draft"]
    assert body["entry"][0]["resource"] == read.json()
    assert signed["ETag"] == 'W/"2"'
    period = validated(signed.json())["provision"]["period"]
    assert period["end"] == release.expires_on.isoformat()  # not yet the revocation
    assert body["entry"][0]["resource"]["provision"]["period"]["end"].startswith(
        release.revoked_at.date().isoformat()
    )
    assert "dateTime" not in body["entry"][2]["resource"]
    # And someone who may not read it today gets 404 for every version, as for the read
    for url in ("", "/_history", "/_history/1", "/_history/2"):
        assert outsider.get(f"/fhir/Consent/{release.public_id}{url}").status_code == 404


def test_a_history_read_is_audited_like_a_read():
    world = CareWorld()
    referral = _declined(world)
    api = api_for(world.coordinator)
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(referral.public_id))
    before = views.count()

    api.get(f"/fhir/Task/{referral.public_id}/_history")
    api.get(f"/fhir/ServiceRequest/{referral.public_id}/_history/4")

    assert views.count() == before + 2
    assert {e.actor_id for e in views.order_by("-pk")[:2]} == {world.coordinator.pk}


def test_a_resource_without_history_vreads_its_current_version_only():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    api = api_for(world.therapist)
    current = api.get(f"/fhir/DocumentReference/{note.public_id}").json()["meta"]["versionId"]

    now = api.get(f"/fhir/DocumentReference/{note.public_id}/_history/{current}")
    before = api.get(f"/fhir/DocumentReference/{note.public_id}/_history/{int(current) - 1}")

    assert now.status_code == 200
    assert now["ETag"] == f'W/"{current}"'
    assert before.status_code == 404
    assert "only the current one" in before.json()["issue"][0]["diagnostics"]


def test_the_capability_statement_says_which_types_keep_versions():
    from tandem.tests.support.http import Client

    statement = Client().get("/fhir/metadata").json()
    by_type = {r["type"]: r for r in statement["rest"][0]["resource"]}

    def says(kind):
        entry = by_type[kind]
        codes = {i["code"] for i in entry["interaction"]}
        return entry["versioning"], entry["readHistory"], {"vread", "history-instance"} & codes

    assert says("Task") == ("versioned-update", True, {"vread", "history-instance"})
    assert says("ServiceRequest") == ("versioned", True, {"vread", "history-instance"})
    assert says("Consent") == ("versioned", True, {"vread", "history-instance"})
    assert says("DocumentReference") == ("versioned", False, {"vread"})
    assert says("Patient") == ("no-version", False, set())
