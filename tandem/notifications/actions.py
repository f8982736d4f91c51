"""Telling people that something is waiting for them — without saying what."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.notifications import signals
from tandem.notifications.models import Notification, NotificationKind


def notify(
    recipients: Iterable[User],
    kind: NotificationKind,
    link: str,
    *,
    dedupe_key: str = "",
    reference: str = "",
) -> list[Notification]:
    """Create an in-app notification per recipient and email each after the transaction commits.

    ``link`` must be a path inside Tandem that carries only random ids;
    ``reference`` a short random code (never a name or a record number). With a
    ``dedupe_key`` a recipient is told once, however often this is called.
    """
    created: list[Notification] = []
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user, kind=kind, link=link, dedupe_key=dedupe_key, reference=reference
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
