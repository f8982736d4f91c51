from typing import Any

from django.conf import settings
from django.http import HttpRequest

from tandem.core import policy


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
    }
