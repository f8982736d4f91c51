"""Writes of the directory: the practice's stated profile, the measured recompute, and the
client's experience check. Each atomic with its audit row.

The measured figures have one writer, ``recompute_metrics``: ``update_profile`` refuses
any of them (a practice cannot edit what Tandem measures).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import own_record
from tandem.core.policy import Forbidden
from tandem.directory import metrics, selectors, signals, slots
from tandem.directory.models import (
    PRESCRIBER_FIELD_MAX,
    DirectoryClock,
    ExperienceCheck,
    Language,
    PracticeMetrics,
    PracticeProfile,
    Specialty,
)
from tandem.organisations.models import Organisation
from tandem.organisations.settings_actions import apply_fields, audit_change, require_manager
from tandem.referrals.models import PracticePolicy
from tandem.scheduling.models import Appointment

#: What a practice's admin may state about the practice.
PROFILE_FIELDS = (
    "listed",
    "telehealth",
    "in_person",
    "specialties",
    "languages",
    "prescribers",
    "about",
    "how_to_refer",
)
#: What only Tandem writes (measured): refused from any practice edit.
MEASURED_FIELDS = frozenset({"computed_at", "period_start", "period_end", *metrics.FIGURE_FIELDS})
MEASURED_REFUSED = (
    "Measured figures are computed by Tandem from referrals, visits and messages; "
    "a practice cannot edit them."
)


@transaction.atomic
def update_profile(*, actor: User, organisation: Organisation, data: dict[str, Any]) -> list[str]:
    """Change what the practice states about itself; return the changed field names.

    Refuses (``Forbidden``) anyone who does not manage the practice and any attempt to
    set a measured figure; bad values raise a ValidationError keyed by field.
    """
    require_manager(actor, organisation)
    if MEASURED_FIELDS & set(data):
        raise Forbidden(MEASURED_REFUSED)
    errors: dict[str, list[str]] = {}
    for name in set(data) - set(PROFILE_FIELDS):
        errors[name] = [f"{name} is not part of the practice profile."]
    if bad := [c for c in data.get("specialties", []) if c not in Specialty.values]:
        errors["specialties"] = [f"Unknown specialty: {', '.join(bad)}."]
    if bad := [c for c in data.get("languages", []) if c not in Language.values]:
        errors["languages"] = [f"Unknown language: {', '.join(bad)}."]
    for row in data.get("prescribers", []):
        if not str(row.get("name", "")).strip():
            errors["prescribers"] = ["Each prescriber needs a name."]
        elif any(len(str(v)) > PRESCRIBER_FIELD_MAX for v in row.values()):
            errors["prescribers"] = [
                f"Prescriber details: at most {PRESCRIBER_FIELD_MAX} characters each."
            ]
    if (
        "telehealth" in data
        and "in_person" in data
        and not (data["telehealth"] or data["in_person"])
    ):
        errors["in_person"] = ["Choose telehealth, in person, or both."]
    if errors:
        raise ValidationError(errors)
    found, _ = PracticeProfile.objects.get_or_create(organisation=organisation)
    profile = PracticeProfile.objects.select_for_update().get(pk=found.pk)
    changed = apply_fields(profile, data, PROFILE_FIELDS)
    profile.full_clean()
    if changed:
        profile.save()
        audit_change(actor, organisation, profile, changed)
    return changed


def recompute_metrics(*, now: dt.datetime | None = None, plan_next: bool = False) -> int:
    """Recompute every practice's measured figures over the last period; return how many.

    Reads the facts in a fixed number of queries, computes them with the pure
    ``metrics.compute`` on each practice's business calendar, and writes one row per
    practice. With ``plan_next``, announces tomorrow night's run unless one is planned.
    """
    now = now or timezone.now()
    since = now - dt.timedelta(days=metrics.PERIOD_DAYS)
    policies = list(PracticePolicy.objects.select_related("organisation"))
    by_org = selectors.facts([p.organisation_id for p in policies], since=since, until=now)
    with transaction.atomic():
        existing = {
            m.organisation_id: m
            for m in PracticeMetrics.objects.select_for_update().filter(
                organisation_id__in=[p.organisation_id for p in policies]
            )
        }
        new: list[PracticeMetrics] = []
        changed: list[PracticeMetrics] = []
        for policy in policies:
            seen = by_org[policy.organisation_id]
            figures = metrics.compute(
                calendar=slots.calendar_of(policy.organisation, policy.opens, policy.closes),
                period_end=now,
                referrals=seen.referrals,
                messages=seen.messages,
                experiences=seen.experiences,
            )
            row = existing.get(policy.organisation_id) or PracticeMetrics(
                organisation_id=policy.organisation_id
            )
            row.computed_at = now
            row.period_start = figures.period_start
            row.period_end = figures.period_end
            for name in metrics.FIGURE_FIELDS:
                setattr(row, name, getattr(figures, name))
            (changed if row.pk else new).append(row)
        PracticeMetrics.objects.bulk_create(new)
        PracticeMetrics.objects.bulk_update(
            changed, ["computed_at", "period_start", "period_end", *metrics.FIGURE_FIELDS]
        )
        if plan_next:
            _plan_next_run(now)
    return len(policies)


def _plan_next_run(now: dt.datetime) -> None:
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    clock, _ = DirectoryClock.objects.get_or_create(pk=1)
    clock = DirectoryClock.objects.select_for_update().get(pk=1)
    if clock.next_run_on is None or clock.next_run_on < tomorrow:
        clock.next_run_on = tomorrow
        clock.save(update_fields=["next_run_on"])
        # Two in the morning, practice-network time: after the day's work is in.
        run_after = dt.datetime.combine(
            tomorrow, dt.time(2, 0), tzinfo=timezone.get_current_timezone()
        )
        signals.recompute_due.send(sender=PracticeMetrics, run_after=run_after)


@transaction.atomic
def record_experience(
    *,
    actor: User,
    visit: Appointment,
    felt_heard: bool | None,
    enough_time: bool | None,
) -> ExperienceCheck:
    """Keep the client's two optional answers about a visit (both None: they chose to skip).

    Refuses a visit that is not owed a check (not the client's, not completed, not the
    first or every few, or already answered).
    """
    client = own_record(actor)
    due = {d.appointment.pk: d for d in selectors.experience_checks_due(client)} if client else {}
    if client is None or visit.pk not in due:
        raise Forbidden("This visit has no experience check waiting.")
    check = ExperienceCheck.objects.create(
        organisation_id=visit.organisation_id,
        client=client,
        appointment=visit,
        visit_number=due[visit.pk].visit_number,
        felt_heard=felt_heard,
        enough_time=enough_time,
        answered_at=timezone.now(),
        answered_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=check,
        client=client,
        organisation=visit.organisation,
        detail={"answered": felt_heard is not None or enough_time is not None},
    )
    return check
