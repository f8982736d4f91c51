"""An appointment's life: which status changes are allowed, each one kept in its history.

``move`` is the one place an appointment's status changes. It checks ``TRANSITIONS``
and writes an ``AppointmentHistory`` row; the caller holds the row lock, sets the
fields that go with the move (``confirmed_at``, ``cancelled_at`` …) and saves.
"""

from __future__ import annotations

from typing import Any

from tandem.scheduling.models import Appointment, AppointmentHistory
from tandem.scheduling.models import AppointmentStatus as S

#: from -> the statuses it may become.
TRANSITIONS: dict[str, frozenset[str]] = {
    # a hold: payment put on file (confirmed at once under the automatic rule), let go, or cancelled
    S.HELD: frozenset({S.PENDING, S.CONFIRMED, S.EXPIRED, S.CANCELLED}),
    # waiting for a coordinator
    S.PENDING: frozenset({S.CONFIRMED, S.CANCELLED}),
    # the visit: it took place, was missed, or was called off
    S.CONFIRMED: frozenset({S.COMPLETED, S.NO_SHOW, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.COMPLETED: frozenset(),
    S.NO_SHOW: frozenset(),
}

#: The status an appointment is created in (``actions.hold_slot``).
INITIAL = frozenset({S.HELD})


class TransitionError(Exception):
    """A status change the appointment's life does not allow (a bug: actions check first)."""


def check(current: str, target: str) -> None:
    """Raise TransitionError unless an appointment that is ``current`` may become ``target``."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionError(
            f"An appointment that is {S(current).label.lower()} cannot become "
            f"{S(target).label.lower()}."
        )


def move(appointment: Appointment, target: str, *, actor: Any, note: str = "") -> None:
    """Check the move, record it in the appointment's history and set the status (unsaved).

    ``actor`` is None when nobody acted (a hold ran out, the practice's rule confirmed).
    """
    check(appointment.status, target)
    AppointmentHistory.objects.create(
        appointment=appointment,
        from_status=appointment.status,
        to_status=target,
        actor=actor,
        note=note,
    )
    appointment.status = target
