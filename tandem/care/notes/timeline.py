"""Consultation notes on the client's timeline."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Coalesce

from tandem.care.notes.models import ConsultNote, NoteStatus
from tandem.care.notes.selectors import received, received_by
from tandem.consent.categories import Category
from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query, by_fields, by_line

#: A note's time on the timeline: when it was signed, or a draft's last change.
#: ``ConsultNote``'s ``care_note_timeline_idx`` is on the same expression.
NOTE_AT = Coalesce("signed_at", "updated_at")


def consult_notes(query: Query) -> list[Item]:
    """Return the signed notes, and the viewer's own drafts, as the viewer may see them."""
    gate = query.gate
    items: list[Item] = []
    # A draft is its author's alone until it is signed.
    notes = (
        ConsultNote.objects.filter(
            Q(status=NoteStatus.SIGNED) | Q(author_id=gate.viewer.pk), client=query.client
        )
        .select_related("author", "organisation")
        # the fields shown, not the note's text (formulation, recommendations, …)
        .only(
            "public_id",
            "reference",
            "status",
            "signed_at",
            "updated_at",
            "diagnoses",
            *by_fields("author", "organisation"),
        )
    )
    judged = []
    for note in query.window(notes, NOTE_AT, Kind.CONSULT_NOTE):
        decision = gate(
            Category.CONSULT_NOTES,
            note.organisation_id,
            note.author_id,
            obj=note if note.status == NoteStatus.SIGNED else None,
            description=f"Initial consultation note {note.reference}",
        )
        judged.append((note, decision))
    # Notes already delivered to the viewer stay readable after a revocation: one query, and
    # only when a signed note is withheld.
    withheld = [n.pk for n, d in judged if d is not None and not d.allowed]
    delivered = received_by(gate.viewer, withheld)
    note_url = per_id("care:note")  # the kind's many rows: reversed once
    for note, decision in judged:
        if decision is not None and not decision.allowed and note.pk in delivered:
            decision = received(decision)
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
                note_url(note.public_id),
                pk=note.pk,
            )
        )
    return items
