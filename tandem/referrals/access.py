"""The one door to referrals: the referring therapist on one side, the receiving practice on the other."""

from typing import Any

from django.db import models
from django.db.models import Q

from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy
from tandem.core.policy import Action
from tandem.core.roles import Role
from tandem.referrals import states
from tandem.referrals.models import Referral, ReferralStatus

PRACTICE_ROLES = frozenset({Role.COORDINATOR, Role.PRESCRIBER, Role.PRACTICE_ADMIN})


def practice_org_ids(user: Any) -> list[int]:
    """Return the psychiatric practices where the user works the referral inbox."""
    return [m.organisation_id for m in policy.active_memberships(user) if m.role in PRACTICE_ROLES]


def therapy_org_ids(user: Any) -> list[int]:
    return [m.organisation_id for m in policy.active_memberships(user) if m.role == Role.THERAPIST]


@policy.rule(Referral)
def referral_rule(
    user: Any, action: Action, qs: models.QuerySet[Referral]
) -> models.QuerySet[Referral]:
    """The referring therapist (in their practice) and the receiving practice's staff, with MFA.

    The receiving practice never sees drafts.
    """
    if not policy.may_see_clinical_data(user) or action not in (Action.VIEW, Action.CHANGE):
        return qs.none()
    mine = Q(therapist=user, from_organisation_id__in=therapy_org_ids(user))
    incoming = Q(to_organisation_id__in=practice_org_ids(user)) & ~Q(status=ReferralStatus.DRAFT)
    return qs.filter(mine | incoming)


def side_of(user: Any, referral: Referral) -> str:
    """Return which side of the referral the user is on (``therapist`` or ``practice``)."""
    if referral.therapist_id == user.pk and referral.from_organisation_id in therapy_org_ids(user):
        return states.THERAPIST
    if referral.to_organisation_id in practice_org_ids(user):
        return states.PRACTICE
    return ""


def referral_for(actor: Any, public_id: Any, action: Action = Action.VIEW) -> Referral:
    """Return the referral the actor may ``action``, recording the read; 404 otherwise."""
    referral = policy.get_or_404(
        actor,
        action,
        # The referral page names the assigned prescriber and a declining practice's
        # suggestion: joined here (both may be empty) rather than read by the template.
        Referral.objects.select_related(
            "client",
            "therapist",
            "from_organisation",
            "to_organisation",
            "assigned_prescriber",
            "redirect_to",
        ),
        public_id=public_id,
    )
    if action == Action.VIEW:
        record(
            actor=actor,
            action=AuditAction.VIEW,
            obj=referral,
            client=referral.client,
            organisation=referral.to_organisation,
            actor_role=side_of(actor, referral),
        )
    return referral
