"""The navigation facts every page needs (the workspace sits on top: it may ask any app)."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tandem.care.crisis.selectors import AlertRow, open_alerts_to_answer
from tandem.core import policy


def _open_alerts(user: Any, rows: list[AlertRow] | None, settled: bool) -> dict[str, Any]:
    """Return the open safety alerts the user must answer, for the red banner."""
    if not policy.is_signed_in(user) or not apps.is_installed("tandem.care"):
        return {"alerts": [], "more": False}
    alerts, more = open_alerts_to_answer(user, rows=rows, settled=settled)
    return {"alerts": alerts, "more": more}


def open_alerts_banner(
    user: Any, rows: list[AlertRow] | None = None, *, settled: bool = False
) -> SimpleLazyObject:
    """Return the banner's alerts, read only when a full page shows it.

    A page that already read the user's open alerts (the home page's queue) passes
    their ``rows``, so they are read once; the banner still names the clients itself
    (and records that read). ``settled``: the request writes nothing (a GET), so the
    user's "no alert may wait" loaded with them spares the read
    (``crisis.selectors.open_alert_rows``).
    """
    return SimpleLazyObject(lambda: _open_alerts(user, rows, settled))


def settled(request: HttpRequest) -> bool:
    """Return whether the request can change nothing (GET, HEAD): what it loaded first still holds."""
    return request.method in ("GET", "HEAD")


def tandem(request: HttpRequest) -> dict[str, Any]:
    """Expose the navigation facts every page needs: roles, MFA state, session timing."""
    user = getattr(request, "user", None)
    held = policy.roles(user) if policy.is_signed_in(user) else set()
    return {
        "nav_roles": held,
        # The referral inbox belongs to psychiatric practices' staff, not to therapy practices.
        "nav_inbox": any(
            m.organisation.kind == "psychiatric" for m in policy.active_memberships(user)
        )
        if policy.is_signed_in(user)
        else False,
        "nav_needs_mfa": policy.is_signed_in(user)
        and (policy.is_staff_member(user) or bool(getattr(user, "is_staff", False)))
        and not policy.has_mfa(user),
        "session_idle_seconds": settings.SESSION_IDLE_SECONDS,
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
        "demo_mode": settings.DEMO_MODE,
        # Lazy: one query, only when a full page (not an HTMX fragment) shows the banner.
        "open_alerts": open_alerts_banner(user, settled=settled(request)),
    }
