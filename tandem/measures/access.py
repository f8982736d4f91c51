"""The one door to measurement records: the client's active care team (with MFA), and the client.

These rules decide who is on the team. Whether a response collected by another
organisation may be *shown* is the consent engine's decision, taken in
``selectors`` (category "questionnaire results"), exactly as on the care timeline.
"""

from __future__ import annotations

from typing import Any

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.access import register_team_rule, seat
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.measures.models import (
    CaseReview,
    MeasureSchedule,
    QuestionnaireResponse,
    SymptomEntry,
    SymptomTracker,
)

#: Everyone on a care team may enter answers a client gave on paper or aloud.
ENTRY_ROLES = (Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR)

# The one care-team rule (``clients.access``): the team views; its clinicians
# (``CLINICIAN_ROLES``) change; the client views their own, except case reviews.
register_team_rule(QuestionnaireResponse, "client", client_may_view=True)
register_team_rule(SymptomTracker, "client", client_may_view=True)
register_team_rule(SymptomEntry, "tracker__client", client_may_view=True)
register_team_rule(MeasureSchedule, "client", client_may_view=True)
register_team_rule(CaseReview, "client", client_may_view=False)


def response_for(actor: Any, public_id: Any) -> QuestionnaireResponse:
    """Return a response the actor may see (team or the client), recording the read; 404 otherwise."""
    response = policy.get_or_404(
        actor,
        Action.VIEW,
        QuestionnaireResponse.objects.select_related("client", "organisation", "entered_by"),
        public_id=public_id,
    )
    member = seat(actor, response.client)
    record(
        actor=actor,
        action=AuditAction.VIEW,
        obj=response,
        client=response.client,
        organisation=member.organisation if member else None,
        actor_role=member.role if member else Role.CLIENT,
    )
    return response


def tracker_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> SymptomTracker:
    """Return a tracker the actor may ``action``; 404 for missing or forbidden."""
    return policy.get_or_404(
        actor, action, SymptomTracker.objects.select_related("client"), public_id=public_id
    )
