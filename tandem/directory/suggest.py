"""The directory search as the referral form's suggester of other practices.

Registered with ``tandem.referrals.suggestions`` when the app starts, so the referral
form (a lower layer) suggests practices through the same search therapists use.
"""

from __future__ import annotations

from django.utils import timezone

from tandem.directory import search, selectors
from tandem.organisations.models import Organisation
from tandem.referrals import eligibility

#: Every fact the referral form asks for before a referral starts.
REFERRAL_FACTS = frozenset({"age", "visit_state", "payer", "plan_type", "service"})


def suggest_practices(
    facts: eligibility.Facts,
    *,
    exclude_id: int | None = None,
    known: frozenset[str] = REFERRAL_FACTS,
) -> list[Organisation]:
    """Return the listed practices that fit ``facts``, fastest measured responders first."""
    now = timezone.now()
    found = search.fitting(selectors.candidates(now=now), facts, set(known), now=now)
    return [org for org in found if org.pk != exclude_id]
