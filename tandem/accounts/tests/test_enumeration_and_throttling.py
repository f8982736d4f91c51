"""Nobody learns who has an account, and guessing passwords or codes is throttled."""

import pytest
from django.core import mail
from django.urls import reverse

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.core.roles import Role
from tandem.core.tests.factories import TEST_PASSWORD, UserFactory, make_staff

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "lantern orchard velvet 58"
TOO_MANY = "Too many failed sign-in attempts."


def signup(client, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "full_name": "Alex Marsh",
            "email": email,
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
            "account_type": "client",
        },
    )


def login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_signup_with_a_taken_email_looks_exactly_like_a_new_signup(client):
    existing = UserFactory(email="taken@example.test")

    new = signup(client, "fresh@example.test")
    client.logout()
    taken = signup(client, "taken@example.test")

    assert (new.status_code, new["Location"]) == (302, reverse("account_email_verification_sent"))
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert User.objects.filter(email="taken@example.test").count() == 1
    existing.refresh_from_db()
    assert existing.full_name != "Alex Marsh"
    # The new address gets a verification link; the owner of the taken one is told by email.
    assert [m.to for m in mail.outbox] == [["fresh@example.test"], ["taken@example.test"]]
    assert "confirm-email" in mail.outbox[0].body
    assert "already" in mail.outbox[1].body.lower()


def test_password_reset_page_is_the_same_for_known_and_unknown_emails(client):
    UserFactory(email="known@example.test")

    known = client.post(reverse("account_reset_password"), {"email": "known@example.test"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    assert [m.to for m in mail.outbox] == [["known@example.test"], ["nobody@example.test"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


def test_failed_login_says_the_same_for_a_wrong_password_and_an_unknown_email(client):
    UserFactory(email="known@example.test")

    wrong_password = login(client, "known@example.test", "not the password at all")
    unknown_email = login(client, "nobody@example.test", "not the password at all")

    message = "The email address or password is not correct."
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert message in wrong_password.content.decode()
    assert message in unknown_email.content.decode()
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("seq")
    assert failed.count() == 2
    assert failed[0].object_id == str(User.objects.get(email="known@example.test").public_id)
    assert failed[1].object_id == ""


@pytest.mark.parametrize("email", ["known@example.test", "nobody@example.test"])
def test_sixth_attempt_within_five_minutes_is_refused_even_with_the_right_password(client, email):
    UserFactory(email="known@example.test")
    for _ in range(5):
        response = login(client, email, "a wrong guess, again")
        assert TOO_MANY not in response.content.decode()

    response = login(client, email, TEST_PASSWORD)

    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttling_one_account_does_not_lock_out_another(client):
    UserFactory(email="victim@example.test")
    UserFactory(email="other@example.test")
    for _ in range(5):
        login(client, "victim@example.test", "a wrong guess, again")

    response = login(client, "other@example.test", TEST_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="other@example.test").pk)


def test_wrong_one_time_codes_are_throttled_and_audited(client):
    user = make_staff(Role.THERAPIST, email="coder@example.test")
    response = login(client, "coder@example.test", TEST_PASSWORD)
    assert response["Location"] == reverse("mfa_authenticate")

    for _ in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert "Incorrect code." in response.content.decode()
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})

    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.LOGIN_FAILED, object_id=str(user.public_id), detail={"stage": "mfa"}
        ).count()
        == 5
    )
