"""Bulk ``$export`` of a practice's own data: kick-off, the worker, the manifest, the files.

An EHR asks for its practice's data, polls the status URL, downloads one ndjson file per
type with the same token. Only what the practice itself wrote or holds is in it, every
exported record is on the audit trail, and the worker's queries grow with chunks, not rows.
"""

import datetime as dt
import json
import uuid
from urllib.parse import urlparse

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.medications.actions import record_medication
from tandem.care.tests.factories import CareWorld
from tandem.core import policy
from tandem.fhir import export
from tandem.fhir import stuck as export_stuck
from tandem.fhir.auth import actor_for
from tandem.fhir.models import ExportJob, ExportStatus
from tandem.fhir.tests.factories import Api, api_for, system_client, token_for
from tandem.fhir.validation import validated
from tandem.measures import actions as measure_actions
from tandem.measures.models import ResponseSource
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.tests.factories import open_mornings
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db


def _response(world, by, org, days_ago=0, answers=(1, 1, 1, 1, 1, 1, 1, 1, 0)):
    return measure_actions.record_response(
        by,
        world.client,
        "phq-9",
        list(answers),
        source=ResponseSource.CLINICIAN,
        idempotency_key=uuid.uuid4(),
        organisation=org,
        entered_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def _medication(world):
    event, _ = record_medication(
        actor=world.prescriber,
        client=world.client,
        change="start",
        drug="sertraline",
        dose="25",
        unit="mg",
        frequency="once daily",
        reason="Panic attacks persist after CBT.",
    )
    return event


def _appointment(world):
    kind = open_mornings(world.psychiatry, world.prescriber)
    begins = timezone.now() + dt.timedelta(days=3)
    return Appointment.objects.create(
        organisation=world.psychiatry,
        prescriber=world.prescriber,
        client=world.client,
        appointment_type=kind,
        starts_at=begins,
        ends_at=begins + dt.timedelta(hours=1),
        blocked_until=begins + dt.timedelta(hours=1),
        status=AppointmentStatus.CONFIRMED,
    )


@pytest.fixture
def world():
    """A psychiatric practice holding a received referral, a medication, a visit and a PHQ-9;
    the client's therapist, in another practice, entered a PHQ-9 of their own."""
    world = CareWorld()
    world.referral = world.sent()
    world.medication = _medication(world)
    world.visit = _appointment(world)
    world.own_response = _response(world, world.prescriber, world.psychiatry)
    world.their_response = _response(world, world.therapist, world.therapy)
    return world


def _kick_off(api, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        return api.http.get("/fhir/$export", params, HTTP_PREFER="respond-async", **api.headers)


def _finished(api, django_capture_on_commit_callbacks, **params):
    """Kick off, let the worker run, and return (status path, manifest)."""
    kicked = _kick_off(api, django_capture_on_commit_callbacks, **params)
    assert kicked.status_code == 202, kicked.content
    path = urlparse(kicked["Content-Location"]).path
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    done = api.get(path)
    assert done.status_code == 200, done.content
    return path, done.json()


def _download(api, url):
    response = api.get(urlparse(url).path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()
    return [validated(json.loads(line)) for line in lines]


def test_an_ehr_exports_its_practices_own_data_polls_and_downloads_each_type(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.prescriber)

    # Given a kick-off, the status URL answers "in progress" until the worker has run
    kicked = _kick_off(api, django_capture_on_commit_callbacks)
    assert kicked.status_code == 202
    status = urlparse(kicked["Content-Location"])
    job = ExportJob.objects.get()
    assert status.path == f"/fhir/bulk-status/{job.public_id}"
    waiting = api.get(status.path)
    assert (waiting.status_code, waiting["X-Progress"]) == (202, "queued")

    # When the worker runs
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()

    # Then the manifest lists one file per type with records, with their counts
    manifest = api.get(status.path).json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/$export")
    assert manifest["error"] == []
    assert manifest["transactionTime"] is not None
    counts = {item["type"]: item["count"] for item in manifest["output"]}
    assert counts == {
        "Organization": 1,
        "Practitioner": 3,  # the prescriber, the coordinator, the admin
        "PractitionerRole": 3,
        "Patient": 1,
        "Task": 1,  # the referral it received; its packet is the sender's (no ServiceRequest)
        "Appointment": 1,
        "MedicationStatement": 1,
        "QuestionnaireResponse": 1,  # its own, not the therapist's
        "Observation": 1,
    }
    files = {item["type"]: _download(api, item["url"]) for item in manifest["output"]}
    assert {t: len(resources) for t, resources in files.items()} == counts
    assert [r["id"] for r in files["Organization"]] == [str(world.psychiatry.public_id)]
    assert [r["id"] for r in files["Patient"]] == [str(world.client.public_id)]
    assert [r["id"] for r in files["Task"]] == [str(world.referral.public_id)]
    assert [r["id"] for r in files["MedicationStatement"]] == [str(world.medication.public_id)]
    assert [r["id"] for r in files["Appointment"]] == [str(world.visit.public_id)]
    assert [r["id"] for r in files["QuestionnaireResponse"]] == [str(world.own_response.public_id)]
    assert all(r["resourceType"] == t for t, rs in files.items() for r in rs)


def test_every_exported_record_and_every_download_is_on_the_audit_trail(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.prescriber)

    _, manifest = _finished(api, django_capture_on_commit_callbacks, _type="MedicationStatement")
    _download(api, manifest["output"][0]["url"])

    exported = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    record = exported.get(object_type="care.medicationevent")
    assert (record.object_id, record.client_id, record.actor_id) == (
        str(world.medication.public_id),
        str(world.client.public_id),
        world.prescriber.pk,
    )
    assert record.organisation_id == str(world.psychiatry.public_id)
    assert record.detail == {"via": "fhir-export", "type": "MedicationStatement"}
    stages = [
        e.detail["stage"] for e in exported.filter(object_type="fhir.exportjob").order_by("pk")
    ]
    assert stages == ["requested", "downloaded"]


def test_a_practice_that_sent_the_referral_exports_its_service_request_with_the_packet(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.therapist)

    _, manifest = _finished(
        api, django_capture_on_commit_callbacks, _type="ServiceRequest,Task,QuestionnaireResponse"
    )

    files = {item["type"]: _download(api, item["url"]) for item in manifest["output"]}
    (request,) = files["ServiceRequest"]
    assert request["id"] == str(world.referral.public_id)
    assert "meta" not in request or "security" not in request["meta"]  # nothing withheld
    assert {n["id"] for n in request["note"]} >= {"symptoms_tried", "treatment_history"}
    assert [r["id"] for r in files["Task"]] == [str(world.referral.public_id)]
    # The psychiatric practice's PHQ-9 is theirs: not in the therapy practice's export.
    assert [r["id"] for r in files["QuestionnaireResponse"]] == [
        str(world.their_response.public_id)
    ]


def test_type_restricts_the_export_to_the_types_asked(world, django_capture_on_commit_callbacks):
    api = api_for(world.prescriber)

    _, manifest = _finished(api, django_capture_on_commit_callbacks, _type="Patient,Observation")

    assert [(i["type"], i["count"]) for i in manifest["output"]] == [
        ("Patient", 1),
        ("Observation", 1),
    ]
    assert manifest["request"].endswith("_type=Patient%2CObservation")


def test_since_leaves_out_what_did_not_change_since(world, django_capture_on_commit_callbacks):
    old = _response(world, world.prescriber, world.psychiatry, days_ago=10)
    api = api_for(world.prescriber)
    since = (timezone.now() - dt.timedelta(days=3)).isoformat()

    _, manifest = _finished(
        api, django_capture_on_commit_callbacks, _type="QuestionnaireResponse", _since=since
    )

    (item,) = manifest["output"]
    ids = [r["id"] for r in _download(api, item["url"])]
    assert ids == [str(world.own_response.public_id)]
    assert str(old.public_id) not in ids


def test_another_practices_export_holds_none_of_this_practices_records(
    world, django_capture_on_commit_callbacks
):
    from tandem.core.roles import Role
    from tandem.core.tests.factories import make_staff

    stranger = make_staff(Role.PRESCRIBER, world.elsewhere)
    api = api_for(stranger)

    _, manifest = _finished(api, django_capture_on_commit_callbacks)

    exported = {r["id"] for item in manifest["output"] for r in _download(api, item["url"])}
    ours = {
        str(world.client.public_id),
        str(world.referral.public_id),
        str(world.medication.public_id),
        str(world.visit.public_id),
        str(world.own_response.public_id),
        str(world.psychiatry.public_id),
    }
    assert exported & ours == set()
    assert str(world.elsewhere.public_id) in exported


def test_another_system_client_may_not_poll_download_or_cancel_the_job(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.prescriber)
    path, manifest = _finished(api, django_capture_on_commit_callbacks)
    # the same practice's other system, acting for the same person
    other = Api(token_for(system_client(world.prescriber, scopes="system/*.read")))

    assert other.get(path).status_code == 404
    assert other.get(urlparse(manifest["output"][0]["url"]).path).status_code == 404
    refused = other.http.delete(path, **other.headers)
    assert refused.status_code == 404
    assert refused.json()["resourceType"] == "OperationOutcome"
    assert ExportJob.objects.get().status == ExportStatus.DONE


def test_without_prefer_respond_async_the_kick_off_is_refused_naming_the_header(world):
    api = api_for(world.prescriber)

    response = api.get("/fhir/$export")

    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert (response.json()["resourceType"], issue["expression"]) == (
        "OperationOutcome",
        ["Prefer"],
    )
    assert ExportJob.objects.count() == 0


def test_bad_parameters_are_refused_each_naming_itself(world):
    api = api_for(world.prescriber)

    response = api.http.get(
        "/fhir/$export",
        {"_type": "Patient,Slot", "_since": "last week", "_outputFormat": "text/csv", "x": "1"},
        HTTP_PREFER="respond-async",
        **api.headers,
    )

    assert response.status_code == 400
    named = {i["expression"][0]: i["diagnostics"] for i in response.json()["issue"]}
    assert set(named) == {"_type", "_since", "_outputFormat", "x"}
    assert "Slot" in named["_type"]
    assert ExportJob.objects.count() == 0


def test_a_kick_off_url_too_long_to_echo_is_refused_and_nothing_is_queued(world):
    # Given a kick-off whose _type repeats valid types until its URL passes 2,000 characters
    api = api_for(world.prescriber)
    types = ",".join(["Patient", "Observation"] * 150)

    # When the EHR sends it
    response = api.http.get(
        "/fhir/$export", {"_type": types}, HTTP_PREFER="respond-async", **api.headers
    )

    # Then it is refused by name and rule, instead of failing to store the manifest's echo
    assert response.status_code == 400
    assert [(i["expression"], i["diagnostics"]) for i in response.json()["issue"]] == [
        (["_type"], "The kick-off URL is at most 2,000 characters long.")
    ]
    assert ExportJob.objects.count() == 0


def test_a_token_without_read_scope_for_a_type_asked_is_refused(
    world, django_capture_on_commit_callbacks
):
    api = Api(token_for(system_client(world.prescriber, scopes="system/Task.read")))

    everything = _kick_off(api, django_capture_on_commit_callbacks)
    tasks_only = _kick_off(api, django_capture_on_commit_callbacks, _type="Task")

    assert everything.status_code == 403
    assert "Patient" in everything.json()["issue"][0]["diagnostics"]
    assert tasks_only.status_code == 202
    assert list(ExportJob.objects.values_list("types", flat=True)) == [["Task"]]


def test_a_second_kick_off_while_one_runs_is_told_to_wait(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.prescriber)
    _kick_off(api, django_capture_on_commit_callbacks)

    again = _kick_off(api, django_capture_on_commit_callbacks)

    assert again.status_code == 429
    assert ExportJob.objects.count() == 1


def test_delete_cancels_a_queued_export_and_the_worker_then_writes_nothing(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.prescriber)
    path = urlparse(_kick_off(api, django_capture_on_commit_callbacks)["Content-Location"]).path

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = api.http.delete(path, **api.headers)
    run_worker()

    assert cancelled.status_code == 202
    assert api.get(path).status_code == 404
    job = ExportJob.objects.get()
    assert (job.status, job.output) == (ExportStatus.CANCELLED, [])
    assert not export.storage().exists(export.file_name(job, "Patient"))


def test_delete_of_a_finished_export_deletes_its_files(world, django_capture_on_commit_callbacks):
    api = api_for(world.prescriber)
    path, manifest = _finished(api, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert export.storage().exists(export.file_name(job, "Patient"))

    with django_capture_on_commit_callbacks(execute=True):
        assert api.http.delete(path, **api.headers).status_code == 202

    assert not export.storage().exists(export.file_name(job, "Patient"))
    assert api.get(urlparse(manifest["output"][0]["url"]).path).status_code == 404


def test_the_files_expire_after_a_day_and_the_cleanup_task_deletes_them(
    world, django_capture_on_commit_callbacks
):
    api = api_for(world.prescriber)
    path, manifest = _finished(api, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)

    with time_machine.travel(job.expires_at - dt.timedelta(minutes=1), tick=False):
        run_worker()
    assert export.storage().exists(export.file_name(job, "Patient"))

    with time_machine.travel(job.expires_at + dt.timedelta(minutes=1), tick=False):
        run_worker()

    assert ExportJob.objects.get().status == ExportStatus.EXPIRED
    assert not export.storage().exists(export.file_name(job, "Patient"))
    assert api.get(path).status_code == 404
    assert api.get(urlparse(manifest["output"][0]["url"]).path).status_code == 404


def test_an_expired_export_is_gone_even_before_the_cleanup_task_has_run(
    world, django_capture_on_commit_callbacks
):
    _finished(api_for(world.prescriber), django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()

    later = job.expires_at + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False), pytest.raises(policy.Forbidden):
        export.job_for(job.system, job.public_id)

    assert export.job_for(job.system, job.public_id) == job  # still there before it expires


def test_the_capability_statement_offers_export():
    from tandem.tests.support.http import Client

    statement = Client().get("/fhir/metadata").json()

    assert statement["rest"][0]["operation"] == [
        {
            "name": "export",
            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
        }
    ]
    assert validated(statement)["resourceType"] == "CapabilityStatement"


def _worker_queries(world, n):
    """Return the SQL queries of one worker run exporting the practice's ``n`` PHQ-9s."""
    have = world.psychiatry_responses
    for _ in range(n - have):
        _response(world, world.prescriber, world.psychiatry)
    world.psychiatry_responses = n
    system = system_client(world.prescriber)
    job = export.start_export(
        system=system,
        actor=actor_for(system),
        types=["QuestionnaireResponse"],
        since=None,
        request_url="https://tandem.invalid/fhir/$export",
    )
    with CaptureQueriesContext(connection) as captured:
        export.run_export(job.pk)
    job.refresh_from_db()
    assert job.output[0]["count"] == n
    return len(captured)


@pytest.fixture
def bare_world():
    world = CareWorld()
    world.psychiatry_responses = 0
    return world


def test_one_chunk_costs_the_same_queries_for_10_records_as_for_40(bare_world):
    with override_settings(FHIR_EXPORT_CHUNK=50):
        ten = _worker_queries(bare_world, 10)
        forty = _worker_queries(bare_world, 40)

    assert ten == forty


def test_the_workers_queries_grow_with_chunks_not_records(bare_world):
    with override_settings(FHIR_EXPORT_CHUNK=10):
        one_chunk = _worker_queries(bare_world, 10)
        two_chunks = _worker_queries(bare_world, 20)
        four_chunks = _worker_queries(bare_world, 40)

    per_chunk = two_chunks - one_chunk
    assert per_chunk <= 8  # read is one cursor; the audit append and the progress: a few
    assert four_chunks - two_chunks == 2 * per_chunk


def _as_if_started(minutes_ago: int) -> None:
    """Make the export and its task look claimed by a worker ``minutes_ago`` (then killed)."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    since = timezone.now() - dt.timedelta(minutes=minutes_ago)
    ExportJob.objects.update(status=ExportStatus.RUNNING, started_at=since, transaction_time=since)
    DBTaskResult.objects.filter(task_path="tandem.fhir.tasks.run_export").update(
        status=TaskResultStatus.RUNNING, started_at=since
    )


def test_an_export_whose_worker_died_is_run_again_by_the_sweep_and_the_next_kick_off_works(
    world, django_capture_on_commit_callbacks
):
    from tandem.core.stalled import requeue_stalled

    # Given an export a worker claimed 20 minutes ago and died on (the next kick-off waits)
    api = api_for(world.prescriber)
    path = urlparse(_kick_off(api, django_capture_on_commit_callbacks)["Content-Location"]).path
    _as_if_started(minutes_ago=20)
    assert _kick_off(api, django_capture_on_commit_callbacks).status_code == 429

    # When the stalled-task sweep runs (15 minutes' lease) and then a live worker
    assert requeue_stalled(dt.timedelta(minutes=15)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()

    # Then the export is finished, and a new one is accepted
    assert api.get(path).status_code == 200
    assert _kick_off(api, django_capture_on_commit_callbacks).status_code == 202


def test_an_export_whose_task_is_gone_is_failed_with_the_reason_and_a_new_one_runs(
    world, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from tandem.core.stalled import requeue_stalled

    # Given an export left running 20 minutes ago whose task no worker holds any more,
    # and one that started 5 minutes ago (within its lease) for another client
    api = api_for(world.prescriber)
    path = urlparse(_kick_off(api, django_capture_on_commit_callbacks)["Content-Location"]).path
    _as_if_started(minutes_ago=20)
    DBTaskResult.objects.all().delete()
    other = api_for(world.prescriber)
    _kick_off(other, django_capture_on_commit_callbacks)
    young = ExportJob.objects.latest("pk")
    ExportJob.objects.filter(pk=young.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    DBTaskResult.objects.all().delete()

    # When the sweep runs
    requeue_stalled(dt.timedelta(minutes=15))

    # Then the stuck one is failed, saying why, on the trail; the young one is left alone
    failed = api.get(path)
    assert failed.status_code == 500
    assert failed.json()["issue"][0]["diagnostics"] == export_stuck.EXPORT_LOST
    young.refresh_from_db()
    assert young.status == ExportStatus.RUNNING
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.EXPORT, detail__stage="failed", detail__reason="worker lost"
        ).count()
        == 1
    )
    # and the client's next kick-off is accepted and runs
    kicked = _kick_off(api, django_capture_on_commit_callbacks)
    assert kicked.status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    assert api.get(urlparse(kicked["Content-Location"]).path).status_code == 200
