"""Email delivery of notifications, in the background worker.

The receiver here turns what ``notify`` announces (``signals``) into queued work,
enqueued once the caller's transaction commits; actions never import this module.
"""

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import receiver
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from tandem.core import crisis_lines
from tandem.core.tasks import enqueue_on_commit
from tandem.notifications import signals
from tandem.notifications.models import Notification

_SUBJECT = "You have a new update in Tandem"
_BODY = (
    "Hello,\n\n"
    "There is something new for you in Tandem: {what}{reference}.\n\n"
    "Sign in to see it: {url}\n\n"
    "For privacy, this email never contains client details.\n" + crisis_lines.TEXT + "\n"
)


@task()
def email_notification(notification_id: int) -> None:
    """Email one notification, once: a retried task finds it already sent and does nothing."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return
        # Through "open", so following the email also marks the notification read.
        url = settings.TANDEM_BASE_URL.rstrip("/") + reverse(
            "notifications:open", args=[notification.public_id]
        )
        send_mail(
            _SUBJECT,
            _BODY.format(
                what=notification.get_kind_display().lower(),
                reference=f" ({notification.reference})" if notification.reference else "",
                url=url,
            ),
            None,
            [notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])


@receiver(signals.notification_created)
def plan_email(sender: Any, *, notification_id: int, **kwargs: Any) -> None:
    """Queue the notification's email, once the transaction that created it commits."""
    enqueue_on_commit(email_notification, notification_id)
