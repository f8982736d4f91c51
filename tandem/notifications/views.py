"""The user's in-app notifications: fixed texts that say only that something is waiting.

Reading the list changes nothing. A notification counts as read when its user
opens it (the link goes through ``open`` and on to the page it names) or when
they mark them all read with the button; so a glance at the list never hides
something they have not looked at.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.http import AuthenticatedHttpRequest
from tandem.notifications import actions, selectors
from tandem.notifications.models import Notification


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the user's notifications, newest first, the unread ones marked New."""
    rows = list(selectors.notifications_for(request.user)[: selectors.PAGE_SIZE])
    return render(
        request,
        "notifications/list.html",
        {
            "rows": selectors.with_names(request.user, rows),
            "any_unread": any(n.read_at is None for n in rows),
            "page_size": selectors.PAGE_SIZE,
        },
    )


@login_required
@require_GET
def open_notification(
    request: AuthenticatedHttpRequest, notification_id: uuid.UUID
) -> HttpResponse:
    """Mark the user's own notification read and go on to the page it points at."""
    try:
        notification = selectors.notifications_for(request.user).get(public_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404 from None
    actions.mark_read(user=request.user, notifications=[notification])
    link = notification.link
    # Links are paths inside Tandem; anything else (a stored absolute URL) goes to the list.
    if link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return HttpResponseRedirect(link)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Mark every unread notification of the user read."""
    changed = actions.mark_all_read(user=request.user)
    if changed:
        messages.success(
            request, f"Marked {changed} notification{'' if changed == 1 else 's'} as read."
        )
    return redirect("notifications:list")


@login_required
@require_GET
def unread_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Return the navigation badge with the unread count (fetched by HTMX after the page loads)."""
    return render(
        request, "notifications/badge.html", {"count": selectors.unread_count(request.user)}
    )
