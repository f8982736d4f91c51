"""Reads of consultation notes, gated by consent for the viewer."""

from __future__ import annotations

from typing import Any

from tandem.care.notes.models import ConsultNote, NoteStatus
from tandem.clients.access import seat
from tandem.consent.categories import Category
from tandem.consent.decision import Decision
from tandem.consent.timeline import Gate
from tandem.referrals import icd10


def note_diagnoses(note: ConsultNote) -> list[tuple[str, str]]:
    """Return (code, description) of the note's diagnostic impressions."""
    found = []
    for code in note.diagnoses:
        entry = icd10.lookup(code)
        found.append((code, entry.description if entry else ""))
    return found


def note_decision(viewer: Any, note: ConsultNote) -> Decision | None:
    """Return None when the viewer's organisation wrote the note, else the consent decision."""
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
    gate.account()
    return decision
