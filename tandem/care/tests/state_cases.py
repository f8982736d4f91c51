"""A note, a check-in and an alert in any state, for the status-table test.

``core/tests/test_status_assignments.py`` asks here (by the states module's name
inside ``care``) for an object standing in a given state and what ``move`` needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tandem.care.models import (
    AlertLevel,
    AlertSource,
    ConsultNote,
    ProgressCheckIn,
    SafetyAlert,
)
from tandem.care.tests.factories import CareWorld


def note_in(source: str, target: str) -> tuple[ConsultNote, dict[str, Any]]:
    note = CareWorld().draft_note()
    ConsultNote.objects.filter(pk=note.pk).update(status=source)
    note.refresh_from_db()
    return note, {}


def checkin_in(source: str, target: str) -> tuple[ProgressCheckIn, dict[str, Any]]:
    world = CareWorld()
    checkin = ProgressCheckIn.objects.create(
        client=world.client, therapist=world.therapist, organisation=world.therapy, status=source
    )
    return checkin, {}


def alert_in(source: str, target: str) -> tuple[SafetyAlert, dict[str, Any]]:
    world = CareWorld()
    now = timezone.now()
    alert = SafetyAlert.objects.create(
        client=world.client,
        raised_by=world.therapist,
        organisation=world.therapy,
        paged_organisation=world.psychiatry,
        level=AlertLevel.URGENT,
        source=AlertSource.CLINICIAN,
        summary="Synthetic: said they felt unsafe tonight.",
        raised_at=now,
        ack_due_at=now + dt.timedelta(minutes=60),
    )
    SafetyAlert.objects.filter(pk=alert.pk).update(status=source)
    alert.refresh_from_db()
    return alert, {"actor": world.prescriber}


#: The states modules of care's sub-packages (by name inside care) and their subjects.
SUBJECTS = {
    "notes.states": note_in,
    "checkins.states": checkin_in,
    "crisis.states": alert_in,
}
