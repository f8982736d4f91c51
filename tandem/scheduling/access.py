"""The one door to appointments."""

from typing import Any

from django.db import models
from django.db.models import Q

from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.scheduling.models import Appointment, BookingInvitation

_PRACTICE_ROLES = (Role.COORDINATOR, Role.PRESCRIBER, Role.PRACTICE_ADMIN)


@policy.rule(Appointment)
def appointment_rule(
    user: Any, action: Action, qs: models.QuerySet[Appointment]
) -> models.QuerySet[Appointment]:
    """The client (or whoever is booking for themselves) and the practice's staff with MFA."""
    if not policy.is_signed_in(user) or action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    own = Q(client__user=user) | Q(client__isnull=True, booked_by=user)
    if not policy.may_see_clinical_data(user):
        return qs.none()
    staff_orgs = [
        m.organisation_id for m in policy.active_memberships(user) if m.role in _PRACTICE_ROLES
    ]
    return qs.filter(own | Q(organisation_id__in=staff_orgs))


@policy.rule(BookingInvitation)
def invitation_rule(
    user: Any, action: Action, qs: models.QuerySet[BookingInvitation]
) -> models.QuerySet[BookingInvitation]:
    """The invited client reads their own; the practice's staff with MFA read and change theirs."""
    if not policy.is_signed_in(user) or action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    own = Q(client__user=user) if action == Action.VIEW else Q(pk__in=[])
    if not policy.may_see_clinical_data(user):
        return qs.filter(own)
    staff_orgs = [
        m.organisation_id for m in policy.active_memberships(user) if m.role in _PRACTICE_ROLES
    ]
    return qs.filter(own | Q(organisation_id__in=staff_orgs))


def appointment_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Appointment:
    """Return the appointment the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor,
        action,
        Appointment.objects.select_related(
            "organisation", "prescriber", "appointment_type", "client"
        ),
        public_id=public_id,
    )
