"""Every way into a session asks staff and operators for the second factor, in this session."""

import importlib

import pytest
from django.test import Client as PlainClient
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from tandem.accounts.tests.helpers import current_code, sign_in_with_code
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_SECRET,
    ClientFactory,
    UserFactory,
    add_to_care_team,
    enrol_totp,
    make_staff,
)
from tandem.tests.support.http import Client as SuiteClient

pytestmark = pytest.mark.django_db

AUDIT = reverse("audit:search")
ADMIN_LOGIN = "/django-admin/login/"


def _operator():
    operator = UserFactory(is_superuser=True, is_staff=True, email="operator@example.test")
    enrol_totp(operator)
    return operator


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_with_a_password_opens_no_session_and_no_audit_rows(client):
    # Given an operator with a second factor, and another practice's audit rows
    operator = _operator()
    other_practice_admin = make_staff(Role.PRACTICE_ADMIN, email="admin.b@example.test")
    record(actor=other_practice_admin, action=AuditAction.UPDATE)

    # When someone posts the operator's password to the Django admin's login form
    response = PlainClient().post(
        ADMIN_LOGIN, {"username": operator.email, "password": TEST_PASSWORD, "next": AUDIT}
    )
    browser = PlainClient()
    browser.cookies = response.cookies

    # Then they are sent to Tandem's own sign-in (password, then code), signed in to nothing
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Faudit%2F"
    assert "_auth_user_id" not in browser.session
    audit = browser.get(AUDIT)
    assert audit.status_code == 302
    assert audit["Location"].startswith(reverse("account_login"))
    assert browser.get("/django-admin/").status_code == 302


@pytest.mark.parametrize("who", ["operator", "Django staff", Role.PRESCRIBER, Role.PRACTICE_ADMIN])
def test_a_password_only_session_is_signed_out_before_any_page(who):
    # Given a person with a second factor whose session proved only the password
    # (Django's own login, as the admin's form or any non-allauth door would do)
    if who == "operator":
        user = _operator()
    elif who == "Django staff":
        user = UserFactory(is_staff=True)
        enrol_totp(user)
    else:
        user = make_staff(who)
    record_ = ClientFactory()
    if who in (Role.PRESCRIBER, Role.PRACTICE_ADMIN):
        add_to_care_team(record_, user, who)
    browser = PlainClient()
    assert browser.login(email=user.email, password=TEST_PASSWORD)

    # When they open a client's record, the audit trail and their account's factors
    detail = browser.get(reverse("clients:detail", args=[record_.public_id]))

    # Then they are signed out and sent to sign in with password and code
    assert detail.status_code == 302
    assert detail["Location"] == (
        f"{reverse('account_login')}?next=%2Fclients%2F{record_.public_id}%2F"
    )
    assert "_auth_user_id" not in browser.session
    assert browser.login(email=user.email, password=TEST_PASSWORD)
    assert browser.get(AUDIT)["Location"].startswith(reverse("account_login"))
    assert browser.login(email=user.email, password=TEST_PASSWORD)
    admin = browser.get("/django-admin/")
    assert admin["Location"] == f"{reverse('account_login')}?next=%2Fdjango-admin%2F"
    assert browser.login(email=user.email, password=TEST_PASSWORD)
    # Not even the factor pages (where a factor could be removed or replaced).
    factors = browser.get(reverse("mfa_index"))
    assert factors["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in browser.session


def test_an_htmx_request_of_a_password_only_session_is_refused_without_a_swap():
    user = make_staff(Role.THERAPIST)
    browser = PlainClient()
    assert browser.login(email=user.email, password=TEST_PASSWORD)

    response = browser.get(reverse("core:dashboard"), headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert response["HX-Reswap"] == "none"
    assert response.content.decode() == "Sign in again with your second factor to continue."
    assert "_auth_user_id" not in browser.session


def test_password_then_code_reaches_the_audit_trail_and_the_admin(client):
    operator = _operator()

    sign_in_with_code(client, operator)

    assert client.get(AUDIT).status_code == 200
    assert client.get("/django-admin/").status_code == 200


def test_a_superuser_without_a_factor_is_sent_to_enrolment():
    operator = UserFactory(is_superuser=True, is_staff=False)
    browser = PlainClient()
    browser.force_login(operator)

    response = browser.get(AUDIT)

    assert response["Location"] == "/accounts/2fa/totp/activate/?required=1"


def test_a_client_needs_no_second_factor_for_their_own_pages():
    person = UserFactory()
    ClientFactory(user=person)
    browser = PlainClient()
    assert browser.login(email=person.email, password=TEST_PASSWORD)

    assert browser.get(reverse("core:dashboard")).status_code == 200


def test_the_suites_force_login_records_the_second_factor_as_allauth_does(client):
    # The test client marks the session as allauth does after a real code; opting out
    # gives the password-only session the middleware signs out.
    prescriber = make_staff(Role.PRESCRIBER)
    client.force_login(prescriber)
    assert client.get(reverse("core:dashboard")).status_code == 200

    other_browser = SuiteClient()
    other_browser.force_login(prescriber, second_factor=False)
    assert other_browser.get(reverse("core:dashboard")).status_code == 302
    assert not _signed_in(other_browser)


def test_the_code_checked_at_sign_in_is_what_opens_the_session(client):
    prescriber = make_staff(Role.PRESCRIBER)
    client.post(reverse("account_login"), {"login": prescriber.email, "password": TEST_PASSWORD})
    # Between password and code the person is not signed in at all.
    assert not _signed_in(client)
    client.post(reverse("mfa_authenticate"), {"code": current_code(TEST_TOTP_SECRET)})
    assert _signed_in(client)
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_the_django_admin_is_not_served_unless_enabled():
    import tandem.urls

    try:
        with override_settings(TANDEM_ADMIN_ENABLED=False):
            clear_url_caches()
            importlib.reload(tandem.urls)
            response = PlainClient().get(ADMIN_LOGIN)
            assert response.status_code == 404
    finally:
        clear_url_caches()
        importlib.reload(tandem.urls)
    assert PlainClient().get(ADMIN_LOGIN).status_code == 302
