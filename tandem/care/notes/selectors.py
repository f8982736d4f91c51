"""Reads of consultation notes, gated by consent for the viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.clients.access import seat, seats
from tandem.consent import actions as consent_actions
from tandem.consent.categories import Category
from tandem.consent.decision import ConsentContext, Decision, Reason
from tandem.consent.timeline import PURPOSE, Gate
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


@dataclass
class NoteDecisions:
    """``note_decision`` for a page's candidate notes, asked without accounting."""

    viewer: Any
    decisions: dict[int, Decision | None] = field(default_factory=dict)
    gates: dict[int, Gate] = field(default_factory=dict)

    def shown(self, note: ConsultNote) -> bool:
        decision = self.decisions[note.pk]
        return decision is None or decision.allowed

    def account(self, notes: list[ConsultNote]) -> None:
        """Enter the first showing of ``notes`` (those sent) in the accounting, in one go."""
        sent = {note.pk for note in notes}
        consent_actions.account_shown_many(
            viewer=self.viewer,
            purpose=PURPOSE,
            pages=[
                (gate.client, gate.viewer_org_id, [s for s in gate.shown if s.obj.pk in sent])
                for gate in self.gates.values()
                if gate.viewer_org_id is not None
            ],
        )


def note_decisions(viewer: Any, notes: list[ConsultNote]) -> NoteDecisions:
    """Decide for every note as ``note_decision`` would, in a constant number of queries.

    The viewer's seats, the clients' releases and the notes already delivered to the
    viewer are each loaded once for all of ``notes``; nothing is accounted until
    ``account`` is called with what is actually sent.
    """
    out = NoteDecisions(viewer)
    if not notes:
        return out
    client_ids = {note.client_id for note in notes}
    members = seats(viewer, client_ids)
    context = ConsentContext.load(client_ids)
    for note in notes:
        gate = out.gates.get(note.client_id)
        if gate is None:
            member = members.get(note.client_id)
            gate = out.gates[note.client_id] = Gate(
                viewer, note.client, member.organisation_id if member else None, context
            )
        out.decisions[note.pk] = gate(
            Category.CONSULT_NOTES,
            note.organisation_id,
            note.author_id,
            obj=note if note.status == NoteStatus.SIGNED else None,
            description=f"Initial consultation note {note.reference}",
        )
    refused = [pk for pk, d in out.decisions.items() if d is not None and not d.allowed]
    for pk in received_by(viewer, refused):
        decision = out.decisions[pk]
        assert decision is not None
        out.decisions[pk] = received(decision)
    return out


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
