"""Reads of a user's own notifications."""

from typing import Any

from django.db.models import QuerySet

from tandem.notifications.models import Notification

#: How many notifications the page shows; older ones stay in the database.
PAGE_SIZE = 50


def notifications_for(user: Any) -> QuerySet[Notification]:
    """Return the user's notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user: Any) -> int:
    """Return how many of the user's notifications are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
