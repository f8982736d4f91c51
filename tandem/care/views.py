"""The client's shared timeline page. The other pages live in the sub-domains' ``views``.

Each swappable region is a ``{% partialdef %}``; every HTMX link also has an href.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET

from tandem.care import selectors
from tandem.care.access import team_client_and_seat
from tandem.core.html import text as escaped
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
            "count": len(page.items),
            "item_rows": _item_rows(page.items),
            "page": page,
            "newer": page.newer.token() if page.newer else "",
            "older": page.older.token() if page.older else "",
            "filters": _filters(client, kind if kinds else ""),
            "kind": kind if kinds else "",
            "role": member.role if member else "",
        },
    )


def _filters(client: Any, kind: str) -> SafeString:
    """Return the page's filter links as HTML: the template's loop over the kinds, byte for byte.

    ``kind`` is the filter in force ("" for everything). ``test_timeline.py`` renders the
    old template code beside it.
    """
    e = escaped
    url = e(reverse("care:timeline", args=[client.public_id]))
    links = "".join(
        f'\n    <li><a href="?kind={e(value)}" hx-get="?kind={e(value)}" hx-target="#timeline-items"'
        f' hx-push-url="true"{' aria-current="page"' if kind == value else ""}>{e(label)}</a></li>\n    '
        for value, label in selectors.Kind.choices
    )
    return mark_safe(  # noqa: S308 - every text above is escaped
        '<nav aria-label="Filter the timeline" class="filters">\n  <ul>\n'
        f'    <li><a href="{url}" hx-get="{url}" hx-target="#timeline-items" hx-push-url="true"'
        f"{'' if kind else ' aria-current="page"'}>Everything</a></li>\n    {links}\n  </ul>\n</nav>"
    )


def _item_rows(items: list[selectors.Item]) -> SafeString:
    """Return the page's list items for ``items`` as HTML: the template loop's, byte for byte.

    Written here rather than in ``timeline.html``, as the inbox's and tracker's cards are:
    the template loop (its tags, lookups and filters per item) and the ``date`` filter's
    format parsing were most of what the page spent on its items. Every text is escaped
    (``tandem.core.html.text``), each fact's line breaks become ``<br>`` as
    ``linebreaksbr`` makes them, and the dates read as ``date_format(at, "D j M Y, H:i")``
    does in the request's time zone and language (its day and month names looked up once
    a page). ``test_timeline.py`` renders the old template loop beside it.
    """
    e = escaped
    if not items:
        return mark_safe('\n  <li class="muted">Nothing here yet.</li>\n')
    days: dict[int, str] = {}
    months: dict[int, str] = {}
    out = []
    for item in items:
        shown = item.shown
        at = localtime(item.at)  # the ``date`` filter's time zone: the request's current one
        day = days.get(wd := at.weekday())
        if day is None:
            day = days[wd] = str(WEEKDAYS_ABBR[wd])
        month = months.get(at.month)
        if month is None:
            month = months[at.month] = str(MONTHS_3[at.month]).title()
        # ``DateFormat``'s D, j, M, Y, H and i
        when = f"{day} {at.day} {month} {at.year:04d}, {at.hour:02d}:{at.minute:02d}"
        title = e(item.title)
        link = item.link if shown else ""
        heading = f'<a href="{e(link)}">{title}</a>' if link else title
        if item.reference:
            heading += f' <span class="tag">{e(item.reference)}</span>'
        by = f" \u00b7 {e(item.by)}" if item.by else ""
        if shown:
            body = (
                '<dl class="facts">'
                + "".join(
                    f"<dt>{e(label)}</dt><dd>{_line_breaks(value)}</dd>"
                    for label, value in item.lines
                    if value
                )
                + "</dl>"
                if item.lines
                else ""
            )
        else:
            reason = item.decision.reason if item.decision is not None else ""
            body = (
                f'<p class="message message-warning" data-withheld-reason="{e(reason)}">'
                f"{e(item.withheld_label)}</p>"
            )
        out.append(
            f'\n  <li class="card" data-kind="{e(item.kind)}"{"" if shown else " data-withheld"}>'
            f'\n    <h2 class="referral-title">{heading}</h2>'
            f'\n    <p class="muted"><time datetime="{e(at.isoformat())}">{e(when)}</time>'
            f"{by} \u00b7 {e(_KIND_LABELS[item.kind])}</p>"
            f"\n    \n      {body}\n    \n  </li>\n"
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


def _line_breaks(value: Any) -> str:
    """Return ``linebreaksbr(value, autoescape=True)``: escaped (unless safe), newlines as <br>."""
    html = escaped(value)
    if "\r" in html:
        html = html.replace("\r\n", "\n").replace("\r", "\n")
    return html.replace("\n", "<br>")
