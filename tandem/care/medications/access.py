"""Who reaches medication changes: the client's care team (its clinicians change them)."""

from __future__ import annotations

from tandem.care.medications.models import MedicationEvent
from tandem.clients.access import register_team_rule

register_team_rule(MedicationEvent)
