"""Writes of the booking sections of the practice settings: rules, appointment types, hours.

Like every settings action: the actor must manage the practice, the rows are
locked, bad values are refused with a ValidationError keyed by field, and one
audit row names the fields that changed (never their values).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.roles import Role
from tandem.organisations.models import Membership, Organisation
from tandem.organisations.settings_actions import apply_fields, audit_change, require_manager
from tandem.scheduling.models import AppointmentType, SchedulingSettings, WeeklyHours

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

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


@transaction.atomic
def update_scheduling_settings(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> list[str]:
    """Change the practice's booking rules (holds, confirmation, reminders, video link)."""
    require_manager(actor, organisation)
    found, _ = SchedulingSettings.objects.get_or_create(
        organisation=organisation, defaults={"reminder_hours": [48, 2]}
    )
    rules = SchedulingSettings.objects.select_for_update().get(pk=found.pk)
    changed = apply_fields(rules, data, SCHEDULING_FIELDS)
    if changed:
        rules.save(update_fields=changed)
        audit_change(actor, organisation, rules, changed)
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
    require_manager(actor, organisation)
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
    require_manager(actor, organisation)
    changed = apply_fields(kind, data, TYPE_FIELDS)
    _check_type(organisation, kind)
    if changed:
        kind.save(update_fields=changed)
        audit_change(actor, organisation, kind, changed)
    return changed


@transaction.atomic
def set_appointment_type_active(
    *, actor: User, appointment_type: AppointmentType, active: bool
) -> bool:
    """Offer a kind of visit again, or stop offering it; return whether anything changed."""
    kind = AppointmentType.objects.select_for_update().get(pk=appointment_type.pk)
    organisation = Organisation.objects.get(pk=kind.organisation_id)
    require_manager(actor, organisation)
    if kind.is_active == active:
        return False
    kind.is_active = active
    kind.save(update_fields=["is_active"])
    audit_change(actor, organisation, kind, ["is_active"])
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
    require_manager(actor, organisation)
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
    require_manager(actor, organisation)
    record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=locked,
        organisation=organisation,
        detail={"prescriber": str(locked.prescriber.public_id)},
    )
    locked.delete()


@transaction.atomic
def set_week(
    *,
    actor: User,
    organisation: Organisation,
    prescriber: User,
    blocks: list[tuple[int, dt.time, dt.time]],
    shown: set[tuple[int, dt.time, dt.time]] | None = None,
) -> list[WeeklyHours]:
    """Replace a prescriber's weekly hours with ``blocks`` (weekday, starts, ends) in one go.

    The weekly grid's save: every block is checked first (order, overlaps on one day), and
    only then are the old blocks replaced, so a refused week changes nothing. Booked
    appointments are kept whatever the hours become. One audit row per block removed and added.

    ``shown`` is the set of blocks the grid showed when it was opened. When given, a block the
    prescriber has that is not in it (added since, or one an older grid could not show) is
    never deleted: the whole save is refused naming it, and nothing changes.
    """
    require_manager(actor, organisation)
    if not Membership.objects.filter(
        organisation=organisation, user=prescriber, role=Role.PRESCRIBER, is_active=True
    ).exists():
        raise ValidationError({"prescriber": ["Choose a prescriber of this practice."]})
    errors: dict[str, list[str]] = {}
    for weekday, starts, ends in blocks:
        if not 0 <= weekday <= 6:
            errors.setdefault("week", []).append("Choose a day of the week.")
        elif starts >= ends:
            errors.setdefault(f"day{weekday}", []).append(
                f"{DAY_NAMES[weekday]}: a block must end after it starts "
                f"({starts:%H:%M}-{ends:%H:%M})."
            )
    for weekday in {b[0] for b in blocks}:
        day = sorted((s, e) for w, s, e in blocks if w == weekday)
        for (_, first_end), (second_start, _) in itertools.pairwise(day):
            if second_start < first_end:
                errors.setdefault(f"day{weekday}", []).append(
                    f"{DAY_NAMES[weekday]}: the two blocks overlap; end the first before "
                    "the second starts."
                )
    if errors:
        raise ValidationError(errors)
    old = list(
        WeeklyHours.objects.select_for_update().filter(
            organisation=organisation, prescriber=prescriber
        )
    )
    if shown is not None:
        unseen = sorted(
            (b.weekday, b.starts, b.ends) for b in old if (b.weekday, b.starts, b.ends) not in shown
        )
        if unseen:
            named = ", ".join(f"{DAY_NAMES[w]} {s:%H:%M}-{e:%H:%M}" for w, s, e in unseen)
            raise ValidationError(
                {
                    "week": [
                        f"{prescriber.display_name} has hours this grid did not show ({named}); "
                        "saving would delete them, so nothing was saved. Open the weekly hours "
                        "again to see every block, then make your change."
                    ]
                }
            )
    for block in old:
        record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=block,
            organisation=organisation,
            detail={"prescriber": str(prescriber.public_id)},
        )
    WeeklyHours.objects.filter(pk__in=[b.pk for b in old]).delete()
    made = []
    for weekday, starts, ends in sorted(blocks):
        block = WeeklyHours.objects.create(
            organisation=organisation,
            prescriber=prescriber,
            weekday=weekday,
            starts=starts,
            ends=ends,
        )
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=block,
            organisation=organisation,
            detail={
                "prescriber": str(prescriber.public_id),
                "changed": ["weekday", "starts", "ends"],
            },
        )
        made.append(block)
    return made
