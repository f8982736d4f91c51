"""Tandem's own limits, counted by allauth's rate limiter (the one behind sign-in's limits).

Limits are set per action in ``settings.TANDEM_RATE_LIMITS`` ("5/h/ip"; several rates
comma-separated). allauth counts them in the default cache, with a lock per key, and
keys "ip" rates on the client address behind the trusted proxy (the same address as
``tandem.core.http.client_ip``). In production the cache is Redis, shared by every
gunicorn worker, so a limit holds across them.
"""

from allauth.core.internal import ratelimit as _allauth
from django.conf import settings
from django.http import HttpRequest


def consume(request: HttpRequest, *, action: str, key: str | None = None) -> bool:
    """Count one use of ``action``; return False (counting nothing) when a limit is reached.

    GET requests count too: a limit here protects a resource, not only a form. ``key``
    is what "key" rates count per (e.g. one intake's verification emails).
    """
    usage = _allauth.consume(
        request,
        app="tandem",
        action=action,
        config=settings.TANDEM_RATE_LIMITS,
        key=key,
        limit_get=True,
    )
    return usage is not None


def first_rate(action: str) -> tuple[int, int]:
    """Return (amount, seconds) of ``action``'s first configured rate, for messages."""
    rates = _allauth.get_rates(app="tandem", action=action, config=settings.TANDEM_RATE_LIMITS)
    if not rates:
        raise LookupError(f"TANDEM_RATE_LIMITS has no rate for {action!r}.")
    return rates[0].amount, int(rates[0].duration)
