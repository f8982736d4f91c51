"""The waitlist: clients who hold an appointment and would take an earlier one.

When a slot frees up (a cancellation, a lapsed hold, a move) the first client
waiting — first come, first served — whose appointment is later gets the slot
held for them for the practice's waitlist hold time (``waitlist_hold_minutes``,
shorter than a booking hold: the slot should not sit idle while the next client
waits), and a PHI-free notification.
Taking it moves their booking (payment reference and all) to the earlier time.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core.policy import Forbidden
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.scheduling import actions, loop, selectors, states, waitlist_states
from tandem.scheduling.actions import BookingStateError, SlotUnavailableError
from tandem.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ConfirmationRule,
    WaitlistEntry,
    WaitlistStatus,
)

S = AppointmentStatus


@transaction.atomic
def join(*, actor: User, appointment: Appointment) -> WaitlistEntry:
    """Put the client of ``appointment`` on the waitlist for an earlier time (once)."""
    if appointment.client is None or appointment.client.user_id != actor.pk:
        raise Forbidden("Only the client asks for an earlier time.")
    if appointment.status not in (S.PENDING, S.CONFIRMED):
        raise BookingStateError("Only a booked appointment can be moved earlier.")
    entry, _ = WaitlistEntry.objects.get_or_create(
        current=appointment,
        status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED],
        defaults={"organisation_id": appointment.organisation_id, "client": appointment.client},
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=entry,
        client=appointment.client,
        organisation=appointment.organisation,
    )
    return entry


@task()
def offer_freed_slot(
    organisation_id: int, prescriber_id: int, appointment_type_id: int, starts_at: str
) -> None:
    """Hold a freed slot for the first waiting client it suits; no-op if none (idempotent)."""
    offer(
        organisation_id=organisation_id,
        prescriber_id=prescriber_id,
        appointment_type_id=appointment_type_id,
        starts_at=dt.datetime.fromisoformat(starts_at),
    )


def offer(
    *,
    organisation_id: int,
    prescriber_id: int,
    appointment_type_id: int,
    starts_at: dt.datetime,
    now: dt.datetime | None = None,
) -> WaitlistEntry | None:
    """Offer the slot to the first suitable waiting client; return their entry, or None."""
    now = now or timezone.now()
    kind = AppointmentType.objects.select_related("organisation").get(pk=appointment_type_id)
    prescriber = User.objects.get(pk=prescriber_id)
    hold_minutes = selectors.settings_for(kind.organisation).waitlist_hold_minutes
    candidates = (
        WaitlistEntry.objects.filter(
            organisation_id=organisation_id,
            status=WaitlistStatus.WAITING,
            current__status__in=ACTIVE_STATUSES,
            current__starts_at__gt=starts_at,
            current__appointment_type_id=appointment_type_id,
        )
        .select_related("client__user", "current", "offered")
        .order_by("created_at", "pk")
    )
    for entry in candidates:
        if (
            entry.offered is not None
            and entry.offered.starts_at == starts_at
            and entry.offered.prescriber_id == prescriber_id
        ):
            continue  # they let this very slot lapse once already
        user = entry.client.user
        if user is None:
            continue
        try:
            with transaction.atomic():
                held = actions.hold_slot(
                    actor=user,
                    organisation=kind.organisation,
                    prescriber=prescriber,
                    appointment_type=kind,
                    starts_at=starts_at,
                    client=entry.client,
                    now=now,
                    hold_minutes=hold_minutes,
                    waitlist_offer=True,
                )
                entry.offered = held
                entry.offered_at = now
                waitlist_states.move(entry, WaitlistStatus.OFFERED)
                entry.save(update_fields=["offered", "offered_at", "status"])
                notify(
                    [user],
                    NotificationKind.GENERAL,
                    reverse("scheduling:appointment", args=[held.public_id]),
                    about=held.client_id,
                )
        except SlotUnavailableError:
            return None  # taken, too soon or gone: nobody can be offered it
        return entry
    return None


def accept(*, actor: User, entry: WaitlistEntry, now: dt.datetime | None = None) -> Appointment:
    """Take the earlier time: the held offer becomes the booking and the later one is released."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().select_related("client").get(pk=entry.pk)
        if entry.client.user_id != actor.pk:
            raise Forbidden("Only the client takes an offered time.")
        offered = (
            Appointment.objects.select_for_update().filter(pk=entry.offered_id).first()
            if entry.offered_id
            else None
        )
        if (
            entry.status != WaitlistStatus.OFFERED
            or offered is None
            or offered.status != S.HELD
            or (offered.hold_expires_at is not None and offered.hold_expires_at <= now)
        ):
            raise BookingStateError(
                "The earlier time is no longer held for you. You keep your current appointment."
            )
        current = Appointment.objects.select_for_update().get(pk=entry.current_id)
        offered.payment_provider = current.payment_provider
        offered.payment_reference = current.payment_reference
        rule = selectors.settings_for(offered.organisation).confirmation_rule
        was_confirmed = current.status == S.CONFIRMED
        if was_confirmed or rule == ConfirmationRule.AUTOMATIC:
            states.move(offered, S.CONFIRMED, actor=actor, note="Taken from the waitlist.")
            offered.confirmed_at = now
        else:
            states.move(offered, S.PENDING, actor=actor, note="Taken from the waitlist.")
        offered.hold_expires_at = None
        offered.version += 1
        offered.save()
        waitlist_states.move(entry, WaitlistStatus.BOOKED)
        entry.save(update_fields=["status"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=offered,
            client=offered.client,
            organisation=offered.organisation,
            detail={"status": offered.status, "from_waitlist": str(entry.public_id)},
        )
        actions.cancel(actor=actor, appointment=current, now=now)
        # The referral that carried the later visit now shows the earlier one.
        loop.follow_moved_visit(actor=actor, old=current, new=offered)
        if offered.status == S.CONFIRMED:
            actions.after_confirmation(offered, now)
    return offered
