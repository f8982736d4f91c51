"""Rate limits of the public appointment bot, counted by allauth's rate limiter.

allauth keeps the counts in the cache (Redis in production, so every worker
sees them) and finds the client's address through its adapter, the same way
as for sign-in. A deployment may override a rate in ``INTAKE_RATE_LIMITS``
(allauth's syntax: ``"10/h/ip"``, several separated by commas).
"""

from __future__ import annotations

from allauth.core.internal import ratelimit
from django.conf import settings
from django.http import HttpRequest

#: Action → allauth rate. ``intake_start``: new bot sessions per client address;
#: ``intake_link``: verification emails per intake (key) and per address.
DEFAULT_RATE_LIMITS = {
    "intake_start": "10/h/ip",
    "intake_link": "3/h/key,10/h/ip",
}


def rates() -> dict[str, str]:
    """Return the rates in force: the defaults, with the deployment's overrides."""
    return {**DEFAULT_RATE_LIMITS, **getattr(settings, "INTAKE_RATE_LIMITS", {})}


def allow(request: HttpRequest, action: str, *, key: str | None = None) -> bool:
    """Count one ``action`` from this request; return False once its rate is used up."""
    usage = ratelimit.consume(request, app="tandem.intake", action=action, config=rates(), key=key)
    return usage is not None
