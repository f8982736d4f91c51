"""Progress check-ins on the client's timeline."""

from __future__ import annotations

from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.care.checkins.models import CHECKIN_FIELDS, CheckInStatus, ProgressCheckIn
from tandem.consent.categories import Category
from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query, by_fields, by_line

#: A check-in's time on the timeline: when it was answered, or (not yet) requested.
#: ``ProgressCheckIn``'s ``care_checkin_timeline_idx`` is on the same expression.
CHECKIN_AT = Coalesce("answered_at", "requested_at")


def progress_checkins(query: Query) -> list[Item]:
    """Return the check-ins (or the one ``query.only`` names), requested or answered."""
    gate = query.gate
    items: list[Item] = []
    checkins = ProgressCheckIn.objects.filter(client=query.client)
    if Kind.CHECKIN in query.only:
        checkins = checkins.filter(reference=query.only[Kind.CHECKIN])
    checkin_url = per_id("care:checkin")  # the kind's many rows: reversed once
    checkins = checkins.select_related("therapist", "organisation").only(
        "public_id",
        "reference",
        "status",
        "unsolicited",
        "answer_by",
        *CHECKIN_FIELDS,
        *by_fields("therapist", "organisation"),
    )
    for c in query.window(checkins, CHECKIN_AT, Kind.CHECKIN):
        if c.status == CheckInStatus.REQUESTED:
            items.append(
                Item(
                    Kind.CHECKIN,
                    c.timeline_at or timezone.now(),
                    "Progress check-in requested",
                    c.reference,
                    lines=[
                        (
                            "Answer by",
                            timezone.localtime(c.answer_by).strftime("%b %d, %Y")
                            if c.answer_by
                            else "",
                        )
                    ],
                    link=checkin_url(c.public_id),
                    pk=c.pk,
                )
            )
            continue
        decision = gate(
            Category.PROGRESS_UPDATES,
            c.organisation_id,
            c.therapist_id,
            obj=c,
            description=f"Progress update {c.reference}",
        )
        items.append(
            Item(
                Kind.CHECKIN,
                c.timeline_at or timezone.now(),
                "Progress update" + (" (unsolicited)" if c.unsolicited else ""),
                c.reference,
                by_line(c.therapist, c.organisation),
                decision,
                [
                    ("Change since last time", c.get_change_display()),
                    ("Functioning", c.functioning),
                    ("Engagement in therapy", c.get_engagement_display()),
                    ("Adherence and side effects", c.adherence_side_effects),
                    ("Concerns", c.concerns),
                    ("Notes", c.free_text),
                ],
                checkin_url(c.public_id),
                pk=c.pk,
            )
        )
    return items
