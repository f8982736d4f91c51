"""Writes of consultation notes: the prescriber's draft, signing and sending, addenda, receipts.

Each write is atomic, writes its audit row inside the transaction, shares with
the other organisations of the care team only through the consent decision
point (``sharing.share`` → ``consent.actions.disclose``), and notifies — with
no PHI, only a link — after commit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.notes import states
from tandem.care.notes.models import (
    Addendum,
    ConsultNote,
    DeliveryStatus,
    NoteDelivery,
    NoteStatus,
    WorkUp,
)
from tandem.care.sharing import SendResult, StaleError, require_seat, share, team
from tandem.clients.access import seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.categories import Category
from tandem.consent.decision import Party
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.referrals import actions as referral_actions
from tandem.referrals import icd10
from tandem.referrals.models import Referral, ReferralStatus

__all__ = [
    "NOTE_FIELDS",
    "NoteLockedError",
    "StaleError",
    "acknowledge_note",
    "add_addendum",
    "save_note",
    "send_again",
    "sign_and_send",
]


class NoteLockedError(Exception):
    """A signed note cannot change; corrections are addenda."""


NOTE_FIELDS = (
    "diagnoses",
    "formulation",
    "medication_recommendations",
    "therapy_focus",
    "work_up",
    "work_up_notes",
    "follow_up_plan",
    "follow_up_cadence",
)


def _clean_note(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    codes = [icd10.normalise(c) for c in data.get("diagnoses", []) if str(c).strip()]
    unknown = [c for c in codes if icd10.lookup(c) is None]
    if unknown:
        errors["diagnoses"] = [
            f"Not a billable ICD-10-CM code Tandem accepts: {', '.join(unknown)}. "
            "Search for the right one under the field (by name or code)."
        ]
    clean["diagnoses"] = list(dict.fromkeys(codes))
    work_up = list(dict.fromkeys(data.get("work_up", [])))
    if set(work_up) - set(WorkUp.values):
        errors["work_up"] = ["Choose work-up items from the list."]
    clean["work_up"] = work_up
    for key in NOTE_FIELDS:
        if key not in ("diagnoses", "work_up"):
            clean[key] = str(data.get(key, "")).strip()
    return clean, errors


@transaction.atomic
def save_note(
    *,
    actor: User,
    client: Client,
    data: dict[str, Any],
    note: ConsultNote | None = None,
    expected_version: int | None = None,
) -> ConsultNote:
    """Create or update the prescriber's draft note. A signed note is refused: add an addendum."""
    member = require_seat(
        actor, client, (Role.PRESCRIBER,), "Only the client's prescriber writes consult notes."
    )
    if note is not None:
        note = ConsultNote.objects.select_for_update().get(pk=note.pk)
        if note.status == NoteStatus.SIGNED:
            raise NoteLockedError(
                "This note is signed and locked; it cannot be edited. "
                "Add an addendum to correct or add to it."
            )
        if note.author_id != actor.pk:
            raise Forbidden("Only the note's author edits the draft.")
        if expected_version is not None and expected_version != note.version:
            raise StaleError("The draft was saved elsewhere a moment ago; reload it and try again.")
    clean, errors = _clean_note(data)
    if errors:
        raise ValidationError(errors)
    created = note is None
    if note is None:
        note = ConsultNote(client=client, author=actor, organisation=member.organisation)
    else:
        note.version += 1
    for key, value in clean.items():
        setattr(note, key, value)
    note.save()
    record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=note,
        client=client,
        organisation=member.organisation,
        detail={"status": note.status, "fields": sorted(k for k, v in clean.items() if v)},
    )
    return note


def _note_link(note: ConsultNote) -> str:
    return reverse("care:note", kwargs={"note_id": note.public_id})


def _deliver_note(actor: User, note: ConsultNote, members: list[CareTeamMember]) -> SendResult:
    outcomes = share(
        actor=actor,
        client=note.client,
        obj=note,
        category=Category.CONSULT_NOTES,
        description=f"Initial consultation note {note.reference}",
        source=Party(note.organisation_id, note.author_id),
        members=members,
    )
    now = timezone.now()
    for o in outcomes:
        states.record_delivery(note, o, now)
    result = SendResult.of(outcomes)
    notify(
        [m.user for m in result.delivered],
        NotificationKind.CONSULT_NOTE,
        _note_link(note),
        reference=note.reference,
        about=note.client_id,
    )
    if result.held:
        notify(
            [note.author],
            NotificationKind.CONSULT_NOTE_HELD,
            _note_link(note),
            reference=note.reference,
            about=note.client_id,
        )
    return result


@transaction.atomic
def sign_and_send(*, actor: User, note: ConsultNote) -> SendResult:
    """Sign and lock the note, then share it with the therapist(s) as consent allows.

    A recipient no current release covers gets nothing: the note is held for them
    and the result (and the note page) says why. When it reached a therapist and
    the client's referral to this practice is at "first visit done", the loop moves
    to "consult note sent".
    """
    note = ConsultNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.author_id != actor.pk:
        raise Forbidden("Only the note's author signs it.")
    if note.status == NoteStatus.SIGNED:
        raise NoteLockedError("This note is already signed and sent.")
    errors: dict[str, list[str]] = {}
    if not note.diagnoses:
        errors["diagnoses"] = ["Give at least one diagnostic impression (ICD-10-CM)."]
    if not note.formulation:
        errors["formulation"] = ["Write the formulation."]
    if not note.follow_up_plan:
        errors["follow_up_plan"] = ["Write the follow-up plan."]
    if errors:
        raise ValidationError(errors)
    states.move(note, NoteStatus.SIGNED)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=note,
        client=note.client,
        organisation=note.organisation,
        detail={"status": "signed"},
    )
    result = _deliver_note(actor, note, team(note.client, (Role.THERAPIST,)))
    if result.delivered:
        _close_referral_loop(actor, note)
    return result


def _close_referral_loop(actor: User, note: ConsultNote) -> None:
    for referral in Referral.objects.filter(
        client=note.client,
        to_organisation_id=note.organisation_id,
        status=ReferralStatus.FIRST_VISIT_DONE,
    ):
        referral_actions.consult_note_sent(
            actor=actor, referral=referral, note=f"Consultation note {note.reference} sent."
        )


@transaction.atomic
def send_again(*, actor: User, note: ConsultNote) -> SendResult:
    """Ask consent again for every recipient the note was held for (after a new release)."""
    note = ConsultNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.author_id != actor.pk or note.status != NoteStatus.SIGNED:
        raise Forbidden("Only the author sends a signed note again.")
    held_users = set(
        note.deliveries.filter(status=DeliveryStatus.HELD).values_list("recipient_id", flat=True)
    )
    members = [m for m in team(note.client, (Role.THERAPIST,)) if m.user_id in held_users]
    result = _deliver_note(actor, note, members)
    if result.delivered:
        _close_referral_loop(actor, note)
    return result


@transaction.atomic
def add_addendum(*, actor: User, note: ConsultNote, text: str) -> Addendum:
    """Add a dated addendum to a signed note and share it with those who received the note."""
    note = ConsultNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.author_id != actor.pk:
        raise Forbidden("Only the note's author adds addenda.")
    if note.status != NoteStatus.SIGNED:
        raise ValidationError({"text": "A draft is edited directly; addenda are for signed notes."})
    if not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    addendum = Addendum.objects.create(note=note, author=actor, text=text.strip())
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=addendum,
        client=note.client,
        organisation=note.organisation,
        detail={"note": str(note.public_id)},
    )
    _deliver_note(actor, note, team(note.client, (Role.THERAPIST,)))
    return addendum


@transaction.atomic
def acknowledge_note(*, actor: User, note: ConsultNote) -> NoteDelivery:
    """Record that the therapist received and read the note (once)."""
    delivery = (
        NoteDelivery.objects.select_for_update()
        .filter(note=note, recipient=actor, status=DeliveryStatus.DELIVERED)
        .first()
    )
    if delivery is None or seat(actor, note.client) is None:
        raise Forbidden("Only a care-team member the note reached acknowledges it.")
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = timezone.now()
        delivery.save(update_fields=["acknowledged_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=note,
            client=note.client,
            detail={"acknowledged": True},
        )
    return delivery
