"""Small helpers shared by the accounts tests."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse
from django.utils import timezone

from tandem.core.tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET


def current_code(secret: str) -> str:
    """Return the six-digit TOTP code for ``secret`` at the (possibly travelled) current time."""
    return format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))


def sign_in(client, user) -> None:
    """Sign in through allauth's password form, as a person would (no MFA enrolled)."""
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def sign_in_with_code(client, user, secret: str = TEST_TOTP_SECRET) -> None:
    """Sign in with password and then the one-time code, as a person with MFA would."""
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
