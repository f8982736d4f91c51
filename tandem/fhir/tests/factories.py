"""System clients and their tokens, obtained the way an EHR obtains them."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.test import Client as DjangoClient
from oauth2_provider.models import Application

from tandem.fhir.models import SystemClient

SECRET = "test-secret-of-an-ehr"


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
