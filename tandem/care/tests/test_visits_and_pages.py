"""The visit plan's reminder, and the note pages: held warning, locked note, acknowledgement."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.models import DeliveryStatus, NoteDelivery, VisitPlan
from tandem.care.notes import actions as note_actions
from tandem.care.tests.factories import NOTE, CareWorld
from tandem.care.tests.helpers import http, text
from tandem.care.visits import actions as visit_actions
from tandem.consent import actions as consent_actions
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.notifications.models import Notification, NotificationKind
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

BOSTON = ZoneInfo("America/New_York")


def test_the_coordinator_hears_when_the_follow_up_is_due_and_not_booked(
    django_capture_on_commit_callbacks,
):
    world = CareWorld()
    with (
        time_machine.travel(dt.datetime(2027, 3, 1, 10, 0, tzinfo=BOSTON), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        visit_actions.set_visit_plan(
            actor=world.prescriber,
            client=world.client,
            psychiatry_every_weeks=12,
            therapy_every_weeks=1,
            next_psychiatry_due=dt.date(2027, 3, 22),
        )
    with time_machine.travel(dt.datetime(2027, 3, 14, 9, 0, tzinfo=BOSTON), tick=False):
        run_worker()
    assert not Notification.objects.filter(kind=NotificationKind.VISIT_DUE).exists()
    with time_machine.travel(dt.datetime(2027, 3, 15, 9, 1, tzinfo=BOSTON), tick=False):
        run_worker()
    told = Notification.objects.get(kind=NotificationKind.VISIT_DUE)
    assert told.recipient == world.coordinator


def _form(**overrides):
    data = dict(NOTE) | overrides
    data["diagnoses"] = ", ".join(data["diagnoses"])
    return data


def test_signing_on_the_page_after_a_revocation_warns_the_prescriber_why_it_was_held():
    world = CareWorld()
    note = world.draft_note()
    consent_actions.revoke_release(actor=world.client_user, release=world.release)
    edit = reverse("care:note_edit", kwargs={"note_id": note.public_id})

    response = http(world.prescriber).post(edit, _form(sign="1", version=note.version), follow=True)

    body = text(response)
    assert (
        f"Held for {world.therapist.display_name} (Maple Street Counseling): The client revoked the release."
        in body
    )
    assert "Send again" in body
    assert NoteDelivery.objects.get(note=note).status == DeliveryStatus.HELD
    # The therapist sees the note only as withheld
    therapist_view = text(
        http(world.therapist).get(reverse("care:note", kwargs={"note_id": note.public_id}))
    )
    assert NOTE["formulation"] not in therapist_view
    assert (
        "Withheld — no current release covers consultation notes. The client revoked the release."
        in therapist_view
    )


def test_opening_the_editor_of_a_signed_note_refuses_and_offers_an_addendum():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    edit = reverse("care:note_edit", kwargs={"note_id": note.public_id})

    response = http(world.prescriber).post(
        edit, _form(formulation="Changed.", version=1), follow=True
    )

    assert response.redirect_chain[-1][0].endswith("#addendum")
    assert "This note is signed and locked; it cannot be edited. Add an addendum instead." in text(
        response
    )
    note.refresh_from_db()
    assert note.formulation == NOTE["formulation"]


def test_the_therapist_reads_acknowledges_and_downloads_the_note():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    page = reverse("care:note", kwargs={"note_id": note.public_id})
    therapist = http(world.therapist)

    body = text(therapist.get(page))
    assert "F41.0 Panic disorder [episodic paroxysmal anxiety]" in body
    assert therapist.post(page, {"acknowledge": "1"}).status_code == 302
    assert NoteDelivery.objects.get(note=note).acknowledged_at is not None
    pdf = therapist.get(reverse("care:note_pdf", kwargs={"note_id": note.public_id}))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    # The author's draft of another note stays invisible to the therapist
    draft = world.draft_note()
    assert (
        therapist.get(reverse("care:note", kwargs={"note_id": draft.public_id})).status_code == 404
    )


# --- The visit plan page ------------------------------------------------------------------


def _visits(world):
    return reverse("care:visits", kwargs={"client_id": world.client.public_id})


def _plan_form(**overrides):
    due = timezone.localdate() + dt.timedelta(days=21)
    return {
        "psychiatry_every_weeks": "12",
        "therapy_every_weeks": "1",
        "next_psychiatry_due": due.isoformat(),
    } | overrides


def test_the_prescriber_sets_the_visit_plan_and_sees_the_follow_up_is_not_booked_yet():
    # Given a client without a visit plan
    world = CareWorld()
    assert "No visit plan yet." in text(http(world.prescriber).get(_visits(world)))

    # When the prescriber sets a cadence
    response = http(world.prescriber).post(
        _visits(world), _plan_form(psychiatry_every_weeks="3", therapy_every_weeks="1")
    )

    # Then the plan is saved (audited), and the page shows it with nothing booked yet
    assert response.status_code == 302
    plan = VisitPlan.objects.get(client=world.client)
    assert (plan.psychiatry_every_weeks, plan.therapy_every_weeks, plan.organisation) == (
        3,
        1,
        world.psychiatry,
    )
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="care.visitplan"
    ).exists()
    page = text(http(world.prescriber).get(_visits(world)))
    assert "Psychiatric visits every 3 weeks" in page
    assert "Therapy sessions every 1 week " in page
    assert "Not yet The coordinator is told a week before it is due if nothing is booked." in page


def test_the_coordinator_sees_the_follow_up_booked_once_a_visit_is_confirmed():
    world = CareWorld()
    due = timezone.localdate() + dt.timedelta(days=21)
    visit_actions.set_visit_plan(
        actor=world.coordinator, client=world.client, psychiatry_every_weeks=12,
        therapy_every_weeks=2, next_psychiatry_due=due,
    )  # fmt: skip
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry, code="follow-up", name="Follow-up", duration_minutes=30
    )
    starts = timezone.now() + dt.timedelta(days=20)
    Appointment.objects.create(
        organisation=world.psychiatry, prescriber=world.prescriber, client=world.client,
        appointment_type=kind, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
        blocked_until=starts + dt.timedelta(minutes=30), status=AppointmentStatus.CONFIRMED,
    )  # fmt: skip

    page = text(http(world.coordinator).get(_visits(world)))

    assert "Booked Yes: a visit with the practice is booked by then." in page
    assert "Therapy sessions every 2 weeks" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"psychiatry_every_weeks": "30"}, "Plan psychiatric visits every 1 to 26 weeks."),
        ({"therapy_every_weeks": "0"}, "Plan therapy every 1 to 8 weeks."),
        ({"next_psychiatry_due": "2020-01-06"}, "The next visit cannot be due in the past."),
        ({"psychiatry_every_weeks": "often"}, "Enter a whole number."),
        ({"next_psychiatry_due": ""}, "This field is required."),
    ],
)
def test_a_bad_visit_plan_is_refused_naming_the_field_and_keeps_the_saved_plan(overrides, message):
    # Given a saved plan
    world = CareWorld()
    visit_actions.set_visit_plan(
        actor=world.prescriber, client=world.client, psychiatry_every_weeks=12,
        therapy_every_weeks=1, next_psychiatry_due=timezone.localdate() + dt.timedelta(days=30),
    )  # fmt: skip

    # When the prescriber sends a bad value
    response = http(world.prescriber).post(_visits(world), _plan_form(**overrides))

    # Then the page says which field broke which rule, and the saved plan is untouched
    assert response.status_code == 400
    field = next(iter(overrides))
    assert message in response.context["form"].errors[field]
    assert message in text(response)
    plan = VisitPlan.objects.get(client=world.client)
    assert (plan.psychiatry_every_weeks, plan.version) == (12, 1)


def test_the_therapist_and_strangers_get_not_found_from_the_visit_plan_page():
    world = CareWorld()
    stranger = make_staff(Role.PRESCRIBER)

    for user in (world.therapist, stranger):
        assert http(user).get(_visits(world)).status_code == 404
        assert http(user).post(_visits(world), _plan_form()).status_code == 404

    assert not VisitPlan.objects.exists()


def test_the_coordinators_reminder_links_to_the_visit_plan_page(django_capture_on_commit_callbacks):
    world = CareWorld()
    with (
        time_machine.travel(dt.datetime(2027, 3, 1, 10, 0, tzinfo=BOSTON), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        visit_actions.set_visit_plan(
            actor=world.prescriber, client=world.client, psychiatry_every_weeks=12,
            therapy_every_weeks=1, next_psychiatry_due=dt.date(2027, 3, 8),
        )  # fmt: skip
    with time_machine.travel(dt.datetime(2027, 3, 2, 9, 1, tzinfo=BOSTON), tick=False):
        run_worker()

    told = Notification.objects.get(kind=NotificationKind.VISIT_DUE)
    assert told.link == _visits(world)


def test_revoking_does_not_hide_a_consult_note_the_therapist_had_already_received():
    # Given a note delivered to the therapist while the release allowed it
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)
    assert NoteDelivery.objects.get(note=note).status == DeliveryStatus.DELIVERED

    # When the client revokes the release
    consent_actions.revoke_release(actor=world.client_user, release=world.release)

    # Then the therapist still reads the note they received (revocation does not reach back),
    # on its page and on the client's timeline, and is told why it is still shown
    page = text(http(world.therapist).get(reverse("care:note", kwargs={"note_id": note.public_id})))
    assert NOTE["formulation"] in page
    assert "Withheld" not in page
    timeline = text(
        http(world.therapist).get(
            reverse("care:timeline", kwargs={"client_id": world.client.public_id})
        )
    )
    assert "Withheld — no current release covers consultation notes" not in timeline
    # But a note signed after the revocation is held, and stays withheld
    later = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=later)
    later_page = text(
        http(world.therapist).get(reverse("care:note", kwargs={"note_id": later.public_id}))
    )
    assert "The client revoked the release." in later_page
