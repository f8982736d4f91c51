"""The closed loop (after ONC 360X): which side may move a referral from which state to which."""

from __future__ import annotations

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
