"""Telling people that something is waiting for them — without saying what."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core import crisis_lines
from tandem.notifications import signals
from tandem.notifications.models import Notification, NotificationKind

_SUBJECT = "You have a new update in Tandem"
_BODY = (
    "Hello,\n\n"
    "There is something new for you in Tandem: {what}{reference}.\n\n"
    "Sign in to see it: {url}\n\n"
    "For privacy, this email never contains client details.\n" + crisis_lines.TEXT + "\n"
)


def notify(
    recipients: Iterable[User],
    kind: NotificationKind,
    link: str,
    *,
    dedupe_key: str = "",
    reference: str = "",
    about: int | None = None,
) -> list[Notification]:
    """Create an in-app notification per recipient and email each after the transaction commits.

    ``link`` must be a path inside Tandem that carries only random ids;
    ``reference`` a short random code (never a name or a record number); ``about`` the
    key of the client it concerns (for the in-app list to name them to a reader who may
    see them; the email never does). With a ``dedupe_key`` a recipient is told once, however
    often this is called.
    """
    created: list[Notification] = []
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user,
                    kind=kind,
                    link=link,
                    dedupe_key=dedupe_key,
                    reference=reference,
                    about=about,
                )
        except IntegrityError:
            continue  # already told
        created.append(notification)
        signals.notification_created.send(sender=Notification, notification_id=notification.pk)
    return created


def mark_read(*, user: User, notifications: Iterable[Notification]) -> int:
    """Mark the user's unread ``notifications`` as read now; return how many changed."""
    ids = [n.pk for n in notifications if n.recipient_id == user.pk and n.read_at is None]
    if not ids:
        return 0
    return Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` as read now; return how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def send_email(notification_id: int) -> None:
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
