import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, add_truncation_text, calculate_truncate_chars_length
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.reports.forms import AuditSearchForm
from tandem.audit.reports.selectors import (
    access_report,
    accesses_to_client,
    keyset_page,
    reader_zone,
    search_events,
)
from tandem.clients.access import own_record
from tandem.core import policy
from tandem.core.html import text as escaped
from tandem.core.htmx import HtmxHttpRequest, page_or_fragment
from tandem.core.roles import Role

PAGE_SIZE = 50

#: What a row does not show of its event: its detail (a list read's fifty client ids,
#: decoded from JSON for nothing) and its hashes.
UNSHOWN_FIELDS = ("detail", "prev_hash", "hash")


@login_required
@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    """Search the audit trail (practice admins: their practice; platform operators: all)."""
    user = request.user
    if not (user.is_superuser or Role.PRACTICE_ADMIN in policy.roles(user)):
        raise Http404("Not found.")
    zone = reader_zone(user)
    form = AuditSearchForm(request.GET or None, zone_help=zone.describe())
    events = search_events(user).none() if form.is_bound and not form.is_valid() else None
    if events is None:
        data = form.cleaned_data if form.is_bound else {}
        actor_id = None
        if data.get("actor_email"):
            actor_id = (
                get_user_model()
                .objects.filter(email__iexact=data["actor_email"])
                .values_list("pk", flat=True)
                .first()
                or -1
            )
        events = search_events(
            user,
            action=data.get("action", ""),
            actor_id=actor_id,
            object_id=data.get("object_id", ""),
            client_id=str(data["client_id"]) if data.get("client_id") else "",
            since=data.get("since"),
            until=data.get("until"),
            zone=zone.zone,
        )
    page = keyset_page(
        events.defer(*UNSHOWN_FIELDS),
        PAGE_SIZE,
        before=_page_key(request.GET.get("before")),
        after=_page_key(request.GET.get("after")),
    )
    emails = dict(
        get_user_model()
        .objects.filter(pk__in={e.actor_id for e in page.events if e.actor_id})
        .values_list("pk", "email")
    )
    query = request.GET.copy()
    for key in ("page", "before", "after"):
        query.pop(key, None)
    return render(
        request,
        page_or_fragment(request, "audit/search.html", "results"),
        {
            "form": form,
            "page": page,
            "table_rows": _table_rows(_rows(page.events, emails, zone.zone)),
            "query": query.urlencode(),
        },
    )


def _rows(events: list[AuditEvent], emails: dict[int, str], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Return each event's cells as the table shows them, in the reader's zone.

    The table used to resolve each cell in the template (a ``{% timezone %}`` block,
    two ``date`` filters, ``get_action_display``, ``truncatechars`` and four
    ``default`` filters per row); the same text is built here once per row.
    """
    actions = {value: str(label) for value, label in AuditAction.choices}
    short = shortener(14)
    rows = []
    for event in events:
        iso, shown = when(event.occurred_at, zone)
        rows.append(
            {
                "pk": event.pk,
                "iso": iso,
                "shown": shown,
                "email": emails.get(event.actor_id or 0),  # None: no such person (any more)
                "role": event.actor_role or "—",
                "action": actions.get(event.action, event.action),
                "object_type": event.object_type,
                "object_id": short(event.object_id) if event.object_id else "",
                "request_id": event.request_id or "—",
                "ip": event.ip or "—",
            }
        )
    return rows


def _table_rows(rows: list[dict[str, Any]]) -> SafeString:
    """Return the table's body rows for ``rows`` (of ``_rows``) as HTML.

    Written here rather than as a loop in ``search.html``: the template engine spent
    about a fifth of the page's own time on fifty rows of ten nodes. The HTML is the
    loop's, byte for byte (``test_views.py`` renders the loop beside it), every text
    escaped.
    """
    e = escaped
    out = []
    for row in rows:
        email = e(row["email"]) if row["email"] is not None else '<span class="muted">—</span>'
        what = e(row["object_type"]) + (
            f" <code>{e(row['object_id'])}</code>" if row["object_id"] else ""
        )
        out.append(
            "\n      <tr>"
            f"\n        <td>{row['pk']}</td>"
            f'\n        <td><time datetime="{e(row["iso"])}">{e(row["shown"])}</time></td>'
            f"\n        <td>{email}</td>"
            f"\n        <td>{e(row['role'])}</td>"
            f"\n        <td>{e(row['action'])}</td>"
            f"\n        <td>{what}</td>"
            f"\n        <td><code>{e(row['request_id'])}</code></td>"
            f"\n        <td>{e(row['ip'])}</td>"
            "\n      </tr>\n    "
        )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped, pk an int


def when(moment: dt.datetime, zone: ZoneInfo) -> tuple[str, str]:
    """Return ``moment`` in ``zone`` as the ``date`` filter's ``"c"`` and ``"Y-m-d H:i:s T"``.

    Written as ``django.utils.dateformat`` writes those letters (``c`` is ``isoformat``;
    ``T`` is the zone's name, empty in an hour that is ambiguous or skipped), without
    its parse of the format string and two formatter objects per row: fifty rows cost
    about 3 ms that way. ``test_views.py`` compares the two, across the clock changes.
    """
    local = moment.astimezone(zone)
    skipped_or_twice = zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local)
    name = "" if skipped_or_twice else str(zone.tzname(local))
    shown = "%04d-%02d-%02d %02d:%02d:%02d %s" % (  # noqa: UP031 - dateformat's own formats
        local.year, local.month, local.day, local.hour, local.minute, local.second, name,
    )  # fmt: skip
    return local.isoformat(), shown


def shortener(length: int) -> Callable[[str], str]:
    """Return a function truncating text as ``Truncator(text).chars(length)`` does.

    ``Truncator`` normalises the text, counts combining characters out and asks for
    the language's ellipsis twice on every call; the ellipsis is asked for once here,
    and text in ASCII (nothing to normalise or leave out: every object id seen) is cut
    directly. Other text still goes through ``Truncator``. ``test_views.py`` compares
    the two in two languages.
    """
    ellipsis = pgettext("String to return when truncating text", "%(truncated_text)s…")
    keep = calculate_truncate_chars_length(length, ellipsis)

    def short(value: str) -> str:
        if not value.isascii():
            return Truncator(value).chars(length)
        return value if len(value) <= length else add_truncation_text(value[:keep], ellipsis)

    return short


def _page_key(value: str | None) -> int | None:
    """Return a page key from the query string (an event id), or None."""
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@login_required
@require_GET
def my_record(request: HtmxHttpRequest) -> HttpResponse:
    """Show a client who has read or changed their record: when, who, in what role, what."""
    client = own_record(request.user)
    if client is None:
        return redirect("core:dashboard")
    page = Paginator(accesses_to_client(request.user, client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "audit/my_record.html",
        {"page": page, "rows": access_report(request.user, client, list(page))},
    )
