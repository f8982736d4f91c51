"""Referral steps on the client's timeline (``tandem.core.timeline``).

Only the organisations at either end of a referral see its steps; they carry no
clinical content, so no consent gate applies.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet

from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query, Source
from tandem.referrals.models import ReferralEvent


def _step_rows(query: Query) -> QuerySet[ReferralEvent] | None:
    """The steps of the client's referrals from or to the viewer's organisation, as tuples.

    A step passes no consent gate and is accounted nowhere, so no model instance is made:
    the five values each item shows come as one tuple a row (no step, referral and
    practice built per row, nor their joins compiled for ``select_related``).
    """
    org_id = query.gate.viewer_org_id
    if org_id is None:
        return None
    return query.window(
        ReferralEvent.objects.filter(
            models.Q(referral__from_organisation_id=org_id)
            | models.Q(referral__to_organisation_id=org_id),
            referral__client=query.client,
        ).values_list(
            "pk", "at", "to_status", "referral__public_id", "referral__to_organisation__name"
        ),
        "at",
        Kind.REFERRAL,
    )


def _step_items(query: Query, rows: list[tuple[Any, ...]]) -> list[Item]:
    """Return each step's item: the step, its referral's practice, linked to the referral."""
    detail_url = per_id("referrals:detail")  # the kind's many rows: reversed once
    # ``get_to_status_display()``'s labels, looked up once
    statuses = dict(ReferralEvent._meta.get_field("to_status").flatchoices)
    return [
        Item(
            Kind.REFERRAL,
            at,
            f"Referral to {to_name}: {str(statuses.get(status, status)).lower()}",
            link=detail_url(public_id),
            pk=pk,
        )
        for pk, at, status, public_id, to_name in rows
    ]


#: Each step of the client's referrals from or to the viewer's organisation (read with
#: the other value sources in one statement: ``core.timeline.read_together``).
referral_steps = Source(Kind.REFERRAL, _step_rows, _step_items, at="at", pk="pk")
