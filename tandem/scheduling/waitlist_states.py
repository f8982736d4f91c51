"""A waitlist entry's life: waiting, offered an earlier time, moved to it.

``move`` is the one place a waitlist entry's status changes; the caller holds the
row lock and saves.
"""

from __future__ import annotations

from tandem.scheduling.models import WaitlistEntry
from tandem.scheduling.models import WaitlistStatus as W

#: from -> the statuses it may become.
TRANSITIONS: dict[str, frozenset[str]] = {
    W.WAITING: frozenset({W.OFFERED}),
    W.OFFERED: frozenset({W.BOOKED}),
    W.BOOKED: frozenset(),
    W.ENDED: frozenset(),
}

#: The status an entry is created in (``waitlist.join``).
INITIAL = frozenset({W.WAITING})


class TransitionError(Exception):
    """A status change the waitlist does not allow (a bug: the waitlist checks first)."""


def move(entry: WaitlistEntry, target: str) -> None:
    """Check the move and set the entry's status (unsaved)."""
    if target not in TRANSITIONS.get(entry.status, frozenset()):
        raise TransitionError(
            f"A waitlist entry that is {W(entry.status).label.lower()} cannot become "
            f"{W(target).label.lower()}."
        )
    entry.status = target
