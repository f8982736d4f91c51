"""System clients and their tokens, obtained the way an EHR obtains them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client as DjangoClient
from django.utils import timezone
from oauth2_provider.models import Application

from tandem.fhir.models import SystemClient

SECRET = "test-secret-of-an-ehr"
APP_REDIRECT = "https://app.example.test/callback"


def system_client(
    user: Any, organisation: Any = None, scopes: str = "system/*.read"
) -> SystemClient:
    """Register a system client acting for ``organisation`` through ``user`` (their first practice)."""
    if organisation is None:
        organisation = user.memberships.order_by("pk").first().organisation
    application = Application.objects.create(
        name="Synthetic EHR",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=SECRET,
    )
    return SystemClient.objects.create(
        application=application, organisation=organisation, acting_user=user, scopes=scopes
    )


def token_response(system: SystemClient, scope: str | None = None) -> Any:
    basic = base64.b64encode(f"{system.application.client_id}:{SECRET}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return DjangoClient().post("/fhir/auth/token", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def token_for(system: SystemClient, scope: str | None = None) -> str:
    response = token_response(system, scope)
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


class Api:
    """A FHIR client holding one bearer token."""

    def __init__(self, token: str) -> None:
        self.http = DjangoClient()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(path, params, **self.headers)

    def post(self, path: str, body: Any, **headers: Any) -> Any:
        return self.http.post(
            path,
            json.dumps(body),
            content_type="application/fhir+json",
            **self.headers,
            **headers,
        )


def api_for(
    user: Any, scopes: str = "system/*.read system/*.write", organisation: Any = None
) -> Api:
    return Api(token_for(system_client(user, organisation, scopes)))


def app_token_for(user: Any, organisation: Any = None, scope: str = "user/*.read") -> str:
    """Return a token of a SMART app acting for ``user``, got through the whole PKCE flow.

    The app is registered for ``organisation`` (``user``'s first practice by default);
    ``user`` signs in with their second factor, allows it, and the app trades the code.
    """
    from tandem.fhir.actions import register_user_app
    from tandem.tests.support.http import Client as SignedInClient

    if organisation is None:
        organisation = user.memberships.order_by("pk").first().organisation
    app = register_user_app(
        actor=None,
        organisation=organisation,
        name="Synthetic chart app",
        redirect_uris=[APP_REDIRECT],
        scopes=scope,
    ).app
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": app.application.client_id,
        "redirect_uri": APP_REDIRECT,
        "scope": scope,
        "state": "synthetic",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    browser = SignedInClient()
    browser.force_login(user)
    page = browser.get("/fhir/auth/authorize", query)
    assert page.status_code == 200, page.content
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    answer = browser.post("/fhir/auth/authorize", form | {"allow": "true"})
    assert answer.status_code == 302, answer.content
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    response = DjangoClient().post(
        "/fhir/auth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": APP_REDIRECT,
            "client_id": app.application.client_id,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def utc_today() -> dt.date:
    """Today in UTC: the API reads a date without a zone (``ge2026-12-05``) as UTC midnight.

    The local date (America/New_York) is still yesterday between 00:00 and 05:00 UTC, and a
    search built from it then also finds what was written in the last hours.
    """
    return timezone.localdate(timezone=dt.UTC)
