"""A bulk export's states: the one place its status changes.

An export waits for the worker (queued), is written (running), and ends done (its files
ready until they expire), failed, or cancelled by the system that asked; a done or
failed export's files are deleted when it expires or is cancelled.

``move`` is a compare-and-set on the stored row: a job the table lets move, but that
another process moved first (a DELETE while the worker finishes, say), is left alone and
``move`` answers False; a move the table does not list raises ``TransitionError``.
"""

from __future__ import annotations

from typing import Any

from tandem.fhir.models import ExportJob, ExportStatus

TRANSITIONS: dict[ExportStatus, frozenset[ExportStatus]] = {
    ExportStatus.QUEUED: frozenset(
        {ExportStatus.RUNNING, ExportStatus.CANCELLED, ExportStatus.FAILED}
    ),
    ExportStatus.RUNNING: frozenset(
        {ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.CANCELLED}
    ),
    ExportStatus.DONE: frozenset({ExportStatus.EXPIRED, ExportStatus.CANCELLED}),
    ExportStatus.FAILED: frozenset({ExportStatus.EXPIRED, ExportStatus.CANCELLED}),
    ExportStatus.CANCELLED: frozenset(),
    ExportStatus.EXPIRED: frozenset(),
}

INITIAL = frozenset({ExportStatus.QUEUED})


class TransitionError(ValueError):
    """The table has no move from the export's status to the one asked for."""


def move(job: ExportJob, target: str, **fields: Any) -> bool:
    """Move ``job`` to ``target`` with ``fields``; return whether the stored row moved."""
    current = ExportStatus(job.status)
    if target not in TRANSITIONS[current]:
        raise TransitionError(f"An export cannot go from {current} to {target}.")
    allowed = [s for s, targets in TRANSITIONS.items() if target in targets]
    moved = ExportJob.objects.filter(pk=job.pk, status__in=allowed).update(status=target, **fields)
    if moved:
        job.status = target
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(moved)
