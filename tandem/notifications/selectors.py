"""Reads of a user's own notifications."""

from collections.abc import Callable
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


#: ``namer(reader, client_keys)`` → {key: name} for the clients the reader may see,
#: recording the read. Registered by the clients app (above this one) in its ``ready()``.
Namer = Callable[[Any, list[int]], dict[int, str]]
_namers: list[Namer] = []


def register_namer(namer: Namer) -> None:
    """Let ``namer`` say whom notifications are about (the clients app registers the one)."""
    _namers[:] = [namer]


def with_names(user: Any, rows: list[Notification]) -> list[tuple[Notification, str]]:
    """Return each notification with the name of the client it is about, or "".

    The name shows only where the access policy lets ``user`` see that client (and not to
    a client about their own record); one lookup and one audited read for the whole page.
    """
    ids = list({n.about for n in rows if n.about is not None})
    names = _namers[0](user, ids) if ids and _namers else {}
    return [(n, names.get(n.about, "") if n.about else "") for n in rows]
