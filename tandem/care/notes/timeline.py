"""Consultation notes on the client's timeline."""

from __future__ import annotations

from django.urls import reverse

from tandem.care.notes.models import ConsultNote, NoteStatus
from tandem.consent.categories import Category
from tandem.core.timeline import Item, Kind, Query, by_line


def consult_notes(query: Query) -> list[Item]:
    """Return the signed notes, and the viewer's own drafts, as the viewer may see them."""
    gate = query.gate
    items: list[Item] = []
    for note in ConsultNote.objects.filter(client=query.client).select_related(
        "author", "organisation"
    ):
        if note.status != NoteStatus.SIGNED and note.author_id != gate.viewer.pk:
            continue  # a draft is its author's alone until it is signed
        decision = gate(
            Category.CONSULT_NOTES,
            note.organisation_id,
            note.author_id,
            obj=note if note.status == NoteStatus.SIGNED else None,
            description=f"Initial consultation note {note.reference}",
        )
        items.append(
            Item(
                Kind.CONSULT_NOTE,
                note.signed_at or note.updated_at,
                "Initial consultation note"
                + (" (draft)" if note.status == NoteStatus.DRAFT else ""),
                note.reference,
                by_line(note.author, note.organisation),
                decision,
                [("Diagnostic impressions", ", ".join(note.diagnoses))],
                reverse("care:note", kwargs={"note_id": note.public_id}),
            )
        )
    return items
