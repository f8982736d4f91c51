"""Writes of the referral policy section of the practice settings: the practice's intake rules.

Like every settings action: the actor must manage the practice, the row is
locked, bad values are refused with a ValidationError keyed by field, and one
audit row names the fields that changed (never their values).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.organisations.models import Organisation
from tandem.organisations.settings_actions import apply_fields, audit_change, require_manager
from tandem.referrals.models import Payer, PracticePolicy

#: The fields each settings form may change.
POLICY_FIELDS = (
    "accepting_new",
    "min_age",
    "max_age",
    "visit_states",
    "payers",
    "medicare_opted_out",
    "plan_types",
    "services",
    "response_target_days",
    "urgent_response_hours",
    "access_target_weeks",
    "opens",
    "closes",
)


MEDICARE_OPT_OUT_CONFLICT = (
    "A practice that has opted out of Medicare cannot bill it: untick Medicare under coverage "
    "accepted, or untick the opt-out."
)


@transaction.atomic
def update_referral_policy(
    *, actor: User, organisation: Organisation, data: dict[str, Any]
) -> list[str]:
    """Change the practice's referral intake policy; return the names of the changed fields."""
    require_manager(actor, organisation)
    found, _ = PracticePolicy.objects.get_or_create(organisation=organisation)
    rules = PracticePolicy.objects.select_for_update().get(pk=found.pk)
    changed = apply_fields(rules, data, POLICY_FIELDS)
    errors: dict[str, list[str]] = {}
    if rules.min_age > rules.max_age:
        errors["max_age"] = ["The oldest age served must be at least the youngest."]
    if not 1 <= rules.response_target_days <= 5:
        errors["response_target_days"] = ["The response target is 1 to 5 business days."]
    if rules.opens >= rules.closes:
        errors["closes"] = ["Closing time must come after opening time."]
    if rules.medicare_opted_out and Payer.MEDICARE in rules.payers:
        errors["medicare_opted_out"] = [MEDICARE_OPT_OUT_CONFLICT]
    if errors:
        raise ValidationError(errors)
    if changed:
        rules.save(update_fields=changed)
        audit_change(actor, organisation, rules, changed)
    return changed
