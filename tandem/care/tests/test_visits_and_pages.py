"""The visit plan's reminder, and the note pages: held warning, locked note, acknowledgement."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tandem.care import actions
from tandem.care.models import DeliveryStatus, NoteDelivery
from tandem.care.tests.factories import NOTE, CareWorld
from tandem.care.tests.helpers import http, text
from tandem.consent import actions as consent_actions
from tandem.core.testing.tasks import run_worker
from tandem.notifications.models import Notification, NotificationKind

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
        actions.set_visit_plan(
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
    actions.sign_and_send(actor=world.prescriber, note=note)
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
    actions.sign_and_send(actor=world.prescriber, note=note)
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
