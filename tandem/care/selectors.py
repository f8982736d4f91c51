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
from tandem.consent.decision import ConsentContext
from tandem.consent.timeline import Gate
from tandem.core.timeline import (
    Cursor,
    Item,
    Kind,
    Page,
    Query,
    compose,
    compose_page,
    kinds_check,
)

__all__ = ["PAGE_SIZE", "Cursor", "Item", "Kind", "Page", "timeline", "timeline_page"]


def timeline(
    viewer: Any,
    client: Client,
    kinds: Iterable[str] | None = None,
    *,
    checkin: str = "",
    account: bool = True,
) -> list[Item]:
    """Return every item of the client's care the viewer may see, newest first.

    Items written by another organisation that no current release covers stay on
    the timeline as withheld, with the reason. The number of queries does not
    depend on the number of items. ``checkin`` (a reference) narrows the check-ins
    to the one a page shows, so only that one is accounted as shown. With
    ``account=False`` nothing is recorded as shown (for a caller that shows nothing).
    """
    wanted = frozenset(kinds) if kinds else frozenset(Kind.values)
    member = seat(viewer, client)
    gate = Gate(viewer, client, member.organisation_id if member else None)
    items = compose(Query(client, gate, wanted, only={Kind.CHECKIN: checkin} if checkin else {}))
    if account:
        gate.account()
    return items


#: ``timeline_page``'s "seat not read yet" (None already means "no seat").
_UNREAD: Any = object()

#: Items on one page of the timeline page.
PAGE_SIZE = 50


def timeline_page(
    viewer: Any,
    client: Client,
    kinds: Iterable[str] | None = None,
    *,
    cursor: Cursor | None = None,
    size: int = PAGE_SIZE,
    member: Any = _UNREAD,
) -> Page:
    """Return the ``size`` items of the timeline next to ``cursor``, as ``timeline`` orders them.

    Without a cursor, the newest. Keyset pages: each provider reads at most
    ``size + 1`` rows past the cursor from its (client, time) index, so a deep page
    costs what the first one does, in the same number of queries. Only the items on
    the page are accounted as shown to the viewer's organisation. ``member``: the
    viewer's ``seat`` on the client's team when the page already read it.
    """
    wanted = frozenset(kinds) if kinds else frozenset(Kind.values)
    if member is _UNREAD:
        member = seat(viewer, client)
    # Which kinds the client has rows of, read in the consent context's statement.
    check = kinds_check(client.pk, wanted)
    if check is None:
        context, with_rows = ConsentContext.load([client.pk]), None
    else:
        context, found = ConsentContext.load_beside([client.pk], check.sql, check.params)
        with_rows = check.with_rows(found)
    gate = Gate(viewer, client, member.organisation_id if member else None, context)
    page = compose_page(
        Query(client, gate, wanted, newest=size + 1, cursor=cursor, with_rows=with_rows), size
    )
    decisions = {id(item.decision) for item in page.items if item.decision is not None}
    objs = {id(item.obj) for item in page.items if item.obj is not None}
    gate.shown = [s for s in gate.shown if id(s.decision) in decisions or id(s.obj) in objs]
    gate.account()
    return page
