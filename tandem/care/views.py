"""The client's shared timeline page. The other pages live in the sub-domains' ``views``.

Each swappable region is a ``{% partialdef %}``; every HTMX link also has an href.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import linebreaksbr
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET

from tandem.care import selectors
from tandem.care.access import team_client_and_seat
from tandem.core.htmx import HtmxHttpRequest, page_or_fragment

_KIND_LABELS = dict(selectors.Kind.choices)


@login_required
@require_GET
def timeline(request: HtmxHttpRequest, client_id: str) -> HttpResponse:
    """Show the client's shared timeline, filtered by kind."""
    # The seat the audited read looked up: the team check, the consent gate's practice
    # and the page's role all use it (one query, where there were four).
    client, member = team_client_and_seat(request.user, client_id)
    kind = request.GET.get("kind", "")
    kinds = [kind] if kind in selectors.Kind.values else None
    # An opaque cursor (encrypted: an item's time is health information); anything
    # else, or none, opens the newest page.
    page = selectors.timeline_page(
        request.user,
        client,
        kinds,
        cursor=selectors.Cursor.parse(request.GET.get("at", "")),
        member=member,
    )
    return render(
        request,
        page_or_fragment(request, "care/timeline.html", "items"),
        {
            "client": client,
            "items": _rows(page.items),
            "page": page,
            "newer": page.newer.token() if page.newer else "",
            "older": page.older.token() if page.older else "",
            "kinds": selectors.Kind.choices,
            "kind": kind if kinds else "",
            "role": member.role if member else "",
        },
    )


def _rows(items: list[selectors.Item]) -> list[dict[str, Any]]:
    """Return each item as the page prints it: one dict of finished values.

    What the template did per item (a property read, a kind's label, two date formats,
    a line break filter, each failed ``item[...]`` lookup before the attribute), done
    once here in Python; the markup stays in the template and comes out the same.
    """
    rows = []
    for item in items:
        shown = item.shown
        at = localtime(item.at)  # the ``date`` filter's time zone: the request's current one
        rows.append(
            {
                "kind": item.kind,
                "shown": shown,
                "link": item.link if shown else "",
                "title": item.title,
                "reference": item.reference,
                # what the ``date`` filter's "c" gives (``DateFormat.c``), without parsing
                # a format each time
                "datetime": at.isoformat(),
                "when": date_format(at, "D j M Y, H:i"),
                "by": item.by,
                "kind_label": _KIND_LABELS[item.kind],
                # a list of facts whose values are all empty still prints its (empty) list
                "facts": bool(item.lines),
                "lines": [
                    (label, linebreaksbr(value, autoescape=True))
                    for label, value in item.lines
                    if value
                ]
                if shown
                else [],
                "reason": item.decision.reason if not shown else "",
                "withheld_label": item.withheld_label,
            }
        )
    return rows
