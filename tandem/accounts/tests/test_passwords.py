"""Passwords are checked against common passwords and against the user's own details."""

import pytest
from django.urls import reverse

from tandem.accounts.models import User

pytestmark = pytest.mark.django_db


def signup(client, password: str, **overrides: str):
    data = {
        "full_name": "Morgan Bellweather",
        "email": "morgan.bellweather@example.test",
        "password1": password,
        "password2": password,
        "account_type": "client",
    }
    return client.post(reverse("account_signup"), data | overrides)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password1234", "Password: This password is too common."),
        ("morgan.bellweather", "Password: The password is too similar to the email address."),
        (
            "short pass",
            "Password: This password is too short. It must contain at least 12 characters.",
        ),
        ("739184627351", "Password: This password is entirely numeric."),
    ],
)
def test_weak_password_is_refused_with_a_message_naming_the_field(client, password, message):
    response = signup(client, password)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="morgan.bellweather@example.test").exists()


def test_password_like_the_full_name_is_refused_even_when_the_email_differs(client):
    response = signup(client, "Bellweather Morgan", email="mb7@example.test")

    assert response.status_code == 200
    assert "Password: The password is too similar to the full name." in response.content.decode()
    assert not User.objects.filter(email="mb7@example.test").exists()


def test_strong_unrelated_password_is_accepted(client):
    response = signup(client, "lantern orchard velvet 58")

    assert response.status_code == 302
    assert User.objects.filter(email="morgan.bellweather@example.test").exists()
