"""Referral steps on the client's timeline (``tandem.core.timeline``).

Only the organisations at either end of a referral see its steps; they carry no
clinical content, so no consent gate applies.
"""

from __future__ import annotations

from django.db import models

from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query
from tandem.referrals.models import ReferralEvent


def referral_steps(query: Query) -> list[Item]:
    """Return each step of the client's referrals from or to the viewer's organisation."""
    org_id = query.gate.viewer_org_id
    if org_id is None:
        return []
    detail_url = per_id("referrals:detail")  # the kind's many rows: reversed once
    return [
        Item(
            Kind.REFERRAL,
            ev.at,
            f"Referral to {ev.referral.to_organisation.name}: {ev.get_to_status_display().lower()}",
            link=detail_url(ev.referral.public_id),
            pk=ev.pk,
        )
        for ev in query.window(
            ReferralEvent.objects.filter(
                models.Q(referral__from_organisation_id=org_id)
                | models.Q(referral__to_organisation_id=org_id),
                referral__client=query.client,
            )
            .select_related("referral__to_organisation")
            .only("at", "to_status", "referral__public_id", "referral__to_organisation__name"),
            "at",
            Kind.REFERRAL,
        )
    ]
