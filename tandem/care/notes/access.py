"""Who reaches consultation notes: the client's care team (its clinicians change them)."""

from __future__ import annotations

from typing import Any

from tandem.care.access import item_for
from tandem.care.notes.models import ConsultNote
from tandem.clients.access import register_team_rule
from tandem.core.policy import Action

register_team_rule(ConsultNote)


def note_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> ConsultNote:
    return item_for(actor, ConsultNote, public_id, action)
