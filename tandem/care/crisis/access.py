"""Who reaches safety alerts and safety plans.

An alert: the client's care team, and the paged practice's prescribers and
admins (the on-call rota). Which of them read its *details* is decided in
``selectors`` (``on_call_reader``, consent). The safety plan: the care team, and
the client themself.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from tandem.care.access import item_for
from tandem.care.crisis.models import SafetyAlert, SafetyPlan
from tandem.clients.access import CLINICIAN_ROLES, on_care_team, register_team_rule
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role

#: Roles of the paged practice that the rota and escalations reach.
ON_CALL_ROLES = (Role.PRESCRIBER, Role.PRACTICE_ADMIN)


@policy.rule(SafetyAlert)
def alert_rule(user: Any, action: Action, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """The care team, and the paged practice's prescribers and admins (the on-call rota)."""
    if not policy.may_see_clinical_data(user) or action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    on_call_orgs = [
        m.organisation_id for m in policy.active_memberships(user) if m.role in ON_CALL_ROLES
    ]
    roles = CLINICIAN_ROLES if action == Action.CHANGE else None
    return qs.filter(
        models.Q(on_care_team(user, "client", roles))
        | models.Q(paged_organisation_id__in=on_call_orgs)
    )


register_team_rule(SafetyPlan, client_may_view=True)


def alert_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> SafetyAlert:
    return item_for(actor, SafetyAlert, public_id, action)
