"""Audit rows for authentication events.

Django and allauth announce these only through signals (and allauth's second
factors are written by allauth's code, so their model signals), so this is the
one place Tandem listens to signals; everything it does is append an audit row,
note in the session that a factor enrolled in it was proved (MFARequiredMiddleware),
and start a new session's idle clock (IdleSessionMiddleware).
"""

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import password_changed, password_reset, user_signed_up
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_reset
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tandem.accounts.middleware import restart_idle_clock
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        restart_idle_clock(request.session)  # saved with the login's own session write
    record(actor=user, action=AuditAction.LOGIN, obj=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(actor=user, action=AuditAction.LOGOUT, obj=user)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The typed email is not stored (it may be anyone's); the account, if one matches, is.
    email = str(credentials.get("email") or credentials.get("username") or "")
    user = get_user_model().objects.filter(email__iexact=email).first() if email else None
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        object_id=str(user.public_id) if user else "",
    )


@receiver(user_signed_up)
def _signed_up(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, action=AuditAction.SIGNUP, obj=user)


@receiver(password_changed)
def _password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, action=AuditAction.PASSWORD_CHANGED, obj=user)


@receiver(password_reset)
def _password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, action=AuditAction.PASSWORD_RESET, obj=user)


# A factor's audit row is written by the database change itself (the model's
# save and delete), not by allauth's announcements, which come only after the
# transaction commits: so the factor and its row are saved, or undone, together.
# tandem.accounts.middleware.AtomicAccountChangesMiddleware wraps the account
# pages' POSTs in one transaction for that.
@receiver(post_save, sender=Authenticator)
def _mfa_added(sender: Any, instance: Authenticator, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    record(
        actor=instance.user,
        action=AuditAction.MFA_ADDED,
        obj=instance.user,
        detail={"type": instance.type},
    )
    policy.forget(instance.user)  # after the row: working out its role fills the caches
    _factor_proved_by_enrolling(instance)


def _factor_proved_by_enrolling(authenticator: Authenticator) -> None:
    """Count enrolling a factor as passing it in the session that enrolled it.

    Enrolling takes a correct code from the new app (or the key's own ceremony) after
    a password sign-in in the same session: the same two proofs the sign-in's MFA
    step asks for. Recorded the way allauth records that step, so the staff member who
    just enrolled is not signed out by MFARequiredMiddleware on the next page. Written
    now, not when allauth announces the factor after commit, so the session saved with
    this response carries it.
    """
    request = context.request
    if authenticator.type not in (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN):
        return
    if request is None or getattr(request, "user", None) != authenticator.user:
        return
    record_authentication(
        request,
        authenticator.user,
        "mfa",
        id=authenticator.pk,
        type=authenticator.type,
        enrolled=True,
    )


@receiver(post_delete, sender=Authenticator)
def _mfa_removed(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    record(
        actor=instance.user,
        action=AuditAction.MFA_REMOVED,
        obj=instance.user,
        detail={"type": instance.type},
    )
    policy.forget(instance.user)


@receiver(authenticator_reset)
def _mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    record(
        actor=user,
        action=AuditAction.MFA_ADDED,
        obj=user,
        detail={"type": authenticator.type, "reset": True},
    )


@receiver(authentication_failed)
def _mfa_failed(
    sender: Any, request: Any, user: Any, authenticator: Any, reauthentication: bool, **kwargs: Any
) -> None:
    # A wrong one-time code after a correct password is a failed sign-in too.
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        obj=user,
        detail={"stage": "reauthentication" if reauthentication else "mfa"},
    )
