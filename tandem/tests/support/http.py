"""The suite's HTTP test client: ``force_login`` opens a session as allauth's sign-in does."""

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.test import Client as DjangoClient
from django.test import RequestFactory


class Client(DjangoClient):
    """Django's test client whose ``force_login`` also records a passed second factor.

    ``MFARequiredMiddleware`` signs out staff whose session did not pass the second
    factor. Tests that are about what happens after sign-in use ``force_login``, so it
    writes the session record allauth writes after a correct code (method "mfa", the
    factor's id and type) when the user has a factor; a user without one gets a plain
    session, as before. ``second_factor=False`` gives the password-only session that
    other doors (the Django admin's form) would open. Tests about the sign-in itself
    use ``tandem.accounts.tests.helpers.sign_in_with_code``, which types the real code.
    """

    def force_login(
        self, user: Any, backend: str | None = None, *, second_factor: bool = True
    ) -> None:
        super().force_login(user, backend)
        if second_factor:
            record_second_factor(self, user)


def record_second_factor(client: DjangoClient, user: Any) -> None:
    """Mark ``client``'s session as having passed ``user``'s second factor, as allauth does."""
    factor = (
        Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        )
        .order_by("pk")
        .first()
    )
    if factor is None:
        return
    session = client.session
    request = RequestFactory().get("/")
    request.session = session
    request.user = user
    record_authentication(request, user, "mfa", id=factor.pk, type=factor.type)
    session.save()
