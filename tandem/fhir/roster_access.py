"""The one door to roster imports: the practice's admins (with a second factor) only."""

from __future__ import annotations

from typing import Any

from django.db import models

from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.fhir.models import RosterImport
from tandem.organisations.models import Organisation


@policy.rule(RosterImport)
def roster_import_rule(
    user: Any, action: Action, qs: models.QuerySet[RosterImport]
) -> models.QuerySet[RosterImport]:
    """A practice's admins with MFA see and start its imports; nobody else, not even colleagues."""
    if action not in (Action.VIEW, Action.MANAGE) or not policy.has_mfa(user):
        return qs.none()
    admin_of = [
        m.organisation_id for m in policy.active_memberships(user) if m.role == Role.PRACTICE_ADMIN
    ]
    return qs.filter(organisation_id__in=admin_of)


def roster_import_for(actor: Any, organisation: Organisation, public_id: Any) -> RosterImport:
    """Return the practice's import the actor may see; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor,
        Action.VIEW,
        RosterImport.objects.filter(organisation=organisation),
        public_id=public_id,
    )
