"""The signed consultation note as a PDF a person can print (WeasyPrint, no external fetches)."""

from typing import Any

from django.utils import timezone

from tandem.care.notes.models import ConsultNote, WorkUp
from tandem.care.notes.selectors import note_diagnoses
from tandem.consent.pdf import _render


def note_pdf(note: ConsultNote) -> bytes:
    """Return the signed note, with its addenda, as a PDF."""
    zone = note.organisation.zone
    return _render(
        "care/note_pdf.html",
        {
            "note": note,
            "client": note.client,
            "diagnoses": note_diagnoses(note),
            "work_up": [WorkUp(w).label for w in note.work_up],
            "signed_at": timezone.localtime(note.signed_at, zone) if note.signed_at else None,
            "addenda": [(a, timezone.localtime(a.created_at, zone)) for a in _addenda(note)],
            "zone": zone.key,
        },
    )


def _addenda(note: ConsultNote) -> Any:
    """Return the note's addenda with their authors: prefetched for a page of notes, else asked."""
    if "addenda" in getattr(note, "_prefetched_objects_cache", {}):
        return note.addenda.all()
    return note.addenda.select_related("author")
