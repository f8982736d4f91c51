"""Who reaches progress check-ins: the client's care team (its clinicians change them)."""

from __future__ import annotations

from typing import Any

from tandem.care.access import item_for
from tandem.care.checkins.models import ProgressCheckIn
from tandem.clients.access import register_team_rule
from tandem.core.policy import Action

register_team_rule(ProgressCheckIn)


def checkin_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> ProgressCheckIn:
    return item_for(actor, ProgressCheckIn, public_id, action)
