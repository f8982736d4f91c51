"""Email delivery of notifications, in the background worker.

The receiver here turns what ``notify`` announces (``signals``) into queued work,
enqueued once the caller's transaction commits; actions never import this module.
"""

from typing import Any

from django.dispatch import receiver
from django.tasks import task

from tandem.core.tasks import enqueue_on_commit
from tandem.notifications import actions, signals


@task()
def email_notification(notification_id: int) -> None:
    """Email one notification, once: a retried task finds it already sent and does nothing."""
    actions.send_email(notification_id)


@receiver(signals.notification_created)
def plan_email(sender: Any, *, notification_id: int, **kwargs: Any) -> None:
    """Queue the notification's email, once the transaction that created it commits."""
    enqueue_on_commit(email_notification, notification_id)
