"""The client's shared timeline page. The other pages live in the sub-domains' ``views``.

Each swappable region is a ``{% partialdef %}``; every HTMX link also has an href.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.care import selectors
from tandem.care.access import team_client_and_seat
from tandem.core.htmx import HtmxHttpRequest, page_or_fragment


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
            "items": page.items,
            "page": page,
            "newer": page.newer.token() if page.newer else "",
            "older": page.older.token() if page.older else "",
            "kinds": selectors.Kind.choices,
            "kind": kind if kinds else "",
            "role": member.role if member else "",
        },
    )
