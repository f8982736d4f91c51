"""Reads of progress check-ins: when one is asked, of whom, and one as the viewer may see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tandem.care.checkins.models import CheckInCadence, ProgressCheckIn
from tandem.care.checkins.timeline import progress_checkins
from tandem.care.sharing import team
from tandem.clients.access import seat
from tandem.clients.models import CareTeamMember, Client
from tandem.consent.timeline import Gate
from tandem.core.roles import Role
from tandem.core.timeline import Item, Kind, Query


def checkin_at(cadence: CheckInCadence, day: dt.date) -> dt.datetime:
    """Return the moment a check-in due on ``day`` is asked: 9 a.m. in the practice's zone."""
    zone = cadence.organisation.zone
    return dt.datetime.combine(day, dt.time(9), tzinfo=zone)


def primary_therapists(client: Client) -> list[CareTeamMember]:
    """Return the client's primary therapists, else the first therapist of the care team."""
    therapists = team(client, (Role.THERAPIST,))
    primary = [m for m in therapists if m.is_primary_therapist]
    return primary or therapists[:1]


def checkin_item(viewer: Any, checkin: ProgressCheckIn) -> Item | None:
    """Return the check-in as its timeline line for the viewer (accounted as shown once allowed)."""
    member = seat(viewer, checkin.client)
    gate = Gate(viewer, checkin.client, member.organisation_id if member else None)
    items = progress_checkins(
        Query(
            checkin.client,
            gate,
            frozenset({Kind.CHECKIN}),
            only={Kind.CHECKIN: checkin.reference},
        )
    )
    gate.account()
    return items[0] if items else None
