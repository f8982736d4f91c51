"""A roster import's states: the one place its status changes.

An import waits for the worker (queued), is checked and applied (running), and ends
imported (done), refused with every problem named (rejected: nothing applied), or
failed on an error of Tandem's own (nothing applied). Every end is final.
"""

from __future__ import annotations

from collections.abc import Iterable

from tandem.fhir.models import RosterImport, RosterStatus

TRANSITIONS: dict[RosterStatus, frozenset[RosterStatus]] = {
    RosterStatus.QUEUED: frozenset({RosterStatus.RUNNING, RosterStatus.FAILED}),
    RosterStatus.RUNNING: frozenset(
        {RosterStatus.DONE, RosterStatus.REJECTED, RosterStatus.FAILED}
    ),
    RosterStatus.DONE: frozenset(),
    RosterStatus.REJECTED: frozenset(),
    RosterStatus.FAILED: frozenset(),
}

INITIAL = frozenset({RosterStatus.QUEUED})


class TransitionError(ValueError):
    """The table has no move from the import's status to the one asked for."""


def move(job: RosterImport, target: RosterStatus, *, also: Iterable[str] = ()) -> None:
    """Move ``job`` to ``target`` if the table allows it, and save it with the ``also`` fields."""
    current = RosterStatus(job.status)
    if target not in TRANSITIONS[current]:
        raise TransitionError(f"A roster import cannot go from {current} to {target}.")
    job.status = target
    job.save(update_fields=["status", *also])
