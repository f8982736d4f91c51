"""The request type of every view behind sign-in."""

from __future__ import annotations

from django.http import HttpRequest

from tandem.accounts.models import User
from tandem.core.htmx import HtmxHttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose ``user`` is a signed-in ``User`` (never ``AnonymousUser``).

    Annotate views decorated with ``login_required`` (or reached only through it)
    with this type instead of casting ``request.user``.
    """

    user: User


class AuthenticatedHtmxRequest(AuthenticatedHttpRequest, HtmxHttpRequest):
    """A signed-in request that may come from HTMX (``request.htmx``, set by django-htmx)."""
