"""Writes of the practice settings pages that change the practice itself, and their shared steps.

Each action checks that the actor manages the organisation, locks the row it
changes, refuses bad values with a ValidationError keyed by field, and writes
one audit row in the same transaction naming the fields that changed (names
only, never values). The sections other apps own (referrals' intake policy,
scheduling's booking rules and hours) have their own ``settings_actions``,
built from ``require_manager``, ``apply_fields`` and ``audit_change`` here.
"""

from __future__ import annotations

from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.organisations.models import Organisation, validate_time_zone

LOCALE_FIELDS = ("time_zone", "holiday_subdivision", "telehealth_states")


def require_manager(actor: Any, organisation: Organisation) -> None:
    """Refuse (``Forbidden``) anyone who does not manage ``organisation``."""
    if not policy.allows(actor, Action.MANAGE, organisation):
        raise Forbidden("Only the practice's admins change its settings.")


def apply_fields(instance: Any, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Set ``fields`` of ``instance`` from ``data``; return the names of those that changed."""
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    return changed


def audit_change(
    actor: Any, organisation: Organisation, obj: Any, changed: list[str], **extra: Any
) -> None:
    """Record one update of ``obj`` that names the ``changed`` fields (never their values)."""
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=obj,
        organisation=organisation,
        detail={"changed": changed, **extra},
    )


@transaction.atomic
def set_treatment_exception(
    *, actor: User, organisation: Organisation, enabled: bool, confirmed: bool = False
) -> bool:
    """Turn the treatment exception (45 CFR 164.506) on or off; return whether it changed.

    Turning it on widens who may receive clinical information without a release,
    so it needs an explicit confirmation and is audited like granting a permission.
    """
    require_manager(actor, organisation)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.treatment_disclosures_without_release == enabled:
        return False
    if enabled and not confirmed:
        raise ValidationError(
            {
                "confirm": [
                    "Tick the box to confirm that your privacy policy relies on the treatment "
                    "exception."
                ]
            }
        )
    locked.treatment_disclosures_without_release = enabled
    locked.save(update_fields=["treatment_disclosures_without_release"])
    organisation.treatment_disclosures_without_release = enabled
    record(
        actor=actor,
        action=AuditAction.PERMISSION_GRANTED if enabled else AuditAction.PERMISSION_REVOKED,
        obj=locked,
        organisation=locked,
        detail={"setting": "treatment_disclosures_without_release", "enabled": enabled},
    )
    return True


def validate_holiday_subdivision(value: str) -> None:
    """Accept a US state whose holidays the holidays package knows (or blank: federal only)."""
    if value and value not in holidays.country_holidays("US").subdivisions:
        raise ValidationError(
            "%(value)s is not a US state or territory with a holiday calendar; use a two-letter "
            "code such as MA.",
            params={"value": value},
        )


@transaction.atomic
def update_locale(*, actor: User, organisation: Organisation, data: dict[str, Any]) -> list[str]:
    """Change the practice's time zone, holiday calendar and telehealth states."""
    require_manager(actor, organisation)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = apply_fields(locked, data, LOCALE_FIELDS)
    errors: dict[str, list[str]] = {}
    try:
        validate_time_zone(locked.time_zone)
    except ValidationError as error:
        errors["time_zone"] = error.messages
    try:
        validate_holiday_subdivision(locked.holiday_subdivision)
    except ValidationError as error:
        errors["holiday_subdivision"] = error.messages
    try:
        locked.clean()
    except ValidationError as error:
        errors["telehealth_states"] = error.messages
    if errors:
        raise ValidationError(errors)
    if changed:
        locked.save(update_fields=changed)
        for name in changed:
            setattr(organisation, name, getattr(locked, name))
        audit_change(actor, locked, locked, changed)
    return changed
