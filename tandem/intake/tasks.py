"""Background work of intake: acknowledging a question sent through the contact form.

The receivers here turn what the actions announce (``signals``) into queued work,
enqueued once the action's transaction commits; actions never import this module.
"""

import datetime as dt
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.utils import timezone

from tandem.core import crisis_lines
from tandem.core.tasks import enqueue_on_commit
from tandem.intake import signals
from tandem.intake.actions import purge_unverified
from tandem.intake.models import ContactMessage

ACK_SUBJECT = "We received your message"
ACK_BODY = (
    "Hello,\n\n"
    "Thank you for your message. A coordinator will reply within two business days.\n\n"
    "For your privacy, please do not send clinical details by email.\n"
    "This service is not monitored for emergencies. " + crisis_lines.TEXT + "\n"
)


@task()
def acknowledge_contact(message_id: int) -> None:
    """Send the sender a fixed acknowledgement, once (a retried task finds it already sent)."""
    with transaction.atomic():
        message = (
            ContactMessage.objects.select_for_update()
            .filter(pk=message_id, acknowledged_at__isnull=True)
            .first()
        )
        if message is None:
            return
        send_mail(ACK_SUBJECT, ACK_BODY, None, [message.email])
        message.acknowledged_at = timezone.now()
        message.save(update_fields=["acknowledged_at"])


@task()
def purge_unverified_intakes() -> None:
    """Delete the appointment bot's sessions that nobody verified within the week."""
    purge_unverified()


@receiver(signals.contact_message_sent)
def plan_acknowledgement(sender: Any, *, message_id: int, **kwargs: Any) -> None:
    """Queue the sender's acknowledgement, once the message is stored."""
    enqueue_on_commit(acknowledge_contact, message_id)


@receiver(signals.unverified_session_opened)
def plan_purge(sender: Any, *, purge_after: dt.datetime, **kwargs: Any) -> None:
    """Queue the sweep of unverified sessions for when this one may go."""
    enqueue_on_commit(purge_unverified_intakes, run_after=purge_after)
