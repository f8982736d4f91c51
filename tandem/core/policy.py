"""The access policy: the one place that decides "may this user do this to this object".

Every view and every queryset that touches clinical data goes through
``scope()`` / ``get_or_404()`` here (usually via an app's ``access.py``).
The rules combine role (from memberships and client records), organisation,
care-team membership and MFA; the consent engine joins in for disclosures
between organisations. Anything not covered by a rule is denied.

Rules are registered per model with ``@rule(Model)``. A rule answers two
questions: which rows of a queryset the user may act on (``scope``), and
whether one object is allowed (``allows``) — the latter defaults to asking
``scope`` about that one row, so the two can never disagree.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import (
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.http import Http404

from tandem.core.compiled import CompiledById
from tandem.core.roles import Role

M = TypeVar("M", bound=models.Model)


class Forbidden(PermissionDenied):
    """The actor may not do this: raised by actions, answered like a missing object.

    Actions raise it when the policy refuses (no care-team seat, wrong role, no
    consent). ``ForbiddenAsNotFoundMiddleware`` turns it into the same 404 page a
    missing object gets, so a refusal never confirms that something exists, and
    views need not check again what the action checks. A view that wants to tell
    the actor why (a form error, a message) catches it like any other error.
    """


class Action(enum.StrEnum):
    VIEW = "view"
    CHANGE = "change"
    MANAGE = "manage"  # administer: members, settings, policy


ScopeFn = Callable[[Any, Action, models.QuerySet[Any]], models.QuerySet[Any]]

_RULES: dict[type[models.Model], ScopeFn] = {}


def rule(model: type[models.Model]) -> Callable[[ScopeFn], ScopeFn]:
    """Register ``fn(user, action, queryset) -> queryset`` as the access rule for ``model``."""

    def register(fn: ScopeFn) -> ScopeFn:
        _RULES[model] = fn
        return fn

    return register


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def has_mfa(user: Any) -> bool:
    """Return whether the user has a second factor enrolled (cached on the user object)."""
    if not is_signed_in(user):
        return False
    cached = getattr(user, "_tandem_has_mfa", None)
    if cached is None:
        # deferred: logging's configuration imports this module (through core.middleware)
        # before apps are ready, when no model may be imported yet
        from allauth.mfa.models import Authenticator

        cached = Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()
        user._tandem_has_mfa = cached
    return bool(cached)


def memberships_query(user: Any) -> models.QuerySet[Any]:
    """Return the ORM's query of the user's active memberships in active organisations."""
    return user.memberships.filter(is_active=True, organisation__is_active=True).select_related(
        "organisation"
    )


_COMPILED_MEMBERSHIPS: dict[Any, CompiledById[Any]] = {}


def _compiled_memberships(user_model: Any) -> CompiledById[Any]:
    """``memberships_query`` compiled to SQL once per process (``CompiledById``).

    The memberships model is the one behind the user's ``memberships`` relation: core
    imports no domain app.
    """
    found = _COMPILED_MEMBERSHIPS.get(user_model)
    if found is None:
        relation: Any = user_model._meta.get_field("memberships")
        found = _COMPILED_MEMBERSHIPS[user_model] = CompiledById(
            relation.related_model,
            lambda pk: memberships_query(user_model(pk=pk)),
            related="organisation",
        )
    return found


def active_memberships(user: Any) -> list[Any]:
    """Return the user's active memberships in active organisations (cached on the user).

    Each with its organisation, and the user themself as its ``user``, as
    ``memberships_query`` loads them; its SQL is compiled once per process.
    """
    if not is_signed_in(user):
        return []
    cached = getattr(user, "_tandem_memberships", None)
    if cached is None:
        cached = _compiled_memberships(user.__class__).rows(user.pk)
        # The user itself, not the request's lazy object around it, as the ORM's relation
        # would give each membership.
        person = user.memberships.instance
        of_user: Any = user.__class__._meta.get_field("memberships").field
        for membership in cached:
            of_user.set_cached_value(membership, person)
        user._tandem_memberships = cached
    return cached


def roles(user: Any) -> set[str]:
    """Return every role the user holds anywhere (``client`` when they have a client record)."""
    held = {m.role for m in active_memberships(user)}
    if is_signed_in(user) and _client_record_id(user) is not None:
        held.add(Role.CLIENT)
    return held


def is_staff_member(user: Any) -> bool:
    """Return whether the user works in any organisation (and so must use MFA)."""
    return bool(active_memberships(user))


def may_see_clinical_data(user: Any) -> bool:
    """Clinicians and staff see clinical data only once MFA is enrolled; clients see their own."""
    if not is_signed_in(user):
        return False
    if is_staff_member(user) or user.is_staff or user.is_superuser:
        return has_mfa(user)
    return True


ClientRecordFn = Callable[[Any], int | None]

_CLIENT_RECORD: list[ClientRecordFn] = []
_CLIENT_RECORD_COLUMN: list[Any] = []
#: Further facts loaded with the signed-in user (``register_user_column``), by attribute.
_USER_COLUMNS: dict[str, Any] = {}

#: The per-request caches on a user object: filled when first asked, or as the user is
#: loaded (``user_columns``); dropped by ``forget`` (with the registered columns).
CACHED_ON_USER = ("_tandem_has_mfa", "_tandem_memberships", "_tandem_client_id")


def register_client_record(fn: ClientRecordFn, *, column: Any = None) -> None:
    """Register ``fn(user) -> pk | None``: the primary key of the user's client record.

    The clients app registers it when it loads (core sits below every domain app and
    imports none of them); without it nobody holds the client role. ``column`` is the
    same as an expression over a user row (``OuterRef("pk")``), so the signed-in user
    can be loaded with it in one query (``user_columns``).
    """
    _CLIENT_RECORD[:] = [fn]
    _CLIENT_RECORD_COLUMN[:] = [column] if column is not None else []


def register_user_column(attribute: str, column: Any) -> None:
    """Register ``column``, an expression over a user row, to be loaded with the signed-in user.

    A domain app registers what the layout asks of every request (the open-alert banner:
    whether any alert may wait for the user), so it comes with the user's own query
    (``user_columns``) into ``attribute`` on the user object: read afresh with the user on
    every request, dropped by ``forget``. A user loaded any other way lacks the attribute.
    """
    _USER_COLUMNS[attribute] = column


def user_columns(has_mfa: Any) -> dict[str, Any]:
    """Return annotations that load, with a user row, what every request asks of the policy.

    ``has_mfa`` is the expression for "has a second factor" (the accounts app knows the
    factors' model; core imports none). Each annotation lands in its per-request cache
    on the loaded user, so ``has_mfa`` and the client role ask nothing more of the
    database in that request; ``forget`` still drops them after a change.
    """
    columns = {"_tandem_has_mfa": has_mfa}
    if _CLIENT_RECORD_COLUMN:
        columns["_tandem_client_id"] = _CLIENT_RECORD_COLUMN[0]
    columns.update(_USER_COLUMNS)
    return columns


def has_client_record(user: Any) -> bool:
    """Return whether ``user`` has a client record, asked afresh (not the per-request cache)."""
    return bool(_CLIENT_RECORD) and _CLIENT_RECORD[0](user) is not None


def _client_record_id(user: Any) -> int | None:
    cached = getattr(user, "_tandem_client_id", False)
    if cached is False:
        cached = _CLIENT_RECORD[0](user) if _CLIENT_RECORD else None
        user._tandem_client_id = cached
    return cached


def forget(user: Any) -> None:
    """Drop the per-request caches on ``user`` after its roles or factors change."""
    for attr in (*CACHED_ON_USER, *_USER_COLUMNS):
        if hasattr(user, attr):
            delattr(user, attr)


class RecordSection(enum.StrEnum):
    """The kinds of part a shared record (such as a referral) shows, for minimum necessary."""

    ELIGIBILITY = "eligibility"  # payer, plan, state, service
    CONTACT = "contact"  # who to call and how
    URGENCY = "urgency"  # urgent or not, and when a response is due
    SCHEDULING = "scheduling"  # assigned prescriber, appointment
    CLINICAL = "clinical"  # everything a release's categories cover


_FACTS = frozenset(
    {
        RecordSection.ELIGIBILITY,
        RecordSection.CONTACT,
        RecordSection.URGENCY,
        RecordSection.SCHEDULING,
    }
)


def _sections_by_role() -> dict[str, frozenset[RecordSection]]:
    return {
        Role.COORDINATOR: _FACTS,
        Role.PRACTICE_ADMIN: _FACTS,
        Role.PRESCRIBER: _FACTS | {RecordSection.CLINICAL},
        Role.THERAPIST: _FACTS | {RecordSection.CLINICAL},
    }


_WITHHELD_FROM = {
    "coordinator": "front-desk staff",
    "practice_admin": "practice admins",
}


def sections_for(user: Any, organisation_id: int) -> frozenset[RecordSection]:
    """Return the parts of a record ``user`` needs for their work in ``organisation_id``.

    Minimum necessary (45 CFR 164.502(b)): a coordinator or practice admin needs
    eligibility, contact, urgency and scheduling facts; clinicians also the clinical
    sections. Only the user's roles in that organisation count.
    """
    by_role = _sections_by_role()
    sections: frozenset[RecordSection] = frozenset()
    for membership in active_memberships(user):
        if membership.organisation_id == organisation_id:
            sections |= by_role.get(membership.role, frozenset())
    return sections


def withheld_reason(user: Any, organisation_id: int, section: RecordSection) -> str:
    """Return why ``section`` is not shown to ``user`` working in ``organisation_id``; "" if it is."""
    if section in sections_for(user, organisation_id):
        return ""
    held = {m.role for m in active_memberships(user) if m.organisation_id == organisation_id}
    who = " and ".join(sorted(_WITHHELD_FROM[r] for r in held if r in _WITHHELD_FROM))
    return f"Not shown to {who or 'your role'}: minimum necessary (45 CFR 164.502(b))."


def scope[M: models.Model](
    user: Any, action: Action, queryset: models.QuerySet[M]
) -> models.QuerySet[M]:
    """Return the rows of ``queryset`` that ``user`` may ``action``; none when no rule exists."""
    fn = _RULES.get(queryset.model)
    if fn is None or not is_signed_in(user):
        return queryset.none()
    return fn(user, action, queryset)


def allows(user: Any, action: Action, obj: models.Model) -> bool:
    """Return whether ``user`` may ``action`` this one object."""
    manager = type(obj)._default_manager
    return scope(user, action, manager.all()).filter(pk=obj.pk).exists()


def get_or_404[M: models.Model](
    user: Any, action: Action, queryset: models.QuerySet[M], **lookup: Any
) -> M:
    """Return the one object matching ``lookup`` that the user may act on, else raise Http404.

    Missing and forbidden look the same, so a 404 never hints that something exists.
    """
    try:
        return scope(user, action, queryset).get(**lookup)
    except (ObjectDoesNotExist, MultipleObjectsReturned, ValueError, ValidationError):
        raise Http404("Not found.") from None


def registered_models() -> list[type[models.Model]]:
    """Return the models that have an access rule (for the policy tests)."""
    return list(_RULES)
