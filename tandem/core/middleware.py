"""Request-scoped plumbing shared by every app."""

import contextvars
import re
import secrets
from collections.abc import Callable

from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from tandem.core import policy
from tandem.core.http import client_ip
from tandem.core.policy import Forbidden

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def current_request_id() -> str:
    """Return the id of the request being served, or "-" outside a request."""
    return _request_id.get()


def current_client_ip() -> str | None:
    """Return the client address of the request being served (behind the trusted proxy), if any."""
    return _client_ip.get()


class RequestIdMiddleware:
    """Give every request an id, echo it in a header, and expose it to logs and the audit trail.

    An upstream proxy's X-Request-ID is kept when it looks like an id, so a
    request can be followed from the proxy's log to Tandem's audit rows.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        request.request_id = request_id  # type: ignore[attr-defined]
        token_id = _request_id.set(request_id)
        token_ip = _client_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token_id)
            _client_ip.reset(token_ip)
        response["X-Request-ID"] = request_id
        return response


class PracticeTimeZoneMiddleware:
    """Show times in the zone of the practice the signed-in person works in.

    Times are stored in UTC; clinicians and staff read them in their (first
    active) practice's zone, everyone else in the deployment's TIME_ZONE.
    Pages that are about another practice's clock (a referral's due time) set
    that practice's zone explicitly.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        memberships = policy.active_memberships(getattr(request, "user", None))
        if memberships:
            timezone.activate(memberships[0].organisation.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ForbiddenAsNotFoundMiddleware:
    """Answer a ``policy.Forbidden`` raised anywhere in a view with the ordinary 404 page.

    Missing and forbidden must look the same (see ``policy.get_or_404``); this is the
    one place that makes it so for refusals raised by actions.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Forbidden):
            return response_for_exception(request, Http404("Not found."))
        return None
