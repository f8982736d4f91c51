"""The states of a safety alert: open → acknowledged → resolved (or open → resolved at once).

``move`` is the one place an alert's status changes. Each move writes its row in
the alert's event log (``alert.events``), which is the alert's history: who
(``actor``), when (``at``), and the step, whose kind names the transition
(``TRANSITIONS`` maps each step to its event kind; the log's order gives the
state it left).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tandem.accounts.models import User
from tandem.care.crisis.models import AlertStatus, SafetyAlert, SafetyAlertEvent
from tandem.core.policy import Forbidden

#: (from, to) → the kind of the event that records the step.
TRANSITIONS: dict[tuple[str, str], str] = {
    (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED): "acknowledged",
    (AlertStatus.OPEN, AlertStatus.RESOLVED): "outcome",
    (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED): "outcome",
}


def event(alert: SafetyAlert, kind: str, actor: User | None, **detail: Any) -> SafetyAlertEvent:
    """Write one row of the alert's event log (references only in ``detail``)."""
    return SafetyAlertEvent.objects.create(
        alert=alert, kind=kind, actor=actor, at=timezone.now(), detail=detail
    )


def move(
    alert: SafetyAlert,
    target: str,
    *,
    actor: User,
    fields: tuple[str, ...] = (),
    **detail: Any,
) -> SafetyAlertEvent:
    """Move the alert to ``target`` if ``TRANSITIONS`` allows it; save it and log the step.

    ``fields`` are the other fields the caller set with the move (saved with it);
    ``detail`` goes on the event.
    """
    kind = TRANSITIONS.get((alert.status, target))
    if kind is None:
        raise Forbidden(f"A {alert.status} alert cannot become {target}.")
    alert.status = target
    alert.save(update_fields=["status", *fields])
    return event(alert, kind, actor, **detail)
