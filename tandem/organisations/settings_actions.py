"""Writes of the practice settings pages: what a practice admin sets for their own practice.

Each action checks that the actor manages the organisation, locks the row it
changes, refuses bad values with a ValidationError keyed by field, and writes
one audit row in the same transaction naming the fields that changed (names
only, never values).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation, validate_time_zone
from tandem.referrals.models import Payer, PracticePolicy
from tandem.scheduling.models import AppointmentType, SchedulingSettings, WeeklyHours

#: The fields each settings form may change.
POLICY_FIELDS = (
    "accepting_new",
    "min_age",
    "max_age",
    "visit_states",
    "payers",
    "medicare_opted_out",
    "plan_types",
    "services",
    "response_target_days",
    "urgent_response_hours",
    "access_target_weeks",
    "opens",
    "closes",
)
MEDICARE_OPT_OUT_CONFLICT = (
    "A practice that has opted out of Medicare cannot bill it: untick Medicare under coverage "
    "accepted, or untick the opt-out."
)
SCHEDULING_FIELDS = (
    "hold_minutes",
    "waitlist_hold_minutes",
    "confirmation_rule",
    "cancellation_hours",
    "reminder_hours",
    "min_notice_hours",
    "video_link",
)
TYPE_FIELDS = ("name", "code", "duration_minutes", "buffer_minutes", "is_new_client")
LOCALE_FIELDS = ("time_zone", "holiday_subdivision", "telehealth_states")


def _require_manager(actor: Any, organisation: Organisation) -> None:
    if not policy.allows(actor, Action.MANAGE, organisation):
        raise PermissionError("Only the practice's admins change its settings.")


def _apply(instance: Any, data: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Set ``fields`` of ``instance`` from ``data``; return the names of those that changed."""
    changed = []
    for name in fields:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    return changed


def _audit(
    actor: Any, organisation: Organisation, obj: Any, changed: list[str], **extra: Any
) -> None:
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=obj,
        organisation=organisation,
        detail={"changed": changed, **extra},
    )


@transaction.atomic
def update_referral_policy(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> list[str]:
    """Change the practice's referral intake policy; return the names of the changed fields."""
    _require_manager(actor, organisation)
    found, _ = PracticePolicy.objects.get_or_create(organisation=organisation)
    rules = PracticePolicy.objects.select_for_update().get(pk=found.pk)
    changed = _apply(rules, data, POLICY_FIELDS)
    errors: dict[str, list[str]] = {}
    if rules.min_age > rules.max_age:
        errors["max_age"] = ["The oldest age served must be at least the youngest."]
    if not 1 <= rules.response_target_days <= 5:
        errors["response_target_days"] = ["The response target is 1 to 5 business days."]
    if rules.opens >= rules.closes:
        errors["closes"] = ["Closing time must come after opening time."]
    if rules.medicare_opted_out and Payer.MEDICARE in rules.payers:
        errors["medicare_opted_out"] = [MEDICARE_OPT_OUT_CONFLICT]
    if errors:
        raise ValidationError(errors)
    if changed:
        rules.save(update_fields=changed)
        _audit(actor, organisation, rules, changed)
    return changed


@transaction.atomic
def update_scheduling_settings(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> list[str]:
    """Change the practice's booking rules (holds, confirmation, reminders, video link)."""
    _require_manager(actor, organisation)
    found, _ = SchedulingSettings.objects.get_or_create(
        organisation=organisation, defaults={"reminder_hours": [48, 2]}
    )
    rules = SchedulingSettings.objects.select_for_update().get(pk=found.pk)
    changed = _apply(rules, data, SCHEDULING_FIELDS)
    if changed:
        rules.save(update_fields=changed)
        _audit(actor, organisation, rules, changed)
    return changed


def _check_type(organisation: Organisation, kind: AppointmentType) -> None:
    errors: dict[str, list[str]] = {}
    if kind.duration_minutes < 15:
        errors["duration_minutes"] = ["A visit lasts at least 15 minutes."]
    clash = AppointmentType.objects.filter(organisation=organisation, code=kind.code)
    if kind.pk is not None:
        clash = clash.exclude(pk=kind.pk)
    if clash.exists():
        errors["code"] = ["Another appointment type of this practice already uses that code."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_appointment_type(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> AppointmentType:
    """Add a kind of visit the practice offers."""
    _require_manager(actor, organisation)
    kind = AppointmentType(organisation=organisation, **{k: data[k] for k in TYPE_FIELDS})
    _check_type(organisation, kind)
    kind.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=kind,
        organisation=organisation,
        detail={"changed": list(TYPE_FIELDS)},
    )
    return kind


@transaction.atomic
def change_appointment_type(
    *, actor: User, appointment_type: AppointmentType, data: dict[str, Any]
) -> list[str]:
    """Change a kind of visit; booked appointments keep their times."""
    kind = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
    organisation = Organisation.objects.get(pk=kind.organisation_id)
    _require_manager(actor, organisation)
    changed = _apply(kind, data, TYPE_FIELDS)
    _check_type(organisation, kind)
    if changed:
        kind.save(update_fields=changed)
        _audit(actor, organisation, kind, changed)
    return changed


@transaction.atomic
def set_appointment_type_active(
    *, actor: User, appointment_type: AppointmentType, active: bool
) -> bool:
    """Offer a kind of visit again, or stop offering it; return whether anything changed."""
    kind = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
    organisation = Organisation.objects.get(pk=kind.organisation_id)
    _require_manager(actor, organisation)
    if kind.is_active == active:
        return False
    kind.is_active = active
    kind.save(update_fields=["is_active"])
    _audit(actor, organisation, kind, ["is_active"])
    return True


def prescribers(organisation: Organisation) -> list[User]:
    """Return the practice's active prescribers, by name."""
    return list(
        User.objects.filter(
            memberships__organisation=organisation,
            memberships__role=Role.PRESCRIBER,
            memberships__is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


@transaction.atomic
def add_weekly_hours(
    *,
    actor: User,
    organisation: Organisation,
    prescriber: User,
    weekday: int,
    starts: dt.time,
    ends: dt.time,
) -> WeeklyHours:
    """Add a recurring block of a prescriber's hours; blocks of one weekday never overlap."""
    _require_manager(actor, organisation)
    if not Membership.objects.filter(
        organisation=organisation, user=prescriber, role=Role.PRESCRIBER, is_active=True
    ).exists():
        raise ValidationError({"prescriber": ["Choose a prescriber of this practice."]})
    if not 0 <= weekday <= 6:
        raise ValidationError({"weekday": ["Choose a day of the week."]})
    if starts >= ends:
        raise ValidationError({"ends": ["The block must end after it starts."]})
    # Lock the prescriber's blocks of the day so two admins cannot add overlapping ones at once.
    same_day = list(
        WeeklyHours.objects.select_for_update().filter(
            organisation=organisation, prescriber=prescriber, weekday=weekday
        )
    )
    overlapping = [b for b in same_day if b.starts < ends and starts < b.ends]
    if overlapping:
        other = overlapping[0]
        raise ValidationError(
            {
                "starts": [
                    f"This overlaps the block {other.starts:%H:%M}-{other.ends:%H:%M} on the same "
                    "day; change or remove that block first."
                ]
            }
        )
    block = WeeklyHours.objects.create(
        organisation=organisation, prescriber=prescriber, weekday=weekday, starts=starts, ends=ends
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=block,
        organisation=organisation,
        detail={"prescriber": str(prescriber.public_id), "changed": ["weekday", "starts", "ends"]},
    )
    return block


@transaction.atomic
def remove_weekly_hours(*, actor: User, block: WeeklyHours) -> None:
    """Remove a recurring block; booked appointments in it are kept."""
    locked = WeeklyHours.objects.select_for_update().select_related("prescriber").get(pk=block.pk)
    organisation = Organisation.objects.get(pk=locked.organisation_id)
    _require_manager(actor, organisation)
    record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=locked,
        organisation=organisation,
        detail={"prescriber": str(locked.prescriber.public_id)},
    )
    locked.delete()


@transaction.atomic
def set_treatment_exception(
    *, actor: User, organisation: Organisation, enabled: bool, confirmed: bool = False
) -> bool:
    """Turn the treatment exception (45 CFR 164.506) on or off; return whether it changed.

    Turning it on widens who may receive clinical information without a release,
    so it needs an explicit confirmation and is audited like granting a permission.
    """
    _require_manager(actor, organisation)
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
    _require_manager(actor, organisation)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changed = _apply(locked, data, LOCALE_FIELDS)
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
        _audit(actor, locked, locked, changed)
    return changed
