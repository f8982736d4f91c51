"""Apps acting for a signed-in person: authorization code with PKCE, as a SMART app does it.

The whole flow goes through HTTP with Django's test client: the person opens the
authorize page signed in with their second factor, allows the app, the app trades the
code and its PKCE verifier for a token, and reads FHIR as that person.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client as DjangoClient

from tandem.audit.models import AuditAction, AuditEvent
from tandem.care.tests.factories import CareWorld
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, make_staff
from tandem.fhir.actions import register_system_client, register_user_app
from tandem.fhir.models import UserApp
from tandem.fhir.tests.factories import Api, system_client
from tandem.fhir.validation import validated
from tandem.tests.support.http import Client

pytestmark = pytest.mark.django_db

REDIRECT = "https://app.example.test/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _app(organisation: Any, scopes: str = "user/*.read") -> UserApp:
    return register_user_app(
        actor=None,
        organisation=organisation,
        name="Qzchart Companion",
        redirect_uris=[REDIRECT],
        scopes=scopes,
    ).app


def _authorize_query(app: UserApp, challenge: str | None, **extra: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": app.application.client_id,
        "redirect_uri": REDIRECT,
        "scope": "user/*.read",
        "state": "qz-state-1",
    }
    if challenge is not None:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return query | extra


def _signed_in(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)  # with the session record of a passed second factor
    return browser


def _allow(browser: Client, query: dict[str, str], allow: bool = True) -> dict[str, list[str]]:
    """Open the authorize page, press Allow (or Deny), and return the redirect's parameters."""
    page = browser.get("/fhir/auth/authorize", query)
    assert page.status_code == 200, page.content
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    if allow:
        form["allow"] = "true"
    answer = browser.post("/fhir/auth/authorize", form)
    assert answer.status_code == 302, answer.content
    location = answer["Location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


def _token(app: UserApp, code: str, verifier: str) -> Any:
    return DjangoClient().post(
        "/fhir/auth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app.application.client_id,
            "code_verifier": verifier,
        },
    )


def _app_token(app: UserApp, user: Any, scope: str = "user/*.read") -> dict[str, Any]:
    verifier, challenge = _pkce()
    answer = _allow(_signed_in(user), _authorize_query(app, challenge, scope=scope))
    token = _token(app, answer["code"][0], verifier)
    assert token.status_code == 200, token.content
    return dict(token.json())


# --- the flow --------------------------------------------------------------------------


def test_a_signed_in_clinician_allows_the_app_and_it_reads_their_care_teams_clients_as_them():
    world = CareWorld()
    stranger = ClientFactory()
    app = _app(world.therapy)
    verifier, challenge = _pkce()
    browser = _signed_in(world.therapist)

    # The page names the app, the practice and what it asks, in plain words
    page = browser.get("/fhir/auth/authorize", _authorize_query(app, challenge))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Allow Qzchart Companion to act for you?" in html
    assert world.therapy.name in html
    assert "See everything you can see in Tandem" in html
    assert 'name="allow"' in html
    assert ">Deny<" in html
    # the browser may follow the form's redirect back to the app (CSP form-action)
    assert "form-action 'self' https://app.example.test;" in page["Content-Security-Policy"]
    # Allow: back to the app with a code, its state and the issuer
    answer = _allow(browser, _authorize_query(app, challenge))
    assert answer["state"] == ["qz-state-1"]
    assert answer["iss"] == ["http://testserver"]
    # The app trades the code and its verifier for a token acting as the therapist
    token = _token(app, answer["code"][0], verifier)
    assert token.status_code == 200, token.content
    body = token.json()
    assert body["scope"] == "user/*.read"
    assert body["refresh_token"]
    api = Api(body["access_token"])

    mine = api.get(f"/fhir/Patient/{world.client.public_id}")
    not_mine = api.get(f"/fhir/Patient/{stranger.public_id}")

    assert mine.status_code == 200
    assert validated(mine.json())["name"][0]["family"] == world.client.last_name
    assert not_mine.status_code == 404
    assert stranger.last_name not in not_mine.content.decode()
    # The grant and the read are on the audit trail under the therapist
    grant = AuditEvent.objects.get(
        action=AuditAction.PERMISSION_GRANTED, actor_id=world.therapist.pk
    )
    assert grant.object_id == str(app.public_id)
    assert grant.detail["scopes"] == ["user/*.read"]
    assert grant.detail["app"] == "Qzchart Companion"
    assert AuditEvent.objects.filter(
        actor_id=world.therapist.pk, action=AuditAction.VIEW, object_id=str(world.client.public_id)
    ).exists()


def test_a_wrong_verifier_gets_no_token_and_a_code_is_good_once():
    world = CareWorld()
    app = _app(world.therapy)
    verifier, challenge = _pkce()
    answer = _allow(_signed_in(world.therapist), _authorize_query(app, challenge))

    wrong = _token(app, answer["code"][0], _pkce()[0])
    right = _token(app, answer["code"][0], verifier)
    again = _token(app, answer["code"][0], verifier)

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert "access_token" not in wrong.json()
    assert right.status_code == 200
    assert again.status_code == 400  # a code is good once


@pytest.mark.parametrize(
    "challenge",
    [{}, {"code_challenge": "qz-plain-verifier-" + "x" * 40, "code_challenge_method": "plain"}],
)
def test_an_authorization_request_without_an_s256_challenge_is_refused(challenge):
    world = CareWorld()
    app = _app(world.therapy)
    browser = _signed_in(world.therapist)

    answer = browser.get("/fhir/auth/authorize", _authorize_query(app, None, **challenge))

    assert answer.status_code == 302
    sent_back = parse_qs(urlsplit(answer["Location"]).query)
    assert sent_back["error"] == ["invalid_request"]
    assert "code" not in sent_back
    assert not AuditEvent.objects.filter(action=AuditAction.PERMISSION_GRANTED).exists()


def test_deny_sends_the_person_back_to_the_app_with_access_denied_and_no_code():
    world = CareWorld()
    app = _app(world.therapy)

    answer = _allow(_signed_in(world.therapist), _authorize_query(app, _pkce()[1]), allow=False)

    assert answer["error"] == ["access_denied"]
    assert "code" not in answer
    assert not AuditEvent.objects.filter(action=AuditAction.PERMISSION_GRANTED).exists()


def test_a_refresh_token_gets_a_new_access_token_that_still_acts_as_the_person():
    world = CareWorld()
    app = _app(world.therapy)
    first = _app_token(app, world.therapist)

    refreshed = DjangoClient().post(
        "/fhir/auth/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": app.application.client_id,
        },
    )

    assert refreshed.status_code == 200, refreshed.content
    api = Api(refreshed.json()["access_token"])
    assert api.get(f"/fhir/Patient/{world.client.public_id}").status_code == 200


# --- who may allow an app --------------------------------------------------------------


def test_the_authorize_page_sends_a_visitor_to_sign_in_and_refuses_people_of_other_practices():
    world = CareWorld()
    app = _app(world.therapy)
    query = _authorize_query(app, _pkce()[1])

    anonymous = Client().get("/fhir/auth/authorize", query)
    elsewhere = _signed_in(world.prescriber).get("/fhir/auth/authorize", query)
    unknown = _signed_in(world.therapist).get(
        "/fhir/auth/authorize", query | {"client_id": "qz-no-such-app"}
    )

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")
    assert elsewhere.status_code == 403
    assert "you do not work there" in elsewhere.content.decode()
    assert unknown.status_code == 400
    assert "client_id" in unknown.content.decode()


def test_a_session_without_the_second_factor_cannot_allow_an_app():
    world = CareWorld()
    app = _app(world.therapy)
    browser = Client()
    browser.force_login(world.therapist, second_factor=False)

    answer = browser.get("/fhir/auth/authorize", _authorize_query(app, _pkce()[1]))

    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action=AuditAction.PERMISSION_GRANTED).exists()


def test_a_person_without_a_second_factor_enrolled_is_sent_to_enrol_first():
    world = CareWorld()
    app = _app(world.therapy)
    newcomer = make_staff(Role.THERAPIST, world.therapy, mfa=False)

    answer = _signed_in(newcomer).get("/fhir/auth/authorize", _authorize_query(app, _pkce()[1]))

    assert answer.status_code == 302
    assert "required=1" in answer["Location"]


# --- scopes: user/ and system/ do not mix ------------------------------------------------


def test_a_user_token_is_held_to_its_user_scopes_and_never_gets_system_ones():
    world = CareWorld()
    referral = world.sent()
    app = _app(world.therapy, scopes="user/Patient.read user/ServiceRequest.read")
    token = _app_token(app, world.therapist, scope="user/Patient.read")
    api = Api(token["access_token"])
    challenge = _pkce()[1]

    no_scope = api.get(f"/fhir/ServiceRequest/{referral.public_id}")
    write = api.post("/fhir/", {"resourceType": "Bundle", "type": "transaction"})
    asks_system = _signed_in(world.therapist).get(
        "/fhir/auth/authorize", _authorize_query(app, challenge, scope="system/*.read")
    )

    assert no_scope.status_code == 403
    assert "user/ServiceRequest.read" in validated(no_scope.json())["issue"][0]["diagnostics"]
    assert write.status_code == 403
    assert asks_system.status_code == 302
    assert parse_qs(urlsplit(asks_system["Location"]).query)["error"] == ["invalid_scope"]


def test_a_system_client_cannot_start_the_user_flow_nor_be_given_user_scopes():
    world = CareWorld()
    system = system_client(world.therapist, scopes="system/*.read")
    query = _authorize_query(_app(world.therapy), _pkce()[1])

    as_app = _signed_in(world.therapist).get(
        "/fhir/auth/authorize", query | {"client_id": system.application.client_id}
    )

    assert as_app.status_code == 400
    with pytest.raises(ValidationError, match="system/ scopes only"):
        register_system_client(
            actor=None,
            organisation=world.therapy,
            acting_user=world.therapist,
            name="EHR",
            scopes="user/*.read",
        )
    with pytest.raises(ValidationError, match="user/ scopes only"):
        _app(world.therapy, scopes="system/*.read")


# --- the token follows the person's standing ----------------------------------------------


@pytest.mark.parametrize("change", ["membership ended", "account deactivated", "app withdrawn"])
def test_a_token_stops_working_on_the_next_call_when_the_person_or_app_loses_standing(change):
    world = CareWorld()
    app = _app(world.therapy)
    api = Api(_app_token(app, world.therapist)["access_token"])
    path = f"/fhir/Patient/{world.client.public_id}"
    assert api.get(path).status_code == 200

    if change == "membership ended":
        world.therapist.memberships.update(is_active=False)
    elif change == "account deactivated":
        type(world.therapist).objects.filter(pk=world.therapist.pk).update(is_active=False)
    else:
        UserApp.objects.filter(pk=app.pk).update(is_active=False)
    refused = api.get(path)

    assert refused.status_code == 401
    assert validated(refused.json())["issue"][0]["code"] == "login"
    assert world.client.last_name not in refused.content.decode()


# --- registering and discovering -----------------------------------------------------------


def test_the_admin_registers_an_app_whose_printed_client_id_starts_the_flow():
    world = CareWorld()
    out = io.StringIO()

    call_command(
        "add_fhir_app",
        practice=str(world.therapy.public_id),
        name="Qzchart Companion",
        redirect_uris=[REDIRECT],
        scopes="user/*.read",
        stdout=out,
    )

    client_id = re.search(r"client_id=(\S+)", out.getvalue()).group(1)
    app = UserApp.objects.get(application__client_id=client_id)
    assert app.application.client_type == "public"
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_id=str(app.public_id)
    ).exists()
    with pytest.raises(CommandError, match="https"):
        call_command(
            "add_fhir_app",
            practice=str(world.therapy.public_id),
            name="Loose",
            redirect_uris=["http://app.example.test/cb"],
            stdout=io.StringIO(),
        )


def test_metadata_and_smart_configuration_name_the_authorize_and_token_endpoints():
    statement = Client().get("/fhir/metadata").json()
    configuration = Client().get("/fhir/.well-known/smart-configuration")

    uris = statement["rest"][0]["security"]["extension"][0]
    assert uris["url"].endswith("/oauth-uris")
    assert {e["url"]: e["valueUri"] for e in uris["extension"]} == {
        "authorize": "http://testserver/fhir/auth/authorize",
        "token": "http://testserver/fhir/auth/token",
    }
    assert configuration.status_code == 200
    body = configuration.json()
    assert body["authorization_endpoint"] == "http://testserver/fhir/auth/authorize"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert "permission-user" in body["capabilities"]


def test_an_app_acting_for_a_person_cannot_start_or_follow_a_practices_bulk_export():
    # Given a clinician's app holding every user read scope
    world = CareWorld()
    app = _app(world.therapy, scopes="user/*.read")
    api = Api(_app_token(app, world.therapist, scope="user/*.read")["access_token"])

    # When the app asks for a bulk export of the practice
    kick_off = api.http.get("/fhir/$export", HTTP_PREFER="respond-async", **api.headers)

    # Then it is refused: exports are the practice's systems' business, not a person's app's
    assert kick_off.status_code == 403
    assert "client credentials" in validated(kick_off.json())["issue"][0]["diagnostics"]
