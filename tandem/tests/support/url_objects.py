"""Which object each URL id names, and how to build one that the probing users may not reach.

The URL walk (``tandem.tests.support.urlwalk``) looks up every path argument of
every URL pattern here. A new ``<uuid:something_id>`` in any ``urls.py`` needs
an entry: a function that builds a real ``something`` owned by a practice the
probing users do not belong to, together with one user who may reach it and
one who sits in the same place but has no second factor. Until the entry
exists the URL walk fails and names the argument.

Values are invented and distinctive (``Qz…canary``), so a response that
leaks them is caught by a plain substring search.

Each factory imports what it builds with inside itself, on purpose: the
registry's names are read without a database (which arguments are known), and
a run that walks a few URLs loads only those apps' test factories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from tandem.core.roles import Role


@dataclass
class Target:
    """A real object behind a URL argument, and who should and should not reach it."""

    value: Any  # what goes into the URL
    secrets: list[str]  # identifying values that must never show to someone refused
    allowed: Any  # a user who may reach the object (the positive case)
    insider_without_mfa: Any  # same role and place as ``allowed``, but no second factor
    objects: dict[str, Any] = field(default_factory=dict)  # for later arguments of the same URL
    #: When a URL is for someone else than ``allowed`` (the clinician's page about a client's
    #: release, say): route name → the user who may reach it.
    allowed_by_route: dict[str, Any] = field(default_factory=dict)


#: ``factory(built)``: ``built`` holds the targets of the arguments before this one in the URL.
Factory = Callable[[dict[str, Target]], Target]

REGISTRY: dict[str, Factory] = {}

#: Path arguments that identify nothing a user could be refused: name → (why, a value to
#: put in the URL), e.g. ``"tab": ("a section of the page", "history")``.
NOT_OBJECT_IDS: dict[str, tuple[str, str]] = {
    "practice_id": (
        "a psychiatric practice's public page and its open slots: meant for everyone, no PHI",
        "6f1c2a3e-0000-4000-8000-00000000c0de",
    ),
    "token": (
        "a random invitation token: an unknown one shows nothing, the right one is the key",
        "Qzunknowntokencanary",
    ),
    "vid": (
        "a version number of the FHIR resource the same URL names by id (no object of its own)",
        "1",
    ),
    "instrument_code": (
        "an instrument code: the name of a questionnaire form (no object, no PHI)",
        "phq-9",
    ),
    "resource_type": (
        "a FHIR resource type: which file of a bulk export (the export's id is the object)",
        "Patient",
    ),
    "questionnaire_id": (
        "a FHIR Questionnaire: an instrument's public definition (no object, no PHI)",
        "b054c178-584c-55cf-a2b6-45c558ae6441",
    ),
}


def registers(kwarg: str) -> Callable[[Factory], Factory]:
    """Register ``factory`` as the maker of objects for the URL argument ``kwarg``."""

    def register(factory: Factory) -> Factory:
        REGISTRY[kwarg] = factory
        return factory

    return register


@registers("client_id")
def _client(built: dict[str, Target]) -> Target:
    from tandem.core.tests.factories import ClientFactory, add_to_care_team, make_staff

    client = ClientFactory.create(
        first_name="Qzfirstcanary", last_name="Qzlastcanary", email="qzmailcanary@example.test"
    )
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(client, therapist, Role.THERAPIST, primary=True)
    without_mfa = make_staff(Role.PRESCRIBER, mfa=False)
    add_to_care_team(client, without_mfa, Role.PRESCRIBER)
    # Only the client's prescriber writes the consultation note.
    prescriber = make_staff(Role.PRESCRIBER)
    add_to_care_team(client, prescriber, Role.PRESCRIBER)
    return Target(
        value=client.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary", "qzmailcanary@example.test"],
        allowed=therapist,
        insider_without_mfa=without_mfa,
        objects={"client": client},
        # The visit plan page is the practice's (prescriber, coordinator), not the therapist's.
        allowed_by_route={"care:note_new": prescriber, "care:visits": prescriber},
    )


@registers("org_id")
def _organisation(built: dict[str, Target]) -> Target:
    from tandem.core.tests.factories import OrganisationFactory, make_staff

    organisation = OrganisationFactory.create(name="Qzpracticecanary Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    without_mfa = make_staff(Role.PRESCRIBER, organisation, mfa=False)
    return Target(
        value=organisation.public_id,
        secrets=["Qzpracticecanary"],
        allowed=admin,
        insider_without_mfa=without_mfa,
        objects={"organisation": organisation},
    )


@registers("membership_id")
def _membership(built: dict[str, Target]) -> Target:
    from tandem.core.tests.factories import OrganisationFactory, make_staff

    organisation = OrganisationFactory.create(name="Qzmemberorgcanary Psychiatry")
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    import uuid

    # More than one route takes a membership id (the practice's pages, the FHIR
    # PractitionerRole), each probed with its own: the address must differ.
    email = f"qzperson-{uuid.uuid4().hex[:8]}@example.test"
    coordinator = make_staff(
        Role.COORDINATOR, organisation, full_name="Qzpersoncanary", email=email
    )
    without_mfa = make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False)
    return Target(
        value=coordinator.memberships.get().public_id,
        secrets=["Qzmemberorgcanary", "Qzpersoncanary", email],
        allowed=admin,
        insider_without_mfa=without_mfa,
        objects={"organisation": organisation},
    )


def _invitation_world(name: str, email: str) -> tuple[Any, Any, Any, Any]:
    """Return a practice's admin, an admin without MFA, an invitee and the invitation to them."""
    from tandem.core.tests.factories import OrganisationFactory, UserFactory, make_staff
    from tandem.organisations.actions import invite

    organisation = OrganisationFactory.create(name=name)
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    without_mfa = make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False)
    invitee = UserFactory.create(email=email)
    invitation = invite(
        actor=admin, organisation=organisation, email=invitee.email, role=Role.COORDINATOR
    )
    return admin, without_mfa, invitee, invitation


@registers("invitation_id")
def _invitation(built: dict[str, Target]) -> Target:
    admin, without_mfa, _, invitation = _invitation_world(
        "Qzinviteorgcanary Psychiatry", "qzinvitee@example.test"
    )
    return Target(
        value=invitation.public_id,
        secrets=["Qzinviteorgcanary", "qzinvitee@example.test"],
        allowed=admin,  # only the practice's admins withdraw its invitations
        insider_without_mfa=without_mfa,
        objects={"invitation": invitation},
    )


@registers("invitation_token")
def _invitation_link(built: dict[str, Target]) -> Target:
    from tandem.organisations.access import invitation_link_token

    _, without_mfa, invitee, invitation = _invitation_world(
        "Qzlinkorgcanary Psychiatry", "qzlinkinvitee@example.test"
    )
    return Target(
        value=invitation_link_token(invitation),
        secrets=["Qzlinkorgcanary"],
        allowed=invitee,  # the emailed link opens only for the invited address
        insider_without_mfa=without_mfa,  # the practice's own admin cannot answer for them
        objects={"invitation": invitation},
    )


@registers("release_id")
def _release(built: dict[str, Target]) -> Target:
    from tandem.clients.models import Client
    from tandem.consent.tests.factories import World
    from tandem.core.tests.factories import add_to_care_team, make_staff
    from tandem.organisations.models import Organisation

    world = World()
    Client.objects.filter(pk=world.client.pk).update(
        first_name="Qzfirstcanary", last_name="Qzlastcanary"
    )
    world.client.refresh_from_db()
    release = world.signed()
    psychiatry = cast(Organisation, world.psychiatry)
    without_mfa = make_staff(Role.PRESCRIBER, psychiatry, mfa=False)
    add_to_care_team(world.client, without_mfa, Role.PRESCRIBER)
    return Target(
        value=release.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary"],
        allowed=world.client_user,  # the client reads, signs and revokes their release
        insider_without_mfa=without_mfa,
        objects={"release": release, "client": world.client},
        # The client reads their own release on the web; an EHR reads it for the care team.
        allowed_by_route={"consent:attest": world.therapist, "fhir:consent-read": world.therapist},
    )


@registers("referral_id")
def _referral(built: dict[str, Target]) -> Target:
    from tandem.clients.models import Client
    from tandem.core.tests.factories import make_staff
    from tandem.organisations.models import Organisation
    from tandem.referrals.tests.factories import ReferralWorld

    world = ReferralWorld()
    Client.objects.filter(pk=world.client.pk).update(
        first_name="Qzfirstcanary", last_name="Qzlastcanary", email="qzmailcanary@example.test"
    )
    world.client.refresh_from_db()
    referral = world.sent()
    psychiatry = cast(Organisation, world.psychiatry)
    without_mfa = make_staff(Role.COORDINATOR, psychiatry, mfa=False)
    return Target(
        value=referral.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary", "qzmailcanary@example.test"],
        allowed=world.therapist,  # the referring therapist follows it in the tracker
        insider_without_mfa=without_mfa,  # the receiving practice's coordinator, no second factor
        # A FHIR vread asks for a version the ServiceRequest and Task have: the current one.
        objects={"referral": referral, "client": world.client, "vid": str(referral.version)},
        # The receiving practice books the first visit from it.
        allowed_by_route={"scheduling:referral_booking": world.coordinator},
    )


@registers("document_id")
def _referral_attachment(built: dict[str, Target]) -> Target:
    from django.core.files.base import ContentFile

    from tandem.consent.categories import Category
    from tandem.referrals.models import ReferralAttachment

    referral_target = built["referral_id"]
    attachment = ReferralAttachment(
        referral=referral_target.objects["referral"],
        title="Qztitlecanary",
        category=Category.QUESTIONNAIRES,
        size=9,
    )
    attachment.file.save("canary.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    return Target(
        value=attachment.public_id,
        secrets=[*referral_target.secrets, "Qztitlecanary"],
        allowed=referral_target.allowed,  # the referring therapist downloads their own document
        insider_without_mfa=referral_target.insider_without_mfa,
        objects={**referral_target.objects, "attachment": attachment},
    )


def _care_world() -> Any:
    """Return a care team (therapist, prescriber, release) around a canary client."""
    from tandem.care.tests.factories import CareWorld
    from tandem.clients.models import Client

    world = CareWorld()
    Client.objects.filter(pk=world.client.pk).update(
        first_name="Qzfirstcanary", last_name="Qzlastcanary", email="qzmailcanary@example.test"
    )
    world.client.refresh_from_db()
    return world


def _care_insider(world: Any) -> Any:
    from tandem.core.tests.factories import add_to_care_team, make_staff

    without_mfa = make_staff(Role.PRESCRIBER, world.psychiatry, mfa=False)
    add_to_care_team(world.client, without_mfa, Role.PRESCRIBER)
    return without_mfa


@registers("note_id")
def _consult_note(built: dict[str, Target]) -> Target:
    from tandem.care.notes import actions

    world = _care_world()
    note = world.draft_note(formulation="Qzformulationcanary")
    actions.sign_and_send(actor=world.prescriber, note=note)
    return Target(
        value=note.public_id,
        secrets=["Qzformulationcanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.prescriber,  # the author; the therapist reads it too
        insider_without_mfa=_care_insider(world),
        objects={"note": note, "client": world.client},
    )


@registers("checkin_id")
def _checkin(built: dict[str, Target]) -> Target:
    from tandem.care.checkins import actions

    world = _care_world()
    checkin, _ = actions.send_progress_update(
        actor=world.therapist,
        client=world.client,
        data={"change": "better", "functioning": "Qzfunctioningcanary", "engagement": "full"},
    )
    return Target(
        value=checkin.public_id,
        secrets=["Qzfunctioningcanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.therapist,
        insider_without_mfa=_care_insider(world),
        objects={"checkin": checkin, "client": world.client},
    )


def _thread_world() -> tuple[Any, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tandem.care.messaging import actions

    world = _care_world()
    thread, _ = actions.start_thread(
        actor=world.therapist,
        client=world.client,
        subject="Qzsubjectcanary",
        body="Qzbodycanary",
        uploads=[
            SimpleUploadedFile("labs.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        ],
    )
    return world, thread


@registers("thread_id")
def _thread(built: dict[str, Target]) -> Target:
    world, thread = _thread_world()
    return Target(
        value=thread.public_id,
        secrets=["Qzsubjectcanary", "Qzbodycanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.therapist,
        insider_without_mfa=_care_insider(world),
        objects={"thread": thread, "client": world.client},
    )


@registers("attachment_id")
def _message_attachment(built: dict[str, Target]) -> Target:
    world, thread = _thread_world()
    attachment = thread.messages.get().attachments.get()
    return Target(
        value=attachment.public_id,
        secrets=["Qzsubjectcanary", "Qzbodycanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.prescriber,  # the recipient downloads it
        insider_without_mfa=_care_insider(world),
        objects={"attachment": attachment, "client": world.client},
    )


@registers("alert_id")
def _safety_alert(built: dict[str, Target]) -> Target:
    from tandem.care.crisis import actions as crisis

    world = _care_world()
    alert = crisis.raise_safety_alert(
        world.therapist, world.client, "urgent", "Qzsummarycanary", "Qzstepscanary"
    )
    return Target(
        value=alert.public_id,
        secrets=["Qzsummarycanary", "Qzstepscanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.therapist,
        insider_without_mfa=_care_insider(world),
        objects={"alert": alert, "client": world.client},
    )


@registers("appointment_id")
def _appointment(built: dict[str, Target]) -> Target:
    from tandem.clients.models import Client
    from tandem.core.tests.factories import make_staff
    from tandem.scheduling import actions, selectors
    from tandem.scheduling.tests.factories import Practice

    practice: Any = Practice()
    Client.objects.filter(pk=practice.client.pk).update(
        first_name="Qzfirstcanary", last_name="Qzlastcanary"
    )
    practice.client.refresh_from_db()
    first_open = selectors.slots(practice.org, practice.new_eval, weeks=3)[0]
    appointment = actions.hold_slot(
        actor=practice.client_user,
        organisation=practice.org,
        prescriber=practice.prescriber,
        appointment_type=practice.new_eval,
        starts_at=first_open.starts_at,
        client=practice.client,
    )
    without_mfa = make_staff(Role.COORDINATOR, practice.org, mfa=False)
    staff_routes = ("confirm", "decline", "outcome")
    return Target(
        value=appointment.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary"],
        allowed=practice.client_user,  # the client books, pays, cancels and checks in
        insider_without_mfa=without_mfa,  # the practice's coordinator, no second factor
        objects={"appointment": appointment, "client": practice.client},
        allowed_by_route={
            **{f"scheduling:{name}": practice.coordinator for name in staff_routes},
            "fhir:appointment-read": practice.coordinator,
        },
    )


def _measures_world() -> Any:
    from tandem.clients.models import Client
    from tandem.core.tests.factories import add_to_care_team, make_staff
    from tandem.measures.tests.factories import MeasuresWorld

    world = MeasuresWorld()
    Client.objects.filter(pk=world.client.pk).update(
        first_name="Qzfirstcanary", last_name="Qzlastcanary"
    )
    world.client.refresh_from_db()
    insider = make_staff(Role.PRESCRIBER, cast(Any, world.psychiatry), mfa=False)
    add_to_care_team(world.client, insider, Role.PRESCRIBER)
    world.insider = insider
    return world


@registers("visit_id")
def _completed_visit(built: dict[str, Target]) -> Target:
    """A client's completed visit, owed an experience check (only the client may answer it)."""
    import datetime as dt

    from django.utils import timezone

    from tandem.clients.models import Client
    from tandem.core.tests.factories import make_staff
    from tandem.scheduling.models import Appointment, AppointmentStatus
    from tandem.scheduling.tests.factories import Practice

    practice: Any = Practice()
    Client.objects.filter(pk=practice.client.pk).update(
        first_name="Qzfirstcanary", last_name="Qzlastcanary"
    )
    # The check names the practice and the visit's day, never the client: the practice's
    # name is what the allowed client sees and nobody refused may.
    practice.org.name = "Qzpracticecanary Psychiatry"
    practice.org.save(update_fields=["name"])
    begins = timezone.now() - dt.timedelta(days=3)
    visit = Appointment.objects.create(
        organisation=practice.org, prescriber=practice.prescriber, client=practice.client,
        appointment_type=practice.new_eval, starts_at=begins,
        ends_at=begins + dt.timedelta(minutes=60), blocked_until=begins + dt.timedelta(minutes=60),
        status=AppointmentStatus.COMPLETED,
    )  # fmt: skip
    return Target(
        value=visit.public_id,
        secrets=["Qzpracticecanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=practice.client_user,
        insider_without_mfa=make_staff(Role.COORDINATOR, practice.org, mfa=False),
        objects={"appointment": visit, "client": practice.client},
    )


@registers("response_id")
def _questionnaire_response(built: dict[str, Target]) -> Target:
    world = _measures_world()
    response = world.phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])
    return Target(
        value=response.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary"],
        allowed=world.prescriber,
        insider_without_mfa=world.insider,
        objects={"response": response, "client": world.client},
    )


@registers("medication_id")
def _medication_event(built: dict[str, Target]) -> Target:
    from tandem.care.medications.actions import record_medication

    world = _care_world()
    event, _ = record_medication(
        actor=world.prescriber,
        client=world.client,
        change="start",
        drug="sertraline",
        dose="25",
        unit="mg",
        frequency="once daily",
        reason="Qzreasoncanary",
    )
    return Target(
        value=event.public_id,
        secrets=["Qzreasoncanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.prescriber,
        insider_without_mfa=_care_insider(world),
        objects={"medication": event, "client": world.client},
    )


@registers("practitioner_id")
def _practitioner(built: dict[str, Target]) -> Target:
    """A clinician, read as a Practitioner by colleagues (with a second factor) only."""
    from tandem.core.tests.factories import OrganisationFactory, make_staff

    organisation = OrganisationFactory.create(name="Qzclinicorgcanary Psychiatry")
    clinician = make_staff(Role.PRESCRIBER, organisation, full_name="Qzclinician Canary")
    return Target(
        value=clinician.public_id,
        secrets=["Qzclinician"],
        allowed=make_staff(Role.COORDINATOR, organisation),
        insider_without_mfa=make_staff(Role.COORDINATOR, organisation, mfa=False),
        objects={"organisation": organisation},
    )


@registers("tracker_id")
def _symptom_tracker(built: dict[str, Target]) -> Target:
    from tandem.measures import actions

    world = _measures_world()
    tracker = actions.define_tracker(
        actor=world.prescriber, client=world.client, name="Qztrackercanary", unit="per week"
    )
    return Target(
        value=tracker.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary", "Qztrackercanary"],
        allowed=world.prescriber,
        insider_without_mfa=world.insider,
        objects={"tracker": tracker, "client": world.client},
    )


def _settings_practice(name: str) -> tuple[Any, Any, Any]:
    """Return a practice, its admin (with MFA) and another admin of it without a second factor."""
    from tandem.core.tests.factories import OrganisationFactory, make_staff

    organisation = OrganisationFactory.create(name=name)
    return (
        organisation,
        make_staff(Role.PRACTICE_ADMIN, organisation),
        make_staff(Role.PRACTICE_ADMIN, organisation, mfa=False),
    )


@registers("appointment_type_id")
def _appointment_type(built: dict[str, Target]) -> Target:
    from tandem.scheduling.models import AppointmentType

    organisation, admin, without_mfa = _settings_practice("Qztypeorgcanary Psychiatry")
    kind = AppointmentType.objects.create(
        organisation=organisation, code="qz-type", name="Qztypecanary", duration_minutes=45
    )
    return Target(
        value=kind.public_id,
        secrets=["Qztypeorgcanary", "Qztypecanary"],
        allowed=admin,  # only the practice's admins change its appointment types
        insider_without_mfa=without_mfa,
        objects={"organisation": organisation, "appointment_type": kind},
    )


@registers("hours_id")
def _weekly_hours(built: dict[str, Target]) -> Target:
    import datetime as dt

    from tandem.core.tests.factories import make_staff
    from tandem.scheduling.models import WeeklyHours

    organisation, admin, without_mfa = _settings_practice("Qzhoursorgcanary Psychiatry")
    prescriber = make_staff(Role.PRESCRIBER, organisation, full_name="Qzprescribercanary")
    block = WeeklyHours.objects.create(
        organisation=organisation,
        prescriber=prescriber,
        weekday=0,
        starts=dt.time(9),
        ends=dt.time(12),
    )
    return Target(
        value=block.public_id,
        secrets=["Qzhoursorgcanary", "Qzprescribercanary"],
        allowed=admin,  # only the practice's admins change its prescribers' hours
        insider_without_mfa=without_mfa,
        objects={"organisation": organisation, "weekly_hours": block},
    )


@registers("notification_id")
def _notification(built: dict[str, Target]) -> Target:
    from tandem.core.tests.factories import OrganisationFactory, make_staff
    from tandem.notifications.actions import notify
    from tandem.notifications.models import NotificationKind

    organisation = OrganisationFactory.create(name="Qznotifyorgcanary Psychiatry")
    recipient = make_staff(Role.PRESCRIBER, organisation)
    (notification,) = notify([recipient], NotificationKind.GENERAL, "/Qzlinkcanary/")
    return Target(
        value=notification.public_id,
        secrets=["Qzlinkcanary"],
        allowed=recipient,
        insider_without_mfa=make_staff(Role.PRESCRIBER, organisation, mfa=False),
        objects={"notification": notification},
    )


@registers("import_id")
def _roster_import(built: dict[str, Target]) -> Target:
    from tandem.fhir.roster_actions import start_roster_import

    practice = built["org_id"]  # the import's page sits under its practice's settings
    organisation = practice.objects["organisation"]
    job = start_roster_import(
        actor=practice.allowed,
        organisation=organisation,
        bundle={"resourceType": "Bundle", "type": "collection", "entry": []},
    )
    return Target(
        value=job.public_id,
        secrets=practice.secrets,
        allowed=practice.allowed,  # only the practice's admins follow its imports
        insider_without_mfa=practice.insider_without_mfa,
        objects={"organisation": organisation, "roster_import": job},
    )


@registers("job_id")
def _export_job(built: dict[str, Target]) -> Target:
    from tandem.core.tests.factories import (
        ClientFactory,
        OrganisationFactory,
        add_to_care_team,
        make_staff,
    )
    from tandem.fhir import export
    from tandem.fhir.auth import actor_for
    from tandem.fhir.tests.factories import system_client

    # A finished bulk export of a practice whose file names a client: only the system
    # client that asked may poll it or download it.
    organisation = OrganisationFactory.create(name="Qzexportorgcanary Psychiatry")
    prescriber = make_staff(Role.PRESCRIBER, organisation)
    client = ClientFactory.create(first_name="Qzfirstcanary", last_name="Qzlastcanary")
    add_to_care_team(client, prescriber, Role.PRESCRIBER)
    system = system_client(prescriber, organisation)
    job = export.start_export(
        system=system,
        actor=actor_for(system),
        types=["Patient"],
        since=None,
        request_url="https://tandem.invalid/fhir/$export",
    )
    export.run_export(job.pk)
    return Target(
        value=job.public_id,
        secrets=["Qzfirstcanary", "Qzlastcanary", "Qzexportorgcanary"],
        allowed=prescriber,
        insider_without_mfa=make_staff(Role.PRESCRIBER, organisation, mfa=False),
        # The job is its requester's alone: the walk's allowed side calls with this client.
        objects={"organisation": organisation, "system_client": system},
    )


@registers("slot_id")
def _open_slot(built: dict[str, Target]) -> Target:
    """An open slot of a practice's prescriber (computed, not stored), for its calendar's staff."""
    from tandem.core.tests.factories import make_staff
    from tandem.fhir.more_mapping import slot_id
    from tandem.scheduling import selectors
    from tandem.scheduling.tests.factories import Practice

    practice: Any = Practice()
    first_open = selectors.slots(practice.org, practice.new_eval, weeks=3)[0]
    schedule = practice.prescriber.memberships.get()
    return Target(
        value=slot_id(practice.prescriber.public_id, practice.new_eval, first_open.starts_at),
        secrets=[str(schedule.public_id)],
        allowed=practice.coordinator,
        insider_without_mfa=make_staff(Role.COORDINATOR, practice.org, mfa=False),
        objects={"organisation": practice.org},
    )


@registers("schedule_id")
def _schedule(built: dict[str, Target]) -> Target:
    """A prescriber's calendar (their role in the practice), for the practice's staff."""
    from tandem.core.tests.factories import make_staff
    from tandem.scheduling.tests.factories import Practice

    practice: Any = Practice()
    return Target(
        value=practice.prescriber.memberships.get().public_id,
        secrets=[str(practice.prescriber.public_id)],
        allowed=practice.coordinator,
        insider_without_mfa=make_staff(Role.COORDINATOR, practice.org, mfa=False),
        objects={"organisation": practice.org},
    )


@registers("message_id")
def _message(built: dict[str, Target]) -> Target:
    """A clinician's message on a client's thread (a FHIR Communication)."""
    world, thread = _thread_world()
    return Target(
        value=thread.messages.get().public_id,
        secrets=["Qzbodycanary", "Qzfirstcanary", "Qzlastcanary"],
        allowed=world.therapist,
        insider_without_mfa=_care_insider(world),
        objects={"thread": thread, "client": world.client},
    )


@registers("audit_event_id")
def _audit_event(built: dict[str, Target]) -> Target:
    """An event of the audit trail about a client, read by the admin of the practice it names."""
    import uuid

    from tandem.audit.actions import record
    from tandem.audit.models import AuditAction, AuditEvent
    from tandem.core.tests.factories import make_staff

    world = _care_world()
    record(
        actor=world.therapist,
        action=AuditAction.VIEW,
        obj=world.client,
        client=world.client,
        organisation=world.therapy,
    )
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None
    return Target(
        value=uuid.UUID(event.hash[:32]),
        secrets=[str(world.client.public_id), str(world.therapist.public_id)],
        allowed=make_staff(Role.PRACTICE_ADMIN, world.therapy),
        insider_without_mfa=make_staff(Role.PRACTICE_ADMIN, world.therapy, mfa=False),
        objects={"client": world.client},
    )
