"""Who reaches message threads and their attachments: the client's care team."""

from __future__ import annotations

from typing import Any

from tandem.care.access import item_for
from tandem.care.messaging.models import MessageAttachment, MessageThread
from tandem.clients.access import register_team_rule
from tandem.core.policy import Action

register_team_rule(MessageThread)
register_team_rule(MessageAttachment, "message__client")


def thread_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> MessageThread:
    return item_for(actor, MessageThread, public_id, action)


def attachment_for(actor: Any, public_id: Any) -> MessageAttachment:
    return item_for(actor, MessageAttachment, public_id, Action.VIEW, "message__client")
