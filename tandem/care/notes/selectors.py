"""Reads of consultation notes, gated by consent for the viewer."""

from __future__ import annotations

from typing import Any

from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.clients.access import seat
from tandem.consent.categories import Category
from tandem.consent.decision import Decision, Reason
from tandem.consent.timeline import Gate
from tandem.referrals import icd10


def note_diagnoses(note: ConsultNote) -> list[tuple[str, str]]:
    """Return (code, description) of the note's diagnostic impressions."""
    found = []
    for code in note.diagnoses:
        entry = icd10.lookup(code)
        found.append((code, entry.description if entry else ""))
    return found


def note_decision(viewer: Any, note: ConsultNote, *, account: bool = True) -> Decision | None:
    """Return None when the viewer's organisation wrote the note, else the consent decision.

    With ``account=False`` the decision is only asked (to filter a search), not entered in
    the client's accounting of disclosures: only what is then shown is a disclosure.
    """
    member = seat(viewer, note.client)
    gate = Gate(viewer, note.client, member.organisation_id if member else None)
    decision = gate(
        Category.CONSULT_NOTES,
        note.organisation_id,
        note.author_id,
        # A draft is never shown to another organisation; a signed note is, once allowed.
        obj=note if note.status == NoteStatus.SIGNED else None,
        description=f"Initial consultation note {note.reference}",
    )
    if account:
        gate.account()
    if decision is not None and not decision.allowed and note.pk in received_by(viewer, [note.pk]):
        return received(decision)
    return decision


def received_by(viewer: Any, note_ids: list[int]) -> set[int]:
    """Return which of ``note_ids`` were delivered to ``viewer`` (one query).

    A revocation stops what has not been disclosed yet; a note already delivered
    stays with its recipient (45 CFR 164.508(b)(5): revocation does not reach back).
    """
    if not note_ids or not getattr(viewer, "pk", None):
        return set()
    return set(
        NoteDelivery.objects.filter(
            note_id__in=note_ids, recipient=viewer, status=DeliveryStatus.DELIVERED
        ).values_list("note_id", flat=True)
    )


def received(withheld: Decision) -> Decision:
    """Return the decision that shows a note its reader already received."""
    return Decision(True, Reason.ALREADY_RECEIVED, withheld.release, Category.CONSULT_NOTES)
