"""The initial consultation note: draft, sign and send through consent, hold, addenda, loop."""

import pytest
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.care.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.care.notes import actions as note_actions
from tandem.care.notes.actions import NoteLockedError
from tandem.care.notes.pdf import note_pdf
from tandem.care.tests.factories import NOTE, CareWorld
from tandem.consent import actions as consent_actions
from tandem.consent.models import Disclosure
from tandem.core.policy import Forbidden
from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import ReferralStatus as S

pytestmark = pytest.mark.django_db


def _first_visit_done(world: CareWorld):
    referral = world.sent()
    for move in (
        referral_actions.accept,
        referral_actions.schedule,
        referral_actions.first_visit_done,
    ):
        referral = move(actor=world.coordinator, referral=referral)
    return referral


def test_signing_sends_the_note_to_the_therapist_records_it_and_closes_the_loop():
    # Given a release covering consult notes and a referral whose first visit is done
    world = CareWorld()
    referral = _first_visit_done(world)
    note = world.draft_note()

    # When the prescriber signs and sends the note
    result = note_actions.sign_and_send(actor=world.prescriber, note=note)

    # Then the therapist has it, it is in the accounting, they are told, and the loop moved on
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert [m.user for m in result.delivered] == [world.therapist]
    assert result.held == []
    delivery = NoteDelivery.objects.get(note=note)
    assert (delivery.recipient, delivery.status) == (world.therapist, DeliveryStatus.DELIVERED)
    disclosure = Disclosure.objects.get(object_id=str(note.public_id))
    assert (disclosure.category, disclosure.recipient_user) == ("consult_notes", world.therapist)
    assert (
        Notification.objects.filter(
            recipient=world.therapist, kind=NotificationKind.CONSULT_NOTE
        ).count()
        == 1
    )
    referral.refresh_from_db()
    assert referral.status == S.CONSULT_NOTE_SENT


def test_a_release_revoked_between_writing_and_sending_holds_the_note_and_says_why():
    # Given a draft written while the release was in force
    world = CareWorld()
    referral = _first_visit_done(world)
    note = world.draft_note()
    # When the client revokes before the prescriber sends
    consent_actions.revoke_release(actor=world.client_user, release=world.release)
    result = note_actions.sign_and_send(actor=world.prescriber, note=note)

    # Then nothing reached the therapist, the prescriber is told why, and the loop did not move
    assert result.delivered == []
    assert [(m.user, why) for m, why in result.held] == [
        (world.therapist, "The client revoked the release.")
    ]
    assert NoteDelivery.objects.get(note=note).status == DeliveryStatus.HELD
    assert not Disclosure.objects.filter(object_id=str(note.public_id)).exists()
    assert not Notification.objects.filter(
        recipient=world.therapist, kind=NotificationKind.CONSULT_NOTE
    ).exists()
    assert (
        Notification.objects.filter(
            recipient=world.prescriber, kind=NotificationKind.CONSULT_NOTE_HELD
        ).count()
        == 1
    )
    referral.refresh_from_db()
    assert referral.status == S.FIRST_VISIT_DONE

    # When a new release is signed and the prescriber sends again
    world.collaboration_release()
    again = note_actions.send_again(actor=world.prescriber, note=note)

    # Then it is delivered and the loop closes
    assert [m.user for m in again.delivered] == [world.therapist]
    referral.refresh_from_db()
    assert referral.status == S.CONSULT_NOTE_SENT


def test_editing_a_signed_note_is_refused_and_an_addendum_is_offered():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)

    with pytest.raises(NoteLockedError, match="Add an addendum"):
        note_actions.save_note(
            actor=world.prescriber, client=world.client, note=note, data=NOTE | {"formulation": "x"}
        )

    note.refresh_from_db()
    assert note.formulation == NOTE["formulation"]
    addendum = note_actions.add_addendum(
        actor=world.prescriber, note=note, text="TSH came back normal."
    )
    assert list(note.addenda.values_list("text", flat=True)) == ["TSH came back normal."]
    assert AuditEvent.objects.filter(object_id=str(addendum.public_id), action="create").exists()


def test_unknown_icd10_codes_and_missing_sections_name_the_field():
    world = CareWorld()
    with pytest.raises(ValidationError) as bad_code:
        world.draft_note(diagnoses=["F41.0", "Z99.99X"])
    assert "Z99.99X" in bad_code.value.message_dict["diagnoses"][0]

    note = world.draft_note(formulation="", follow_up_plan="")
    with pytest.raises(ValidationError) as incomplete:
        note_actions.sign_and_send(actor=world.prescriber, note=note)
    assert set(incomplete.value.message_dict) == {"formulation", "follow_up_plan"}
    assert ConsultNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_the_therapist_acknowledges_receipt_once_and_may_not_write_notes():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)

    first = note_actions.acknowledge_note(actor=world.therapist, note=note)
    again = note_actions.acknowledge_note(actor=world.therapist, note=note)

    assert first.acknowledged_at is not None
    assert again.acknowledged_at == first.acknowledged_at
    with pytest.raises(Forbidden):
        note_actions.save_note(actor=world.therapist, client=world.client, data=NOTE)


def test_the_pdf_is_a_printable_document():
    world = CareWorld()
    note = world.draft_note()
    note_actions.sign_and_send(actor=world.prescriber, note=note)

    pdf = note_pdf(note)

    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1000
