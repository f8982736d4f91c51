"""Importing a practice's roster from a FHIR Bundle: all of it or nothing, and again without duplicates."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandem.audit.models import AuditAction, AuditEvent
from tandem.clients.models import CareTeamMember, Client
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import TherapyPracticeFactory, make_staff
from tandem.fhir import codes
from tandem.fhir.models import RosterImport
from tandem.fhir.roster import import_roster
from tandem.fhir.roster_actions import run_roster_import, start_roster_import
from tandem.organisations.models import Invitation
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

MRN = "https://records.example.test/mrn"
STAFF_ID = "https://records.example.test/staff"


class Practice:
    """A therapy practice with its admin and one therapist already on Tandem."""

    def __init__(self) -> None:
        self.organisation = TherapyPracticeFactory(name="Harbour Street Therapy")
        self.admin = make_staff(Role.PRACTICE_ADMIN, self.organisation)
        self.therapist = make_staff(
            Role.THERAPIST, self.organisation, email="rowan.therapist@example.test"
        )


def patient(
    mrn: str = "100", family: str = "Quill", given: str = "Avery", **extra: Any
) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": MRN, "value": mrn}],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "birthDate": "1990-04-02",
        "telecom": [{"system": "email", "value": f"{given.lower()}@example.test"}],
        "address": [{"state": "MA"}],
        "generalPractitioner": [{"reference": "urn:uuid:practitioner-rowan"}],
        **extra,
    }


def rowan() -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "identifier": [{"system": STAFF_ID, "value": "T-1"}],
        "name": [{"family": "Therapist", "given": ["Rowan"]}],
        "telecom": [{"system": "email", "value": "rowan.therapist@example.test"}],
    }


def newcomer() -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "identifier": [{"system": STAFF_ID, "value": "T-2"}],
        "name": [{"family": "Newcomer", "given": ["Sam"]}],
        "telecom": [{"system": "email", "value": "sam.newcomer@example.test"}],
    }


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    urls = {"Practitioner": "urn:uuid:practitioner-"}
    entries = []
    for index, resource in enumerate(resources):
        full_url = f"urn:uuid:entry-{index}"
        if resource["resourceType"] == "Practitioner":
            given = resource["name"][0]["given"][0].lower()
            full_url = f"{urls['Practitioner']}{given}"
        entry: dict[str, Any] = {"fullUrl": full_url, "resource": resource}
        if kind == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def test_a_roster_makes_clients_on_their_clinicians_care_team_and_invites_newcomers():
    practice = Practice()
    roster = bundle(rowan(), newcomer(), patient(), kind="transaction")

    report = import_roster(actor=practice.admin, organisation=practice.organisation, bundle=roster)

    assert report.applied, report.lines()
    assert [(e.resource_type, e.outcome) for e in report.entries] == [
        ("Practitioner", "created"),
        ("Practitioner", "created"),
        ("Patient", "created"),
    ]
    client = Client.objects.get(public_id=report.entries[2].record)
    assert (client.first_name, client.last_name, client.state_of_residence) == (
        "Avery",
        "Quill",
        "MA",
    )
    seat = CareTeamMember.objects.get(client=client)
    assert (seat.user, seat.organisation, seat.role) == (
        practice.therapist,
        practice.organisation,
        Role.THERAPIST,
    )
    # Rowan already works here: no invitation; Sam is invited, given no role until they accept.
    invitation = Invitation.objects.get(organisation=practice.organisation)
    assert (invitation.email, invitation.role) == ("sam.newcomer@example.test", Role.THERAPIST)
    assert not practice.organisation.memberships.filter(user__email=invitation.email).exists()
    # One audit row per record made: the client, its care-team seat, the invitation.
    created = AuditEvent.objects.filter(actor_id=practice.admin.pk, action=AuditAction.CREATE)
    assert sorted(created.values_list("object_type", flat=True)) == sorted(
        ["clients.client", "clients.careteammember", "organisations.invitation"]
    )


def test_importing_the_same_roster_again_updates_instead_of_duplicating():
    practice = Practice()
    import_roster(
        actor=practice.admin,
        organisation=practice.organisation,
        bundle=bundle(rowan(), newcomer(), patient()),
    )

    again = import_roster(
        actor=practice.admin,
        organisation=practice.organisation,
        bundle=bundle(rowan(), newcomer(), patient(family="Quill-Marsh")),
    )

    assert [e.outcome for e in again.entries] == ["unchanged", "unchanged", "updated"]
    assert Client.objects.count() == 1
    assert Client.objects.get().last_name == "Quill-Marsh"
    assert Invitation.objects.count() == 1
    update = AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="clients.client")
    assert update.detail == {"changed": ["last_name"], "via": "roster import"}


def test_one_bad_entry_imports_nothing_and_every_problem_is_named_by_its_path():
    practice = Practice()
    before = AuditEvent.objects.count()
    roster = bundle(
        rowan(),
        patient(),
        patient(mrn="101", birthDate="1990-13-45"),
        patient(mrn="102", generalPractitioner=[]),
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
    )

    report = import_roster(actor=practice.admin, organisation=practice.organisation, bundle=roster)

    assert not report.applied
    assert [e.outcome for e in report.entries] == [
        "not applied",
        "not applied",
        "rejected",
        "rejected",
        "rejected",
    ]
    paths = [(p.path, p.code) for p in report.all_problems()]
    assert ("Bundle.entry[2].resource.birthDate", "invalid") in paths
    assert ("Bundle.entry[3].resource.generalPractitioner", "required") in paths
    assert ("Bundle.entry[4].resource.resourceType", "not-supported") in paths
    assert Client.objects.count() == 0
    assert AuditEvent.objects.count() == before
    outcome = report.operation_outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    assert {i["expression"][0] for i in outcome["issue"]} == {p for p, _ in paths}


def test_a_write_refused_while_applying_rolls_back_the_entries_already_applied():
    # Given a roster whose newcomer's address the invitation refuses (only the action knows)
    practice = Practice()
    bad = newcomer()
    bad["telecom"] = [{"system": "email", "value": "not-an-address"}]

    report = import_roster(
        actor=practice.admin,
        organisation=practice.organisation,
        bundle=bundle(rowan(), patient(), bad),
    )

    assert not report.applied
    assert [e.outcome for e in report.entries] == ["not applied", "not applied", "rejected"]
    assert [(p.path, p.message) for p in report.all_problems()] == [
        ("Bundle.entry[2].resource.telecom", "Enter a valid email address.")
    ]
    assert Client.objects.count() == 0
    assert Invitation.objects.count() == 0


def test_the_organization_updates_only_the_practice_itself():
    practice = Practice()
    own = {
        "resourceType": "Organization",
        "id": str(practice.organisation.public_id),
        "name": "Harbour Street Therapy Collective",
        "telecom": [{"system": "phone", "value": "617-555-0142"}],
        "address": [{"line": ["12 Harbour St"], "city": "Salem", "state": "MA"}],
    }
    other = {"resourceType": "Organization", "id": "somewhere-else", "name": "Elsewhere"}

    refused = import_roster(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(own, other)
    )
    done = import_roster(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(own)
    )

    assert [(p.path, p.code) for p in refused.all_problems()] == [
        ("Bundle.entry[1].resource.id", "business-rule")
    ]
    assert [e.outcome for e in done.entries] == ["updated"]
    practice.organisation.refresh_from_db()
    assert (practice.organisation.name, practice.organisation.phone) == (
        "Harbour Street Therapy Collective",
        "(617) 555-0142",
    )
    assert (practice.organisation.address_line, practice.organisation.city) == (
        "12 Harbour St",
        "Salem",
    )


def test_a_practitioner_role_names_the_role_to_invite_to():
    practice = Practice()
    role = {
        "resourceType": "PractitionerRole",
        "practitioner": {"reference": "urn:uuid:practitioner-sam"},
        "organization": {"reference": f"Organization/{practice.organisation.public_id}"},
        "code": [{"coding": [{"system": codes.PRACTICE_ROLE, "code": "practice_admin"}]}],
    }
    wrong = {**role, "code": [{"coding": [{"system": codes.PRACTICE_ROLE, "code": "prescriber"}]}]}

    refused = import_roster(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(newcomer(), wrong)
    )
    done = import_roster(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(newcomer(), role)
    )

    assert [p.path for p in refused.all_problems()] == [
        "Bundle.entry[1].resource.code[0].coding[0].code"
    ]
    assert [e.outcome for e in done.entries] == ["created", "created"]
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("sam.newcomer@example.test", "practice_admin")


def test_only_the_practices_admin_may_import():
    practice = Practice()

    with pytest.raises(Forbidden):
        import_roster(
            actor=practice.therapist,
            organisation=practice.organisation,
            bundle=bundle(rowan(), patient()),
        )

    assert Client.objects.count() == 0


def test_the_command_prints_the_report_and_fails_on_a_rejection(tmp_path):
    practice = Practice()
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(bundle(rowan(), patient())))
    bad.write_text(json.dumps(bundle(patient(birthDate="1990"))))
    out = io.StringIO()
    args = ["--practice", str(practice.organisation.public_id), "--as", practice.admin.email]

    call_command("import_roster", *args, str(good), stdout=out)
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_roster", *args, str(bad), stdout=out)

    printed = out.getvalue()
    assert "entry 1 Patient: created" in printed
    assert "imported: 2 created" in printed
    assert (
        "Bundle.entry[0].resource.birthDate: The client's date of birth, as a full date "
        "(YYYY-MM-DD)." in printed
    )
    assert Client.objects.count() == 1


# --- the admin's page and the worker ---------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def upload_url(practice: Practice) -> str:
    return f"/organisations/{practice.organisation.public_id}/settings/roster/"


def as_file(data: Any, name: str = "roster.json") -> SimpleUploadedFile:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_the_admin_uploads_a_roster_the_worker_imports_it_and_the_page_follows_it(
    client, django_capture_on_commit_callbacks
):
    practice = Practice()
    client.force_login(practice.admin)

    form = client.get(upload_url(practice))
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(upload_url(practice), {"file": as_file(bundle(rowan(), patient()))})

    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.content.decode()
    assert sent.status_code == 302
    # The job's page is named by a random id only: nothing of the roster is in the URL.
    assert re.fullmatch(rf"{upload_url(practice)}[0-9a-f-]{{36}}/", sent["Location"])
    job = RosterImport.objects.get()
    assert (job.status, job.total) == ("queued", 2)

    waiting = client.get(sent["Location"]).content.decode()
    polled = client.get(sent["Location"], **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in waiting
    assert "<progress" in waiting
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting
    assert ">Refresh</a>" in waiting  # the no-JS way on
    assert "<html" not in polled
    assert 'hx-trigger="every 1s"' in polled
    assert "0 of 2 entries checked" in polled

    run_worker()

    done = client.get(sent["Location"], **HTMX).content.decode()
    assert "hx-trigger" not in done  # finished: the polling stops
    assert "Imported" in done
    assert "2 created" in done
    assert Client.objects.filter(last_name="Quill").count() == 1
    job.refresh_from_db()
    assert (job.status, job.checked, job.total, job.bundle) == ("done", 2, 2, {})
    # What the import keeps holds nothing of the people: the upload is gone, the report is
    # entry numbers, outcomes and ids.
    assert "Quill" not in json.dumps(job.report)
    assert "rowan.therapist" not in json.dumps(job.report)
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(job.public_id)).exists()


def test_a_rejected_roster_page_names_every_problem_and_nothing_is_imported(
    client, django_capture_on_commit_callbacks
):
    practice = Practice()
    client.force_login(practice.admin)
    roster = bundle(rowan(), patient(), patient(mrn="101", birthDate="1990"))

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(upload_url(practice), {"file": as_file(roster)})
    run_worker()
    page = client.get(sent["Location"]).content.decode()

    assert "Rejected: nothing imported" in page
    assert (
        "<code>Bundle.entry[2].resource.birthDate</code>: The client&#x27;s date of birth" in page
    )
    assert Client.objects.count() == 0
    assert RosterImport.objects.get().status == "rejected"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            b"{not json",
            "The file is not valid JSON: Expecting property name enclosed in double "
            "quotes at line 1, column 2.",
        ),
        (b"\xff\xfe\x00", "The file is not text: upload the Bundle as a UTF-8 JSON file."),
        ({"resourceType": "Patient"}, "The file holds JSON but not a FHIR Bundle"),
        (None, "This field is required."),
    ],
)
def test_a_bad_upload_is_refused_with_a_message_naming_the_problem(client, upload, message):
    practice = Practice()
    client.force_login(practice.admin)

    response = client.post(
        upload_url(practice), {} if upload is None else {"file": as_file(upload)}
    )

    assert response.status_code == 400
    assert html.unescape(response.content.decode()).count(message) >= 1
    assert RosterImport.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused_with_its_size(client, monkeypatch):
    practice = Practice()
    client.force_login(practice.admin)
    monkeypatch.setattr("tandem.fhir.roster_views.MAX_BYTES", 1024 * 1024)

    response = client.post(upload_url(practice), {"file": as_file(b" " * (1024 * 1024 + 200_000))})

    assert response.status_code == 400
    assert "The file is 1.2 MB; a roster upload is at most 1 MB." in response.content.decode()
    assert RosterImport.objects.count() == 0


def test_colleagues_and_other_practices_admins_get_404_and_start_nothing(client):
    practice = Practice()
    client.force_login(practice.admin)
    page = client.post(upload_url(practice), {"file": as_file(bundle(rowan()))})["Location"]
    others = [
        practice.therapist,
        make_staff(Role.PRACTICE_ADMIN),  # another practice's admin
    ]

    for person in others:
        client.force_login(person)
        assert client.get(upload_url(practice)).status_code == 404
        assert client.get(page).status_code == 404
        assert client.get(page, **HTMX).status_code == 404
        refused = client.post(upload_url(practice), {"file": as_file(bundle(rowan()))})
        assert refused.status_code == 404

    assert RosterImport.objects.count() == 1


def test_the_report_page_costs_the_same_queries_however_long_the_roster(
    client, django_capture_on_commit_callbacks
):
    practice = Practice()
    client.force_login(practice.admin)
    pages = []
    for size in (1, 15):
        people = [
            newcomer()
            | {
                "identifier": [{"system": STAFF_ID, "value": f"N{size}-{n}"}],
                "telecom": [{"system": "email", "value": f"n{size}-{n}@example.test"}],
            }
            for n in range(size)
        ]
        roster = bundle(*people)
        for n, entry in enumerate(roster["entry"]):
            entry["fullUrl"] = f"urn:uuid:person-{size}-{n}"
        with django_capture_on_commit_callbacks(execute=True):
            sent = client.post(upload_url(practice), {"file": as_file(roster)})
        pages.append(sent["Location"])
    run_worker()

    counts = []
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        counts.append(len(queries))

    assert RosterImport.objects.filter(status="done").count() == 2
    assert counts[0] == counts[1]


def test_the_worker_runs_an_import_once_however_often_the_task_is_delivered():
    practice = Practice()
    job = start_roster_import(
        actor=practice.admin,
        organisation=practice.organisation,
        bundle=bundle(rowan(), patient()),
    )

    run_roster_import(import_id=job.pk)
    run_roster_import(import_id=job.pk)  # delivered again

    job.refresh_from_db()
    assert job.status == "done"
    assert Client.objects.count() == 1
    assert (
        AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="clients.client").count()
        == 1
    )


def test_an_import_whose_uploader_lost_the_admin_role_is_rejected_not_failed():
    practice = Practice()
    job = start_roster_import(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(rowan(), patient())
    )
    practice.admin.memberships.update(is_active=False)

    run_roster_import(import_id=job.pk)

    job.refresh_from_db()
    assert job.status == "rejected"
    assert job.report["problems"][0]["message"] == (
        "Nothing was imported: whoever uploaded it is no longer an admin of the practice."
    )
    assert Client.objects.count() == 0


def test_a_patient_may_name_its_clinician_by_tandems_own_ids_and_twins_are_refused():
    practice = Practice()
    membership = practice.therapist.memberships.get()
    by_user = patient(
        generalPractitioner=[{"reference": f"Practitioner/{practice.therapist.public_id}"}]
    )
    by_role = patient(
        mrn="200", generalPractitioner=[{"reference": f"PractitionerRole/{membership.public_id}"}]
    )
    twin = patient(given="Blake")  # the same record number as by_user

    refused = import_roster(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(by_user, twin)
    )
    done = import_roster(
        actor=practice.admin, organisation=practice.organisation, bundle=bundle(by_user, by_role)
    )

    assert [(p.path, p.message) for p in refused.all_problems()] == [
        (
            "Bundle.entry[1].resource.identifier",
            "Entry 0 has the same identifier: one record per person.",
        )
    ]
    assert [e.outcome for e in done.entries] == ["created", "created"]
    assert CareTeamMember.objects.filter(user=practice.therapist).count() == 2


def test_an_import_whose_worker_died_is_failed_by_the_sweep_saying_so_and_a_new_one_runs(
    client, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tandem.core.stalled import requeue_stalled
    from tandem.fhir.stuck import IMPORT_LOST

    # Given an import a worker claimed 20 minutes ago and died on, mid-run
    practice = Practice()
    client.force_login(practice.admin)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(upload_url(practice), {"file": as_file(bundle(rowan(), patient()))})
    since = timezone.now() - dt.timedelta(minutes=20)
    RosterImport.objects.update(status="running", created_at=since)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=since)

    # When the stalled-task sweep runs, a live worker takes the task again, and the sweep
    # runs once more (the task found the job running and left it alone)
    requeue_stalled(dt.timedelta(minutes=15))
    run_worker()
    assert RosterImport.objects.get().status == "running"
    requeue_stalled(dt.timedelta(minutes=15))

    # Then the import is failed and its page says why, and the trail has it
    job = RosterImport.objects.get()
    assert (job.status, job.bundle) == ("failed", {})
    page = client.get(sent["Location"], **HTMX).content.decode()
    assert "hx-trigger" not in page  # finished: the polling stops
    assert html.escape(IMPORT_LOST.problems[0].message) in page
    assert AuditEvent.objects.filter(detail__reason="worker lost").count() == 1
    # and the same roster uploaded again is imported
    with django_capture_on_commit_callbacks(execute=True):
        client.post(upload_url(practice), {"file": as_file(bundle(rowan(), patient()))})
    run_worker()
    assert RosterImport.objects.latest("pk").status == "done"
    assert Client.objects.filter(last_name="Quill").count() == 1
