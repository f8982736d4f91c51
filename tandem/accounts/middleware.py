"""Staff and clinicians must enrol a second factor, and prove it in every session.

Also: the idle clock of a session, refreshed at most once a minute; the signed-in user
read through Tandem's backends (``AuthenticationMiddleware``).
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth import middleware as auth_middleware
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from tandem.accounts.backends import SUCCESSORS
from tandem.core import policy

#: Paths a signed-in user without MFA may still reach: enrolment itself, account upkeep, sign-out.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/session/", "/healthz", "/readyz")
#: Paths a session that skipped the second factor may reach: nothing that reads or changes data.
_UNCHECKED_PREFIXES = ("/static/", "/healthz", "/readyz")


def must_use_second_factor(user: Any) -> bool:
    """Return whether ``user`` works in a practice or operates the platform (so needs MFA)."""
    return policy.is_signed_in(user) and (
        policy.is_staff_member(user) or user.is_staff or user.is_superuser
    )


def session_passed_second_factor(request: HttpRequest) -> bool:
    """Return whether the signed-in user proved a second factor in *this* session.

    allauth records every authentication step in the session; "mfa" is written only
    after a correct code, recovery code or passkey (at sign-in or reauthentication),
    and Tandem adds one when the person proves a factor by enrolling it here
    (tandem.accounts.receivers). A session opened any other way (Django's own login,
    the admin's form) holds no such record, whatever factors the account has.
    """
    user = getattr(request, "user", None)
    return any(
        record.get("method") == "mfa" for record in get_authentication_records(request, user)
    )


class MFARequiredMiddleware:
    """Hold staff and operators to the second factor, in every session, whatever the door.

    Without a factor enrolled they are sent to TOTP enrolment (the access policy
    also refuses them clinical data; this makes the way forward obvious). With one,
    a session that did not pass it is ended before any page, so no login form that
    asks only for a password (Django's admin, any future door) opens a usable session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not must_use_second_factor(user) or request.path.startswith(_UNCHECKED_PREFIXES):
            return self.get_response(request)
        if not policy.has_mfa(user):
            if request.path.startswith(_ALLOWED_PREFIXES):
                return self.get_response(request)
            # A fragment (a badge, a search) must not load the enrolment page: every
            # GET of it makes a new secret, which would spoil the QR code on screen.
            return _refuse_fragment(request, "Set up two-factor authentication to continue.") or (
                redirect(reverse("mfa_activate_totp") + "?required=1")
            )
        if not session_passed_second_factor(request):
            # An account with a factor whose session never proved it: opened by a door
            # that asks only for the password. End it; allauth's sign-in asks for both.
            logout(request)
            refused = _refuse_fragment(
                request, "Sign in again with your second factor to continue."
            )
            login = reverse("account_login") + "?" + urlencode({"next": request.path})
            return refused or redirect(login)
        return self.get_response(request)


def _refuse_fragment(request: HttpRequest, message: str) -> HttpResponse | None:
    """Return a 403 that HTMX will not swap in, for fragment requests; None for pages."""
    if request.headers.get("HX-Request") != "true":
        return None
    refused = HttpResponse(message, status=403, content_type="text/plain")
    refused["HX-Reswap"] = "none"
    return refused


class AtomicAccountChangesMiddleware:
    """Run each POST to the account pages (/accounts/) in one database transaction.

    allauth's views change several rows per request (a factor and its recovery
    codes; a password and the sessions it ends), and Tandem's audit rows for them
    are written as the rows change: in one transaction, a failure part-way leaves
    neither a factor without its audit row nor an audit row without its factor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path.startswith("/accounts/"):
            with transaction.atomic():
                return self.get_response(request)
        return self.get_response(request)


#: Where a session keeps the time (epoch seconds) its idle clock was last restarted.
IDLE_REFRESHED_KEY = "tandem_idle_refreshed_at"


class IdleSessionMiddleware:
    """Restart a session's idle clock at most once per ``SESSION_IDLE_REFRESH_SECONDS``.

    A session ends ``SESSION_COOKIE_AGE`` (15 minutes) after it was last saved. Saving it
    on every request (``SESSION_SAVE_EVERY_REQUEST``) cost a database write per page;
    instead a request marks the session changed only when the last restart is a minute
    old or more, and Django's SessionMiddleware (outside this one) saves it then. The end
    therefore falls between 14 and 15 minutes after the last request, never later;
    the page's warning (at 13) and its "Stay signed in" (which always restarts the clock,
    being more than a minute after the page's own request) are unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response  # no session, or one just ended (signed out): nothing to keep
        now = int(time.time())
        every = settings.SESSION_IDLE_REFRESH_SECONDS
        if session.modified or now - int(session.get(IDLE_REFRESHED_KEY, 0)) >= every:
            restart_idle_clock(session, now)  # saved (and its expiry restarted) by Django
        return response


def restart_idle_clock(session: Any, now: int | None = None) -> None:
    """Note that ``session`` is being saved now, so its 15 minutes start again."""
    session[IDLE_REFRESHED_KEY] = int(time.time()) if now is None else now


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, reading a session signed in through a replaced backend as through its successor.

    Tandem's backends (``tandem.accounts.backends``) took over from Django's and
    allauth's; a session opened before names the old one, which is no longer listed in
    ``AUTHENTICATION_BACKENDS``, and Django would end it. It is renamed instead (saved
    with the response, once) and read exactly as before: same user, same checks.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _session_user(request))  # type: ignore[assignment]


def _session_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        successor = SUCCESSORS.get(request.session.get(BACKEND_SESSION_KEY, ""))
        if successor is not None:
            request.session[BACKEND_SESSION_KEY] = successor
    return auth_middleware.get_user(request)
