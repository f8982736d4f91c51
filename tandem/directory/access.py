"""The directory's doors: the client's own experience checks, and who may search.

An experience check is the client's alone: no care-team member, admin or practice may
read one (pages show only per-practice aggregates). The search and "my partners" are
for therapists with a second factor.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import Http404

from tandem.clients.access import own_record
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.directory.models import ExperienceCheck
from tandem.scheduling.models import Appointment, AppointmentStatus


@policy.rule(ExperienceCheck)
def experience_rule(
    user: Any, action: Action, qs: models.QuerySet[ExperienceCheck]
) -> models.QuerySet[ExperienceCheck]:
    """The client sees and answers their own checks; nobody else sees one."""
    client = own_record(user)
    if client is None or action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    return qs.filter(client=client)


def require_therapist(actor: Any) -> None:
    """Refuse (404) anyone who is not a therapist with a second factor."""
    if Role.THERAPIST not in policy.roles(actor) or not policy.has_mfa(actor):
        raise Http404("Not found.")


def own_visit(actor: Any, public_id: Any) -> Appointment:
    """Return the signed-in client's own completed visit; 404 for missing or anyone else's."""
    client = own_record(actor)
    if client is None:
        raise Http404("Not found.")
    return policy.get_or_404(
        actor,
        Action.VIEW,
        Appointment.objects.filter(client=client, status=AppointmentStatus.COMPLETED),
        public_id=public_id,
    )
