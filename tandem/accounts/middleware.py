"""Staff and clinicians must enrol a second factor before they can use Tandem."""

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from tandem.core import policy

#: Paths a signed-in user without MFA may still reach: enrolment itself, account upkeep, sign-out.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/session/", "/healthz")


class MFARequiredMiddleware:
    """Send a clinician or staff member without MFA to TOTP enrolment.

    The access policy also refuses them clinical data; this middleware makes
    the way forward obvious instead of showing empty pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            policy.is_signed_in(user)
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and (policy.is_staff_member(user) or user.is_staff)  # type: ignore[union-attr]
            and not policy.has_mfa(user)
        ):
            if request.headers.get("HX-Request") == "true":
                # A fragment (a badge, a search) must not load the enrolment page: every
                # GET of it makes a new secret, which would spoil the QR code on screen.
                refused = HttpResponse(
                    "Set up two-factor authentication to continue.",
                    status=403,
                    content_type="text/plain",
                )
                refused["HX-Reswap"] = "none"
                return refused
            return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)


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
