"""Reads of the visit plan: the plan, and whether the next follow-up is booked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tandem.care.visits.models import VisitPlan
from tandem.clients.models import Client
from tandem.scheduling.models import ACTIVE_STATUSES, Appointment


@dataclass
class VisitPlanView:
    plan: VisitPlan | None
    booked: bool  # whether a visit is booked by the time the follow-up is due

    @property
    def overdue(self) -> bool:
        return (
            self.plan is not None
            and not self.booked
            and self.plan.next_psychiatry_due < timezone.localdate()
        )


def visit_plan(client: Client) -> VisitPlanView:
    """Return the client's visit plan and whether the next follow-up is booked."""
    plan = VisitPlan.objects.filter(client=client).select_related("organisation", "set_by").first()
    return VisitPlanView(plan, follow_up_booked(plan) if plan is not None else False)


def follow_up_booked(plan: VisitPlan) -> bool:
    """Return whether a visit with the practice is booked on or before the planned due date."""
    window_start = timezone.now()
    due_end = dt.datetime.combine(
        plan.next_psychiatry_due + dt.timedelta(days=1), dt.time(0), tzinfo=plan.organisation.zone
    )
    return Appointment.objects.filter(
        client=plan.client,
        organisation_id=plan.organisation_id,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=window_start,
        starts_at__lt=due_end + dt.timedelta(days=14),
    ).exists()
