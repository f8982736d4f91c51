"""Writes of the visit plan: the planned rhythm of visits, and the warning when one is unbooked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.care.sharing import require_seat, team
from tandem.care.visits import signals
from tandem.care.visits.models import VisitPlan
from tandem.care.visits.selectors import follow_up_booked
from tandem.clients.models import Client
from tandem.core.roles import Role
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind


@transaction.atomic
def set_visit_plan(
    *,
    actor: User,
    client: Client,
    psychiatry_every_weeks: int,
    therapy_every_weeks: int,
    next_psychiatry_due: dt.date,
) -> VisitPlan:
    """Set the planned visit rhythm; the coordinator hears when a due follow-up is not booked."""
    member = require_seat(
        actor, client, (Role.PRESCRIBER, Role.COORDINATOR), "Only the practice plans visits."
    )
    errors: dict[str, list[str]] = {}
    if not 1 <= psychiatry_every_weeks <= 26:
        errors["psychiatry_every_weeks"] = ["Plan psychiatric visits every 1 to 26 weeks."]
    if not 1 <= therapy_every_weeks <= 8:
        errors["therapy_every_weeks"] = ["Plan therapy every 1 to 8 weeks."]
    if next_psychiatry_due < timezone.localdate():
        errors["next_psychiatry_due"] = ["The next visit cannot be due in the past."]
    if errors:
        raise ValidationError(errors)
    plan, created = VisitPlan.objects.select_for_update().get_or_create(
        client=client,
        defaults={
            "organisation": member.organisation,
            "set_by": actor,
            "psychiatry_every_weeks": psychiatry_every_weeks,
            "therapy_every_weeks": therapy_every_weeks,
            "next_psychiatry_due": next_psychiatry_due,
        },
    )
    if not created:
        plan.psychiatry_every_weeks = psychiatry_every_weeks
        plan.therapy_every_weeks = therapy_every_weeks
        plan.next_psychiatry_due = next_psychiatry_due
        plan.set_by = actor
        plan.version += 1
        plan.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=plan,
        object_id=str(client.public_id),
        client=client,
        organisation=member.organisation,
        detail={"psychiatry_every_weeks": psychiatry_every_weeks},
    )
    # Remind a week before the follow-up is due, when nothing is booked by then.
    remind_on = max(next_psychiatry_due - dt.timedelta(days=7), timezone.localdate())
    signals.visit_plan_set.send(
        sender=VisitPlan,
        plan_id=plan.pk,
        version=plan.version,
        run_after=dt.datetime.combine(remind_on, dt.time(9), tzinfo=member.organisation.zone),
    )
    return plan


def warn_unbooked_visit(plan_id: int, version: int) -> None:
    """Tell the coordinators when the planned follow-up visit is due and nothing is booked."""
    with transaction.atomic():
        plan = VisitPlan.objects.select_related("client").filter(pk=plan_id).first()
        if plan is None or plan.version != version:
            return
        if follow_up_booked(plan):
            return
        coordinators = [
            m.user
            for m in team(plan.client, (Role.COORDINATOR,))
            if m.organisation_id == plan.organisation_id
        ]
        notify(
            coordinators,
            NotificationKind.VISIT_DUE,
            reverse("care:visits", kwargs={"client_id": plan.client.public_id}),
            dedupe_key=f"visit-due:{plan.pk}:{plan.next_psychiatry_due:%Y%m%d}",
            about=plan.client_id,
        )
