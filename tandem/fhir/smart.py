"""SMART app launch for apps acting for a signed-in person: authorization code with PKCE.

A practice's admin registers the app (``manage.py add_fhir_app``); a person of that
practice, signed in with their second factor, allows it on Tandem's own page
(``AuthorizeView``); the app trades the code and its PKCE verifier for a token at the
shared token endpoint. The token then acts as that person in that practice only
(``auth._user_caller``), re-checked on every call. django-oauth-toolkit does the
OAuth work; this module only adds who may allow what, the page and the audit row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749.errors import InvalidRequestError

from tandem.accounts.middleware import session_passed_second_factor
from tandem.core import policy
from tandem.fhir import actions, scopes
from tandem.fhir.models import UserApp

#: What each resource type is, in the words of the people who allow an app to read it.
_PLAIN = {
    "Patient": "your clients' names and contact details",
    "Practitioner": "your colleagues in the practice",
    "PractitionerRole": "your colleagues' roles in the practice",
    "Organization": "practices and what they offer",
    "ServiceRequest": "referrals",
    "Task": "where referrals stand",
    "Consent": "clients' releases of information",
    "DocumentReference": "consult notes",
    "Appointment": "appointments",
    "MedicationStatement": "medication changes",
    "QuestionnaireResponse": "questionnaire answers",
    "Observation": "questionnaire scores",
}
_VERB = {"read": "See", "write": "Change", "*": "See and change"}


def in_plain_words(scope: str) -> str:
    """Return what ``scope`` lets an app do, as the person allowing it reads it."""
    _, _, rest = scope.partition("/")
    resource, _, mode = rest.rpartition(".")
    what = "everything you can see in Tandem" if resource == "*" else _PLAIN.get(resource, resource)
    if resource == "*" and mode != "read":
        what = "everything you can see or change in Tandem"
    return f"{_VERB.get(mode, mode)} {what}"


class AuthorizeView(AuthorizationView):
    """Ask the signed-in person whether a registered app may act for them, with which scopes.

    Only a person who works in the app's practice, in a session that passed their second
    factor, is asked (the MFA middleware already holds every staff session to that; this
    view checks again because the app's tokens will read clinical data as them).
    """

    template_name = "fhir/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        data = request.POST if request.method == "POST" else request.GET
        app = (
            UserApp.objects.select_related("application", "organisation")
            .filter(application__client_id=data.get("client_id", "")[:200], is_active=True)
            .first()
        )
        if app is None:
            return self._refuse(
                request, 400, "No app registered with Tandem has this client id (client_id)."
            )
        user = request.user
        if not any(
            m.organisation_id == app.organisation_id for m in policy.active_memberships(user)
        ):
            return self._refuse(
                request,
                403,
                f"{app.application.name} acts for people of {app.organisation.name}, "
                "and you do not work there.",
                app,
            )
        if not (policy.has_mfa(user) and session_passed_second_factor(request)):
            return self._refuse(
                request, 403, "Sign in with your second factor to allow an app.", app
            )
        self.user_app = app
        return super().dispatch(request, *args, **kwargs)

    def validate_authorization_request(self, request: HttpRequest) -> Any:
        """Refuse a "plain" PKCE challenge before the person is asked, not after they allow.

        django-oauth-toolkit refuses it only when storing the code; a missing challenge
        it refuses here already (PKCE_REQUIRED).
        """
        scopes_asked, credentials = super().validate_authorization_request(request)
        if credentials.get("code_challenge_method") != "S256":
            refusal = InvalidRequestError(
                description='Send code_challenge_method "S256": no other PKCE method is taken.',
                state=credentials.get("state"),
            )
            raise OAuthToolkitError(error=refusal, redirect_uri=credentials["redirect_uri"])
        return scopes_asked, credentials

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        app = getattr(self, "user_app", None)
        context["user_app"] = app
        context["asked"] = [in_plain_words(s) for s in kwargs.get("scopes", [])]
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        """Let the page's form lead back to the app: CSP's form-action covers the redirect."""
        response = super().render_to_response(context, **kwargs)
        app = getattr(self, "user_app", None)
        if app is not None:
            origins = sorted(
                {
                    f"{u.scheme}://{u.netloc}"
                    for u in map(urlsplit, app.application.redirect_uris.split())
                }
            )
            csp = dict(settings.SECURE_CSP)
            csp["form-action"] = [*csp.get("form-action", []), *origins]
            response._csp_config = csp
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        """Store the code (when allowed) and its audit row in one transaction."""
        with transaction.atomic():
            response = super().form_valid(form)
            location = response.get("Location", "") if response.status_code == 302 else ""
            if form.cleaned_data.get("allow") and "code" in parse_qs(urlsplit(location).query):
                actions.record_app_allowed(
                    actor=self.request.user,
                    app=self.user_app,
                    scopes=form.cleaned_data["scope"].split(),
                )
        return response

    def _refuse(
        self, request: HttpRequest, status: int, message: str, app: UserApp | None = None
    ) -> HttpResponse:
        context = {"refusal": message, "user_app": app}
        return TemplateResponse(request, self.template_name, context, status=status)


@require_GET
def configuration(request: HttpRequest) -> JsonResponse:
    """Return SMART's discovery document: where to authorize and get tokens, and what is offered."""
    return JsonResponse(
        {
            "authorization_endpoint": request.build_absolute_uri(reverse("fhir:authorize")),
            "token_endpoint": request.build_absolute_uri(reverse("fhir:token")),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": sorted(scopes.all_scopes()),
            "capabilities": [
                "launch-standalone",
                "client-public",
                "client-confidential-symmetric",
                "permission-user",
                "permission-v1",
            ],
        }
    )


#: The token endpoint's fields for the authorization-code and refresh grants (OpenAPI).
TOKEN_FIELDS = {
    name: {"type": "string", "description": description}
    for name, description in {
        "code": "authorization_code: the code the authorize page sent back.",
        "redirect_uri": "authorization_code: the redirect URI the code was sent to.",
        "code_verifier": "authorization_code: the PKCE verifier whose S256 was the challenge.",
        "client_id": "A public app's client id (it has no secret).",
        "refresh_token": "refresh_token: the refresh token of an earlier answer.",
    }.items()
}


def openapi_paths() -> dict[str, Any]:
    """Return the OpenAPI description of the authorize page and SMART's discovery document."""
    query = [
        {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
        for name in ("response_type", "client_id", "redirect_uri", "scope", "state")
    ] + [
        {"name": "code_challenge", "in": "query", "required": True, "schema": {"type": "string"}},
        {
            "name": "code_challenge_method",
            "in": "query",
            "required": True,
            "schema": {"type": "string", "enum": ["S256"]},
        },
    ]
    html: dict[str, Any] = {"text/html": {}}
    return {
        "/fhir/auth/authorize": {
            "get": {
                "summary": "The page where a signed-in person allows an app (authorization code)",
                "security": [],
                "tags": ["FHIR"],
                "parameters": query,
                "responses": {
                    "200": {"description": "The page naming the app and scopes.", "content": html},
                    "302": {"description": "To sign-in; or back to the app with a code or error."},
                    "400": {
                        "description": "Not a registered app or redirect URI.",
                        "content": html,
                    },
                    "403": {"description": "The person may not allow this app.", "content": html},
                },
            },
            "post": {
                "summary": "The person's answer: Allow or Deny (the page's form, with its CSRF token)",
                "security": [],
                "tags": ["FHIR"],
                "responses": {
                    "302": {"description": "Back to the app with a code, or access_denied."},
                    "403": {"description": "No CSRF token, or not allowed.", "content": html},
                },
            },
        },
        "/fhir/.well-known/smart-configuration": {
            "get": {
                "summary": "SMART's discovery document: endpoints, scopes, PKCE methods",
                "security": [],
                "tags": ["FHIR"],
                "responses": {
                    "200": {
                        "description": "The configuration.",
                        "content": {"application/json": {}},
                    }
                },
            }
        },
    }
