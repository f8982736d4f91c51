"""The signed-in user is loaded with their second factor and client record, afresh each request."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.accounts.tests.helpers import sign_in_with_code
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, UserFactory, make_staff
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

ALLAUTH_BEFORE = "allauth.account.auth_backends.AuthenticationBackend"
DJANGO_BEFORE = "django.contrib.auth.backends.ModelBackend"


def dashboard(client) -> str:
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_signing_in_with_the_code_opens_a_session_that_loads_the_user_through_tandems_backend():
    # Given a prescriber with a second factor
    user = make_staff(Role.PRESCRIBER)
    client = HttpClient()

    # When they sign in through allauth's forms
    sign_in_with_code(client, user)

    # Then the session names Tandem's subclass of allauth's backend, and pages open
    assert client.session[BACKEND_SESSION_KEY] == "tandem.accounts.backends.AuthenticationBackend"
    assert 'aria-label="Main"' in dashboard(client)


@pytest.mark.parametrize("before", [ALLAUTH_BEFORE, DJANGO_BEFORE])
def test_a_session_opened_through_the_backends_tandem_replaced_stays_signed_in(before):
    # Given a session signed in (second factor passed) before Tandem's backends took over
    user = make_staff(Role.THERAPIST)
    client = HttpClient()
    client.force_login(user, backend=before)
    assert client.session[BACKEND_SESSION_KEY] == before

    # When they open a page
    page = dashboard(client)

    # Then they are still signed in, as themselves, and the session now names the successor
    assert f'data-user="{user.public_id}"' in page
    assert client.session[BACKEND_SESSION_KEY].startswith("tandem.accounts.backends.")


def test_a_removed_second_factor_holds_the_next_request_at_enrolment():
    # Given a signed-in therapist whose pages open
    user = make_staff(Role.THERAPIST)
    client = HttpClient()
    client.force_login(user)
    dashboard(client)

    # When their factor is removed (by anything: another session, an admin)
    Authenticator.objects.filter(user=user).delete()

    # Then the very next request is sent to enrolment
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_a_client_record_made_for_a_signed_in_person_shows_in_their_menu_on_the_next_request():
    # Given someone signed in without a client record: no client pages in their menu
    user = UserFactory()
    client = HttpClient()
    client.force_login(user)
    assert reverse("consent:mine") not in dashboard(client)

    # When a client record is made for them
    ClientFactory(user=user)

    # Then the next page offers their releases and questionnaires
    assert reverse("consent:mine") in dashboard(client)


def test_the_second_factor_and_the_client_record_come_with_the_user_in_one_query():
    # Given a signed-in prescriber
    user = make_staff(Role.PRESCRIBER)
    client = HttpClient()
    client.force_login(user)
    dashboard(client)

    # When they open a page
    with CaptureQueriesContext(connection) as queries:
        dashboard(client)

    # Then neither the factors nor the client records are asked on their own
    tables = [outer_table(q["sql"]) for q in queries]
    assert "mfa_authenticator" not in tables
    assert "clients_client" not in tables
    assert tables.count("accounts_user") == 1


def outer_table(sql: str) -> str:
    """Return the first table of the statement's own FROM (not of a subquery in its columns)."""
    depth = 0
    for i, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(' FROM "', i):
            return sql[i + 7 : sql.index('"', i + 7)]
    return ""
