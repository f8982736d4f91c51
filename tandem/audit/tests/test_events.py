"""Every kind of event lands in the audit trail with who, role, what, action, request id and IP.

The events are produced the way people produce them: through HTTP, so the
request id in the row can be checked against the response's X-Request-ID.
"""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import (
    TEST_PASSWORD,
    TEST_TOTP_SECRET,
    ClientFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)

pytestmark = pytest.mark.django_db


def _code(secret: str = TEST_TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _only(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def _all_values(event: AuditEvent) -> str:
    return " ".join(
        str(getattr(event, field.name))
        for field in AuditEvent._meta.get_fields()
        if field.name not in ("id", "hash", "prev_hash")
    )


def _sign_in(client, user, password=TEST_PASSWORD):
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    if response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"):
        response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    return response


def test_sign_in_is_recorded_with_who_role_request_id_and_ip(client):
    # Given a prescriber with MFA
    prescriber = make_staff(Role.PRESCRIBER, email="rx@example.test")

    # When they sign in with password and one-time code
    response = _sign_in(client, prescriber)

    # Then one LOGIN row names them, their role, the request that signed them in, and the IP
    assert response.status_code == 302
    event = _only(AuditAction.LOGIN)
    assert event.actor_id == prescriber.pk
    assert event.actor_role == Role.PRESCRIBER
    assert (event.object_type, event.object_id) == ("accounts.user", str(prescriber.public_id))
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"


def test_the_request_id_of_an_upstream_proxy_is_kept_in_the_row(client):
    user = UserFactory()
    ClientFactory(user=user)

    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": TEST_PASSWORD},
        headers={"X-Request-ID": "proxy-0123456789abcdef"},
        REMOTE_ADDR="203.0.113.9",
    )

    event = _only(AuditAction.LOGIN)
    assert response["X-Request-ID"] == "proxy-0123456789abcdef"
    assert (event.request_id, event.ip, event.actor_role) == (
        "proxy-0123456789abcdef",
        "203.0.113.9",
        Role.CLIENT,
    )


def test_a_failed_sign_in_is_recorded_by_account_reference_without_the_typed_email(client):
    user = UserFactory(email="target.person@example.test")

    response = client.post(
        reverse("account_login"), {"login": "Target.Person@example.test", "password": "wrong"}
    )

    event = _only(AuditAction.LOGIN_FAILED)
    assert event.actor_id is None
    assert (event.object_type, event.object_id) == ("accounts.user", str(user.public_id))
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"
    assert "target.person" not in _all_values(event).lower()


def test_a_failed_sign_in_for_an_unknown_email_names_no_account_and_stores_no_email(client):
    client.post(reverse("account_login"), {"login": "ghost@example.test", "password": "x" * 12})

    event = _only(AuditAction.LOGIN_FAILED)
    assert (event.actor_id, event.object_id) == (None, "")
    assert "ghost" not in _all_values(event)


def test_sign_out_is_recorded(client):
    therapist = make_staff(Role.THERAPIST)
    _sign_in(client, therapist)

    response = client.post(reverse("account_logout"))

    event = _only(AuditAction.LOGOUT)
    assert (event.actor_id, event.actor_role) == (therapist.pk, Role.THERAPIST)
    assert event.request_id == response["X-Request-ID"]


# Commit for real, as in production: the rows are written in the request and carry its id.
@pytest.mark.django_db(transaction=True)
def test_adding_and_removing_a_second_factor_is_recorded(client):
    # Given a client who signs in (clients may opt in to MFA)
    user = UserFactory()
    ClientFactory(user=user)
    _sign_in(client, user)
    # (allauth asks for the password again before factors change)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})

    # When they set up TOTP with the secret shown to them, then remove it
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    added = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    removed = client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    # Then both changes are in the trail, by kind of factor (recovery codes come and go with
    # TOTP), with the request that made them and no secret
    mfa_rows = AuditEvent.objects.filter(
        action__in=[AuditAction.MFA_ADDED, AuditAction.MFA_REMOVED]
    ).order_by("seq")
    assert [(e.action, e.detail, e.actor_id) for e in mfa_rows] == [
        (AuditAction.MFA_ADDED, {"type": "totp"}, user.pk),
        (AuditAction.MFA_ADDED, {"type": "recovery_codes"}, user.pk),
        (AuditAction.MFA_REMOVED, {"type": "totp"}, user.pk),
        (AuditAction.MFA_REMOVED, {"type": "recovery_codes"}, user.pk),
    ]
    assert {e.request_id for e in mfa_rows[:2]} == {added["X-Request-ID"]}
    assert {e.request_id for e in mfa_rows[2:]} == {removed["X-Request-ID"]}
    assert all(secret not in _all_values(e) for e in mfa_rows)


def test_a_password_change_is_recorded_without_the_password(client):
    user = UserFactory()
    ClientFactory(user=user)
    _sign_in(client, user)
    new_password = "a different horse battery 77"

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": new_password, "password2": new_password},
    )

    event = _only(AuditAction.PASSWORD_CHANGED)
    assert (event.actor_id, event.object_id) == (user.pk, str(user.public_id))
    assert event.request_id == response["X-Request-ID"]
    assert new_password not in _all_values(event)


def test_a_permission_change_through_the_practice_page_is_recorded(client):
    from tandem.core.tests.factories import OrganisationFactory
    from tandem.organisations.access import invitation_link_token
    from tandem.organisations.models import Invitation

    organisation = OrganisationFactory()
    admin = make_staff(Role.PRACTICE_ADMIN, organisation)
    person = UserFactory()
    client.force_login(admin)
    invited = client.post(
        reverse("organisations:invite", args=[organisation.public_id]),
        {"email": person.email, "role": Role.COORDINATOR},
    )
    invitation = Invitation.objects.get()
    client.force_login(person)

    response = client.post(
        reverse("organisations:invitation", args=[invitation_link_token(invitation)]),
        {"decision": "accept"},
    )

    sent = AuditEvent.objects.get(object_type="organisations.invitation")
    assert (sent.actor_id, sent.actor_role, sent.organisation_id, sent.request_id) == (
        admin.pk,
        Role.PRACTICE_ADMIN,
        str(organisation.public_id),
        invited["X-Request-ID"],
    )
    event = _only(AuditAction.PERMISSION_GRANTED)
    assert (event.actor_id, event.actor_role, event.organisation_id) == (
        person.pk,
        Role.COORDINATOR,
        str(organisation.public_id),
    )
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "127.0.0.1"


def test_reading_a_client_record_is_recorded(client):
    record_ = ClientFactory()
    therapist = make_staff(Role.THERAPIST)
    add_to_care_team(record_, therapist, Role.THERAPIST, primary=True)
    client.force_login(therapist)

    response = client.get(reverse("clients:detail", args=[record_.public_id]))

    assert response.status_code == 200
    event = _only(AuditAction.VIEW)
    assert (event.actor_id, event.actor_role) == (therapist.pk, Role.THERAPIST)
    assert (event.object_type, event.object_id, event.client_id) == (
        "clients.client",
        str(record_.public_id),
        str(record_.public_id),
    )
    assert (event.request_id, event.ip) == (response["X-Request-ID"], "127.0.0.1")


def test_a_refused_read_of_a_client_record_writes_no_view_row(client):
    record_ = ClientFactory()
    client.force_login(make_staff(Role.THERAPIST))

    response = client.get(reverse("clients:detail", args=[record_.public_id]))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_reading_the_caseload_list_records_which_clients_were_shown(client):
    therapist = make_staff(Role.THERAPIST)
    mine = [ClientFactory(last_name=name) for name in ("Abbot", "Birch")]
    for record_ in mine:
        add_to_care_team(record_, therapist, Role.THERAPIST)
    ClientFactory(last_name="Cedar")  # not theirs
    client.force_login(therapist)

    response = client.get(reverse("clients:list"))

    event = _only(AuditAction.VIEW)
    assert (event.actor_id, event.actor_role, event.object_type) == (
        therapist.pk,
        Role.THERAPIST,
        "clients.client",
    )
    assert event.detail == {
        "list": "caseload",
        "page": 1,
        "clients": [str(record_.public_id) for record_ in mine],
        "total": 2,
    }
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.django_db(transaction=True)
def test_a_factor_whose_audit_row_cannot_be_written_is_not_kept(client, monkeypatch):
    # Given a client setting up TOTP, and an audit trail that fails at that moment
    user = UserFactory()
    ClientFactory(user=user)
    _sign_in(client, user)
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    from tandem.accounts import receivers

    def failing_record(**kwargs):
        if kwargs.get("action") == AuditAction.MFA_ADDED:
            raise RuntimeError("audit store unavailable")
        return real_record(**kwargs)

    real_record = receivers.record
    monkeypatch.setattr(receivers, "record", failing_record)
    client.raise_request_exception = False

    # When they confirm the code
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})

    # Then the request fails as a whole: no factor without its audit row
    assert response.status_code == 500
    assert not Authenticator.objects.filter(user=user).exists()
