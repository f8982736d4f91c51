"""Safety alerts on the client's timeline: their existence always, their details as consent allows."""

from __future__ import annotations

from tandem.care.crisis.models import SafetyAlert
from tandem.care.crisis.selectors import alert_timeline_item, orgs_sharing_crisis_details
from tandem.consent.timeline import Gate
from tandem.core.links import per_id
from tandem.core.timeline import Item, Kind, Query, by_fields


def safety_alerts(query: Query) -> list[Item]:
    """Return every alert of the client, its details gated for the viewer."""
    alerts = list(
        query.window(
            SafetyAlert.objects.filter(client=query.client)
            .select_related("raised_by", "organisation")
            .only(
                "public_id",
                "reference",
                "level",
                "status",
                "summary",
                "steps",
                "raised_at",
                *by_fields("raised_by", "organisation"),
            ),
            "raised_at",
            Kind.SAFETY,
        )
    )
    open_orgs = orgs_sharing_crisis_details(alerts)
    gate = query.gate
    assert isinstance(gate, Gate)  # the alert's serious-threat showing needs the real gate
    alert_url = per_id("care:alert")  # the kind's many rows: reversed once
    return [alert_timeline_item(alert, gate, open_orgs, alert_url) for alert in alerts]
