"""The client's shared timeline, as one viewer may see it: every app's items, gated by consent.

The items come from the providers the apps register with ``tandem.core.timeline``
(care's sub-domains in ``CareConfig.ready()``; referrals, scheduling and measures
in theirs). This module only opens the viewer's consent gate, composes, and
accounts what was shown; it reads no other app's models.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tandem.clients.access import seat
from tandem.clients.models import Client
from tandem.consent.timeline import Gate
from tandem.core.timeline import Item, Kind, Query, compose

__all__ = ["Item", "Kind", "timeline"]


def timeline(
    viewer: Any, client: Client, kinds: Iterable[str] | None = None, *, checkin: str = ""
) -> list[Item]:
    """Return every item of the client's care the viewer may see, newest first.

    Items written by another organisation that no current release covers stay on
    the timeline as withheld, with the reason. The number of queries does not
    depend on the number of items. ``checkin`` (a reference) narrows the check-ins
    to the one a page shows, so only that one is accounted as shown.
    """
    wanted = frozenset(kinds) if kinds else frozenset(Kind.values)
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    items = compose(Query(client, gate, wanted, only={Kind.CHECKIN: checkin} if checkin else {}))
    gate.account()
    return items
