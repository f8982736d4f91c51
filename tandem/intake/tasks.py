"""Background work of intake: acknowledging contact messages, sweeping unverified intakes.

The receivers here turn what the actions announce (``signals``) into queued work,
enqueued once the action's transaction commits; actions never import this module.
"""

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.intake import actions, signals


@task()
def acknowledge_contact(message_id: int) -> None:
    """Send the sender a fixed acknowledgement, once (a retried task finds it already sent)."""
    actions.acknowledge_contact_message(message_id)


@task()
def purge_unverified_intakes() -> None:
    """Delete the appointment bot's sessions that nobody verified within the week."""
    actions.purge_unverified()


@receiver(signals.contact_message_sent)
def plan_acknowledgement(sender: Any, *, message_id: int, **kwargs: Any) -> None:
    """Queue the sender's acknowledgement, once the message is stored."""
    enqueue_on_commit(acknowledge_contact, message_id)


@receiver(signals.unverified_session_opened)
def plan_purge(sender: Any, *, purge_after: dt.datetime, **kwargs: Any) -> None:
    """Queue the sweep of unverified sessions for when this one may go."""
    enqueue_on_commit(purge_unverified_intakes, run_after=purge_after)
