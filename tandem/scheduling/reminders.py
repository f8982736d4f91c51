"""After confirmation: the confirmation email with its .ics, and reminders before the visit.

Each message is a ``Reminder`` row (unique per appointment, kind and offset).
``send_due`` marks the row sent in the same transaction that queues the email,
so a message goes out once however often the task runs or the worker restarts.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from tandem.core import crisis_lines
from tandem.core.tasks import enqueue_on_commit
from tandem.scheduling import ics, selectors, sms
from tandem.scheduling.models import Appointment, AppointmentStatus, MessageKind, Reminder

CONFIRMATION_SUBJECT = "Your appointment is confirmed"
REMINDER_SUBJECT = "You have an upcoming appointment"
FOOTER = "For your privacy, this email contains no health information.\n" + crisis_lines.TEXT + "\n"


def appointment_url(appointment: Appointment) -> str:
    return settings.TANDEM_BASE_URL.rstrip("/") + reverse(
        "scheduling:appointment", args=[appointment.public_id]
    )


def _when(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(appointment.organisation.zone)
    return local.strftime("%A %B %-d, %Y at %-I:%M %p") + f" ({local.tzname()})"


def schedule(appointment: Appointment, *, now: dt.datetime | None = None) -> list[Reminder]:
    """Create the confirmation and reminder rows of a confirmed appointment and queue them.

    Call inside the transaction that confirms; the tasks are queued on commit.
    Offsets already in the past are skipped; rows that exist are kept (no second send).
    """
    now = now or timezone.now()
    hours = selectors.settings_for(appointment.organisation).reminder_hours or [48, 2]
    wanted = [(MessageKind.CONFIRMATION, 0, now)]
    for offset in sorted({int(h) for h in hours}, reverse=True):
        due = appointment.starts_at - dt.timedelta(hours=offset)
        if due > now:
            wanted.append((MessageKind.REMINDER, offset, due))
    made = []
    for kind, offset, due in wanted:
        row, created = Reminder.objects.get_or_create(
            appointment=appointment, kind=kind, hours_before=offset, defaults={"due_at": due}
        )
        if not created and row.sent_at is None and row.due_at != due:
            row.due_at = due  # the appointment moved: the unsent reminder follows it
            row.save(update_fields=["due_at"])
        if row.sent_at is None:
            made.append(row)
            enqueue_on_commit(send_due, row.pk, run_after=row.due_at)
    return made


@task()
def send_due(reminder_id: int) -> None:
    """Queue the email of one reminder if it is still due, and mark it sent — in one transaction."""
    with transaction.atomic():
        row = (
            Reminder.objects.select_for_update()
            .select_related("appointment__organisation")
            .filter(pk=reminder_id, sent_at__isnull=True)
            .first()
        )
        if row is None:
            return  # sent already, or withdrawn
        now = timezone.now()
        if row.due_at > now:
            # The appointment moved later; a fresh task for the new time is queued.
            return
        appointment = row.appointment
        if appointment.status != AppointmentStatus.CONFIRMED or appointment.starts_at <= now:
            row.delete()
            return
        deliver.enqueue(row.pk)
        row.sent_at = now
        row.save(update_fields=["sent_at"])


@task()
def deliver(reminder_id: int) -> None:
    """Send the email (and the text, if texts are on) of a reminder marked sent."""
    row = (
        Reminder.objects.select_related("appointment__organisation", "appointment__client")
        .filter(pk=reminder_id)
        .first()
    )
    if row is None:
        return
    appointment = row.appointment
    client = appointment.client
    if client is None:
        return
    to = client.user.email if client.user is not None else client.email
    if not to:
        return
    url = appointment_url(appointment)
    if row.kind == MessageKind.CONFIRMATION:
        message = EmailMessage(
            CONFIRMATION_SUBJECT,
            f"Hello,\n\nYour appointment is confirmed for {_when(appointment)}.\n"
            "The calendar invite is attached.\n\n"
            f"Sign in to see the details and the video link, or to cancel or reschedule: {url}\n\n"
            + FOOTER,
            None,
            [to],
        )
        message.attach(
            "appointment.ics",
            ics.invite(appointment, sign_in_url=url, now=timezone.now()),
            "text/calendar",
        )
    else:
        message = EmailMessage(
            REMINDER_SUBJECT,
            f"Hello,\n\nYou have an upcoming appointment on {_when(appointment)}.\n\n"
            f"Sign in to see the details and the video link: {url}\n\n" + FOOTER,
            None,
            [to],
        )
        texts = sms.provider()
        if texts is not None and client is not None and client.phone:
            texts.send(to=client.phone, text=f"{REMINDER_SUBJECT}. Sign in: {url}")
    message.send()
