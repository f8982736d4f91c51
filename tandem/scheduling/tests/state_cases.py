"""An appointment or waitlist entry in any state, for ``core/tests/test_status_assignments.py``."""

import datetime as dt
from typing import Any

from django.utils import timezone

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, OrganisationFactory, make_staff
from tandem.scheduling.models import Appointment, AppointmentType, WaitlistEntry


def _appointment(status: str) -> Appointment:
    organisation = OrganisationFactory()
    kind = AppointmentType.objects.create(
        organisation=organisation, code="new", name="New evaluation", duration_minutes=60
    )
    starts = timezone.now() + dt.timedelta(days=7)
    return Appointment.objects.create(
        organisation=organisation,
        prescriber=make_staff(Role.PRESCRIBER, organisation),
        client=ClientFactory(),
        appointment_type=kind,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        blocked_until=starts + dt.timedelta(hours=1),
        status=status,
    )


def appointment_in(source: str, target: str) -> tuple[Appointment, dict[str, Any]]:
    """Return an appointment standing in ``source`` and what ``states.move`` needs."""
    appointment = _appointment(source)
    return appointment, {"actor": make_staff(Role.COORDINATOR, appointment.organisation)}


def entry_in(source: str, target: str) -> tuple[WaitlistEntry, dict[str, Any]]:
    """Return a waitlist entry standing in ``source`` (``waitlist_states.move`` needs nothing more)."""
    current = _appointment("confirmed")
    assert current.client is not None
    entry = WaitlistEntry.objects.create(
        organisation=current.organisation, client=current.client, current=current, status=source
    )
    return entry, {}


#: The states modules of this package (by module name) and how to get a subject for each.
SUBJECTS = {"states": appointment_in, "waitlist_states": entry_in}
