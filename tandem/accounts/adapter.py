import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from tandem.core import policy


@dataclass(frozen=True)
class TandemSite:
    """What allauth's email templates read of "the site": its name and its domain."""

    name: str
    domain: str


def tandem_site() -> TandemSite:
    """Return Tandem as the site allauth's emails name, on the address links lead to."""
    domain = urlsplit(settings.TANDEM_BASE_URL).netloc or "Tandem"
    return TandemSite(name="Tandem", domain=domain)


class AccountAdapter(DefaultAccountAdapter):
    """Tandem's account rules: emails carry no PHI; anyone may sign up as therapist or client."""

    # Plainer wording than allauth's. Both messages read the same whether or not an account
    # exists for the email typed, so they do not reveal who has an account.
    error_messages = DefaultAccountAdapter.error_messages | {
        "email_password_mismatch": "The email address or password is not correct.",
        "too_many_login_attempts": (
            "Too many failed sign-in attempts. For your security, signing in to this account "
            "is paused for a few minutes. Try again later, or reset your password."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return True

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Send allauth's emails as Tandem, at the address links lead to (TANDEM_BASE_URL).

        Without the sites framework allauth names the site after the request's host, so
        emails said "Hello from 127.0.0.1:8102!".
        """
        context = {"current_site": tandem_site(), **context}
        super().send_mail(template_prefix, email, context)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Count a sign-in from the last few minutes as a fresh proof of identity for MFA pages.

        allauth asks for the password again before any MFA page unless the user explicitly
        reauthenticated. Tandem sends clinicians to enrol right after they sign in, and then
        on to their recovery codes; asking for the password twice more there only confuses.
        A sign-in within ACCOUNT_REAUTHENTICATION_TIMEOUT (5 minutes) proves the same thing;
        after that, every MFA change needs reauthentication as usual.
        """
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa" and self._signed_in_just_now():
            return False
        return required

    def _signed_in_just_now(self) -> bool:
        request = self.request
        user = getattr(request, "user", None)
        if request is None or user is None or not user.is_authenticated:
            return False
        now = time.time()
        return any(
            record.get("method") == "password"
            and now - float(record.get("at", 0)) < account_settings.REAUTHENTICATION_TIMEOUT
            for record in get_authentication_records(request, user)
        )


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Clinicians and practice staff must keep a second factor. Add a passkey first, "
            "then you can turn off the authenticator app."
        ),
    }

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        """Refuse to remove a staff member's last second factor (MFA is mandatory for them)."""
        user = authenticator.user
        if not (policy.is_staff_member(user) or user.is_staff):
            return True
        factors = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
        if authenticator.type not in factors:
            return True
        others = Authenticator.objects.filter(user=user, type__in=factors).exclude(
            pk=authenticator.pk
        )
        return others.exists()

    def get_public_key_credential_rp_entity(self) -> dict[str, Any]:
        entity = super().get_public_key_credential_rp_entity()
        entity["name"] = "Tandem"
        return entity
