"""Psychiatric appointments on the client's timeline (``tandem.core.timeline``), under attendance."""

from __future__ import annotations

from tandem.consent.categories import Category
from tandem.core.timeline import Item, Kind, Query, by_fields, by_line
from tandem.scheduling.models import Appointment, AppointmentStatus

#: The appointments the timeline shows: booked, or what became of them.
SHOWN_STATUSES = (
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
)


def appointments(query: Query) -> list[Item]:
    """Return the client's appointments: date, status and type, as consent allows."""
    items: list[Item] = []
    for appt in query.window(
        Appointment.objects.filter(client=query.client, status__in=list(SHOWN_STATUSES))
        .select_related("organisation", "prescriber", "appointment_type")
        .only(
            "public_id",  # how the accounting names a showing
            "starts_at",
            "status",
            "appointment_type__name",
            *by_fields("prescriber", "organisation"),
        ),
        "starts_at",
        Kind.APPOINTMENT,
    ):
        decision = query.gate(
            Category.ATTENDANCE,
            appt.organisation_id,
            appt.prescriber_id,
            obj=appt,
            description="Psychiatric appointment: date, status and type",
        )
        items.append(
            Item(
                Kind.APPOINTMENT,
                appt.starts_at,
                "Psychiatric appointment",
                by=by_line(appt.prescriber, appt.organisation),
                decision=decision,
                lines=[
                    ("Status", appt.get_status_display()),
                    ("Type", appt.appointment_type.name),
                ],
                pk=appt.pk,
            )
        )
    return items
