"""The user's in-app notifications: fixed texts that say only that something is waiting."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tandem.notifications import actions, selectors


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """List the user's notifications, newest first, and mark them read now that they are seen."""
    rows = list(selectors.notifications_for(request.user)[: selectors.PAGE_SIZE])
    unread = {n.pk for n in rows if n.read_at is None}
    actions.mark_read(user=request.user, notifications=rows)  # type: ignore[arg-type]
    return render(
        request,
        "notifications/list.html",
        {"rows": [(n, n.pk in unread) for n in rows], "page_size": selectors.PAGE_SIZE},
    )


@login_required
@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """Return the navigation badge with the unread count (fetched by HTMX after the page loads)."""
    return render(
        request, "notifications/badge.html", {"count": selectors.unread_count(request.user)}
    )
