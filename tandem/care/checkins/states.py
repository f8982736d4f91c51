"""The states of a progress check-in: requested → answered (an unsolicited update starts answered).

Every status a check-in takes is set here: the first against ``INITIAL``, every
later one against ``TRANSITIONS``.
"""

from __future__ import annotations

from typing import Any

from tandem.care.checkins.models import CheckInStatus, ProgressCheckIn
from tandem.core.policy import Forbidden

#: The states a check-in is written in: requested of the therapist, or answered unasked.
INITIAL = frozenset({CheckInStatus.REQUESTED, CheckInStatus.ANSWERED})

#: Which status a check-in may take from each one.
TRANSITIONS: dict[str, frozenset[str]] = {
    CheckInStatus.REQUESTED: frozenset({CheckInStatus.ANSWERED}),
    CheckInStatus.ANSWERED: frozenset(),
}


def create(status: str, **fields: Any) -> ProgressCheckIn:
    """Write a new check-in in ``status``: requested of the therapist, or answered unasked."""
    if status not in INITIAL:
        raise Forbidden(f"A check-in cannot start {status}.")
    return ProgressCheckIn.objects.create(status=status, **fields)


def move(checkin: ProgressCheckIn, target: str) -> None:
    """Set the check-in's status to ``target`` if ``TRANSITIONS`` allows it (the caller saves)."""
    if target not in TRANSITIONS[checkin.status]:
        raise Forbidden(f"A {checkin.status} check-in cannot become {target}.")
    checkin.status = target
