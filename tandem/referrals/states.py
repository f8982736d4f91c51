"""The closed loop (after ONC 360X): which side may move a referral from which state to which.

``move`` is the one place a referral's status changes: it checks the table and the
side, bumps the version (optimistic concurrency) and writes the history event and the
version's row (``record_version``, which the other actions that bump the version call too).
"""

from __future__ import annotations

from typing import Any

from tandem.referrals.models import Referral, ReferralEvent, ReferralVersion
from tandem.referrals.models import ReferralStatus as S

THERAPIST = "therapist"
PRACTICE = "practice"

#: (from, to) -> the side allowed to make that move.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SENT): THERAPIST,
    (S.SENT, S.RECEIVED): PRACTICE,
    (S.SENT, S.ACCEPTED): PRACTICE,
    (S.SENT, S.DECLINED): PRACTICE,
    (S.SENT, S.INFO_REQUESTED): PRACTICE,
    (S.RECEIVED, S.ACCEPTED): PRACTICE,
    (S.RECEIVED, S.DECLINED): PRACTICE,
    (S.RECEIVED, S.INFO_REQUESTED): PRACTICE,
    (S.INFO_REQUESTED, S.RECEIVED): THERAPIST,  # answered: back in the practice's court
    (S.ACCEPTED, S.SCHEDULED): PRACTICE,
    (S.SCHEDULED, S.FIRST_VISIT_DONE): PRACTICE,
    (S.SCHEDULED, S.NO_SHOW): PRACTICE,
    (S.NO_SHOW, S.SCHEDULED): PRACTICE,
    (S.NO_SHOW, S.CLOSED): PRACTICE,
    (S.FIRST_VISIT_DONE, S.CONSULT_NOTE_SENT): PRACTICE,
    (S.CONSULT_NOTE_SENT, S.CLOSED): PRACTICE,
    (S.DECLINED, S.CLOSED): THERAPIST,
}

#: States from which the therapist may cancel.
OPEN = frozenset(
    {
        S.DRAFT,
        S.SENT,
        S.RECEIVED,
        S.INFO_REQUESTED,
        S.ACCEPTED,
        S.SCHEDULED,
        S.NO_SHOW,
    }
)
FINAL = frozenset({S.CLOSED, S.CANCELLED})

# The therapist may cancel from every open state (listed last: the page offers it last).
TRANSITIONS.update({(current, S.CANCELLED): THERAPIST for current in S if current in OPEN})

#: The state a referral is created in (``start_referral``); every other status comes from ``move``.
INITIAL = frozenset({S.DRAFT})

#: What each state is waiting for, and from whom (the tracker's "in one glance").
WAITING_FOR: dict[str, tuple[str, str]] = {
    S.DRAFT: (THERAPIST, "You: finish and send the referral"),
    S.SENT: (PRACTICE, "Practice: acknowledge the referral"),
    S.RECEIVED: (PRACTICE, "Practice: accept or decline"),
    S.INFO_REQUESTED: (THERAPIST, "You: answer the practice's question"),
    S.ACCEPTED: (PRACTICE, "Practice: schedule the first visit"),
    S.SCHEDULED: (PRACTICE, "Client: attend the first visit"),
    S.NO_SHOW: (PRACTICE, "Practice: rebook or close"),
    S.FIRST_VISIT_DONE: (PRACTICE, "Prescriber: send the consult note"),
    S.CONSULT_NOTE_SENT: (PRACTICE, "Practice: close the loop"),
    S.DECLINED: (THERAPIST, "You: see the reason and the suggested next step"),
    S.CLOSED: ("", "Nothing — the loop is closed"),
    S.CANCELLED: ("", "Nothing — cancelled"),
}


class TransitionError(Exception):
    """A move the loop does not allow; the message is for the person who tried it."""


class StaleReferralError(Exception):
    """Someone else changed the referral since the page was loaded."""


def check(current: str, target: str, side: str) -> None:
    """Raise TransitionError unless ``side`` may move a referral from ``current`` to ``target``."""
    if target == S.CANCELLED:
        if side != THERAPIST:
            raise TransitionError("Only the referring therapist can cancel a referral.")
        if current not in OPEN:
            raise TransitionError(
                f"A referral that is {S(current).label.lower()} can no longer be cancelled."
            )
        return
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        if current in FINAL:
            raise TransitionError(
                f"This referral is {S(current).label.lower()}; nothing more can change."
            )
        raise TransitionError(
            f"A referral that is {S(current).label.lower()} cannot become {S(target).label.lower()}."
        )
    if allowed != side:
        who = "the referring therapist" if allowed == THERAPIST else "the receiving practice"
        raise TransitionError(f"Only {who} can make this change.")


def check_version(referral: Referral, expected_version: int | None) -> None:
    """Raise StaleReferralError if the referral changed since the page showing ``expected_version``."""
    if expected_version is not None and expected_version != referral.version:
        raise StaleReferralError(
            "Someone else updated this referral a moment ago (it is now "
            f"{S(referral.status).label.lower()}). Nothing you did was lost: review it and try again."
        )


def move(
    referral: Referral,
    target: str,
    *,
    actor: Any,
    side: str,
    note: str = "",
    expected_version: int | None = None,
) -> Referral:
    """Move a locked referral to ``target`` as ``side``: check, record the event, save.

    The caller holds the row lock (``select_for_update``) and sets the fields the
    move carries (a decline reason, the visit) before calling; ``actor`` is None
    only for a move the practice's own rule makes. Raises StaleReferralError or
    TransitionError, changing nothing.
    """
    check_version(referral, expected_version)
    check(referral.status, target, side)
    ReferralEvent.objects.create(
        referral=referral, from_status=referral.status, to_status=target, actor=actor, note=note
    )
    referral.status = target
    referral.version += 1
    referral.save()
    record_version(referral)
    return referral


def record_version(referral: Referral, *, packet_changed: bool = False) -> ReferralVersion:
    """Write the row of the referral's current version (call after saving it).

    Every action that bumps a referral's version calls this (``move`` does) inside its
    transaction, so each version a reader was shown can be read back (FHIR vread).
    The row holds the loop's fields only, never the packet's text.
    """
    return ReferralVersion.objects.create(
        referral=referral,
        version=referral.version,
        status=referral.status,
        decline_reason=referral.decline_reason,
        urgent=referral.urgent,
        sent_at=referral.sent_at,
        due_at=referral.due_at,
        at=referral.updated_at,
        packet_changed=packet_changed,
    )
