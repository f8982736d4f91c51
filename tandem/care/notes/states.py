"""The states of a consultation note (draft → signed) and of its deliveries.

A note is written as a draft and signed once; a signed note never changes
(corrections are addenda). Each delivery row holds the latest consent decision
for one recipient: held or delivered, decided again on every send.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.care.sharing import Outcome
from tandem.core.policy import Forbidden

#: Which status a note may move to from each one.
TRANSITIONS: dict[str, frozenset[str]] = {
    NoteStatus.DRAFT: frozenset({NoteStatus.SIGNED}),
    NoteStatus.SIGNED: frozenset(),
}


def move(note: ConsultNote, target: str) -> None:
    """Move the note to ``target`` (checked against ``TRANSITIONS``) and save it."""
    if target not in TRANSITIONS[note.status]:
        raise Forbidden(f"A {note.status} note cannot become {target}.")
    note.status = target
    fields = ["status", "updated_at"]
    if target == NoteStatus.SIGNED:
        note.signed_at = timezone.now()
        fields.append("signed_at")
    note.save(update_fields=fields)


def record_delivery(note: ConsultNote, outcome: Outcome, now: dt.datetime) -> NoteDelivery:
    """Record whether the note reached one recipient (any status follows the new decision)."""
    delivery, _ = NoteDelivery.objects.update_or_create(
        note=note,
        recipient=outcome.member.user,
        defaults={
            "recipient_organisation": outcome.member.organisation,
            "status": DeliveryStatus.DELIVERED if outcome.delivered else DeliveryStatus.HELD,
            "reason": outcome.decision.reason.value,
            "message": outcome.decision.message,
            "decided_at": now,
        },
    )
    return delivery
