"""Reads of medications: what is taken now, and the history as the viewer may see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tandem.care.medications.models import MedicationChange, MedicationEvent
from tandem.clients.access import seat
from tandem.clients.models import Client
from tandem.consent.categories import Category
from tandem.consent.decision import Decision
from tandem.consent.timeline import Gate


def active_medications(events: list[MedicationEvent]) -> dict[str, MedicationEvent]:
    """Return the latest event of each drug still taken, from events in any order."""
    current: dict[str, MedicationEvent] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.pk)):
        if event.change == MedicationChange.STOP:
            current.pop(event.drug, None)
        else:
            current[event.drug] = event
    return current


def dose_line(e: MedicationEvent) -> str:
    """Return the dose as the timeline shows it, e.g. "50 mg once daily"."""
    if e.dose is None:
        return ""
    return f"{e.dose.normalize():f} {e.unit} {e.frequency}".strip()


@dataclass
class MedicationView:
    current: list[MedicationEvent]
    history: list[MedicationEvent]
    withheld: Decision | None  # set when another practice's medications are withheld


def medication_list(viewer: Any, client: Client) -> MedicationView:
    """Return the current medications and their history as the viewer may see them."""
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    events = list(
        MedicationEvent.objects.filter(client=client).select_related("prescriber", "organisation")
    )
    shown, withheld = [], None
    for e in events:
        decision = gate(
            Category.MEDICATIONS,
            e.organisation_id,
            e.prescriber_id,
            obj=e,
            description=f"Medication update {e.reference}",
        )
        if decision is None or decision.allowed:
            shown.append(e)
        else:
            withheld = decision
    gate.account()
    current = sorted(active_medications(shown).values(), key=lambda e: e.drug)
    return MedicationView(current, shown, withheld)
