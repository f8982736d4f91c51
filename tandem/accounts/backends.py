"""Authentication backends that load the signed-in user with what every request asks of them.

Every signed-in request asks whether the person has a second factor
(``MFARequiredMiddleware``, the navigation) and whether they have a client record
(their roles). Loading the user from the session answers both in the same query, into
the per-request caches ``policy.has_mfa`` and ``policy.roles`` read: two statements
fewer per request. Registered columns come with it too (``policy.register_user_column``:
whether an open alert may wait for them). The query's SQL is compiled once per process
(``tandem.core.compiled``); nothing else is kept between requests: each request loads
the user, and so the answers, afresh.

Django's and allauth's backends with only ``get_user`` changed. A session names the
backend it was signed in through; ``AuthenticationMiddleware`` reads a session named
after the backends these replace (``SUCCESSORS``) as signed in through their successor,
so nobody is signed out when they take over.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from allauth.account import auth_backends as allauth_backends
from allauth.mfa.models import Authenticator
from django.contrib.auth import backends as django_backends
from django.db.models import Exists, OuterRef, QuerySet

from tandem.accounts.models import User
from tandem.core import policy
from tandem.core.compiled import CompiledById

#: Backend paths sessions were signed in through before these, and the backend now reading them.
SUCCESSORS = {
    "django.contrib.auth.backends.ModelBackend": "tandem.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "tandem.accounts.backends.AuthenticationBackend"
    ),
}


@cache
def _users() -> QuerySet[User]:
    """Return the users with the request's facts annotated (the query's shape, built once)."""
    has_mfa = Exists(
        Authenticator.objects.filter(
            user=OuterRef("pk"),
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        )
    )
    return User._default_manager.annotate(**policy.user_columns(has_mfa))


#: The session's user with their facts: compiled to SQL once per process (``CompiledById``),
#: run with the session's user id on every request.
_SESSION_USER = CompiledById(User, lambda pk: _users().filter(pk=pk))


def signed_in_user(backend: django_backends.ModelBackend, user_id: Any) -> User | None:
    """Return the user of a session as ``ModelBackend.get_user`` does, their facts loaded."""
    found = _SESSION_USER.rows(User._meta.pk.get_prep_value(user_id))
    if not found:
        return None
    user = found[0]
    # As the database gives it (SQLite: 0 or 1), as the ORM would have converted it.
    user._tandem_has_mfa = bool(user._tandem_has_mfa)  # type: ignore[attr-defined]
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(django_backends.ModelBackend):
    """Django's backend (the admin's and the tests' sign-in), loading the user's facts."""

    def get_user(self, user_id: Any) -> User | None:
        return signed_in_user(self, user_id)


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    """allauth's backend (Tandem's sign-in), loading the user's facts."""

    def get_user(self, user_id: Any) -> User | None:
        return signed_in_user(self, user_id)
