"""Writes of booking: hold a slot, put payment on file, confirm, cancel, let a hold expire.

The client is not committed until payment information is on file AND the
appointment is confirmed; nothing is charged here.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients.models import Client
from tandem.core import policy
from tandem.core.roles import Role
from tandem.organisations.models import Organisation
from tandem.scheduling import availability, selectors
from tandem.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ConfirmationRule,
    SlotClaim,
)
from tandem.scheduling.payments import PaymentProvider

S = AppointmentStatus


class SlotUnavailableError(Exception):
    """The slot is not (or no longer) open; the message is for the client."""


class BookingStateError(Exception):
    """The appointment is not in a state that allows this; the message is for the user."""


def _release_claims(appointment: Appointment) -> None:
    SlotClaim.objects.filter(appointment=appointment).delete()


def _expire_overlapping_holds(
    prescriber_id: int, unit_starts: list[dt.datetime], now: dt.datetime
) -> None:
    """Free units still claimed by holds that ran out before the worker got to them."""
    stale_ids = SlotClaim.objects.filter(
        prescriber_id=prescriber_id, unit_start__in=unit_starts
    ).values("appointment_id")
    stale = Appointment.objects.filter(pk__in=stale_ids, status=S.HELD, hold_expires_at__lte=now)
    for appointment in stale.select_for_update():
        appointment.status = S.EXPIRED
        appointment.save(update_fields=["status"])
        _release_claims(appointment)


def hold_slot(
    *,
    actor: User,
    organisation: Organisation,
    prescriber: User,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    client: Client | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Hold an offered slot for the practice's hold time. Exactly one of two racers gets it."""
    from tandem.scheduling.tasks import expire_hold

    now = now or timezone.now()
    if appointment_type.organisation_id != organisation.pk:
        raise SlotUnavailableError("That kind of appointment is not offered by this practice.")
    if starts_at <= now:
        raise SlotUnavailableError("That time has already passed. Choose another slot.")
    rules = selectors.settings_for(organisation)
    day = selectors.practice_calendar(organisation).local(starts_at).date()
    offered = (
        {
            slot.starts_at
            for slot in selectors.slots(
                organisation, appointment_type, prescriber=prescriber, now=now, days=(day, day)
            )
        }
        if selectors.member_prescriber(organisation, prescriber)
        else set()
    )
    blocked_until = starts_at + appointment_type.blocks
    unit_starts = availability.units(starts_at, blocked_until)
    try:
        with transaction.atomic():
            _expire_overlapping_holds(prescriber.pk, unit_starts, now)
            if starts_at not in offered:
                raise SlotUnavailableError(
                    "That time is not open: it is outside the prescriber's hours, too soon, or taken. "
                    "Here are the next open slots."
                )
            appointment = Appointment.objects.create(
                organisation=organisation,
                prescriber=prescriber,
                client=client,
                booked_by=actor,
                appointment_type=appointment_type,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=appointment_type.duration_minutes),
                blocked_until=blocked_until,
                status=S.HELD,
                hold_expires_at=now + dt.timedelta(minutes=rules.hold_minutes),
            )
            SlotClaim.objects.bulk_create(
                [
                    SlotClaim(prescriber=prescriber, unit_start=u, appointment=appointment)
                    for u in unit_starts
                ]
            )
            record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=appointment,
                client=client,
                organisation=organisation,
                detail={"status": S.HELD},
            )
            transaction.on_commit(
                partial(_enqueue_expiry, expire_hold, appointment.pk, appointment.hold_expires_at)
            )
    except IntegrityError:
        raise SlotUnavailableError(
            "Someone else took that time a moment ago. Here are the next open slots."
        ) from None
    return appointment


def _enqueue_expiry(task: Any, appointment_id: int, run_after: dt.datetime | None) -> None:
    task.using(run_after=run_after).enqueue(appointment_id)


@transaction.atomic
def put_payment_on_file(
    *,
    actor: User,
    appointment: Appointment,
    provider: PaymentProvider,
    token: str,
    now: dt.datetime | None = None,
) -> Appointment:
    """Record the provider's reference; confirm at once if the practice confirms automatically."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != S.HELD:
        raise BookingStateError("This appointment is no longer held for you.")
    if appointment.hold_expires_at is not None and appointment.hold_expires_at <= now:
        raise BookingStateError(
            "Your hold ran out while you were entering your details. Nothing was charged; "
            "choose a slot again and your answers are kept."
        )
    reference = provider.finish_setup(appointment_id=str(appointment.public_id), token=token)
    appointment.payment_provider = provider.code
    appointment.payment_reference = reference
    rule = selectors.settings_for(appointment.organisation).confirmation_rule
    if rule == ConfirmationRule.AUTOMATIC:
        appointment.status = S.CONFIRMED
        appointment.confirmed_at = now
    else:
        appointment.status = S.PENDING
    appointment.hold_expires_at = None
    appointment.version += 1
    appointment.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=appointment,
        client=appointment.client,
        organisation=appointment.organisation,
        detail={"status": appointment.status, "payment": provider.code},
    )
    return appointment


@transaction.atomic
def confirm(*, actor: User, appointment: Appointment) -> Appointment:
    """Confirm a pending appointment (a coordinator of the practice); needs payment on file."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not any(
        m.organisation_id == appointment.organisation_id
        and m.role in (Role.COORDINATOR, Role.PRACTICE_ADMIN)
        for m in policy.active_memberships(actor)
    ) or not policy.has_mfa(actor):
        raise PermissionError("Only the practice's coordinators confirm appointments.")
    if appointment.status == S.CONFIRMED:
        return appointment
    if appointment.status != S.PENDING or not appointment.payment_reference:
        raise BookingStateError(
            "Only an appointment with payment information on file can be confirmed."
        )
    appointment.status = S.CONFIRMED
    appointment.confirmed_at = timezone.now()
    appointment.version += 1
    appointment.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=appointment,
        client=appointment.client,
        organisation=appointment.organisation,
        detail={"status": S.CONFIRMED},
    )
    return appointment


@transaction.atomic
def cancel(*, actor: User, appointment: Appointment, now: dt.datetime | None = None) -> Appointment:
    """Cancel and free the slot. Clients may cancel only up to the practice's cancellation window."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=appointment.pk)
    )
    if appointment.status not in ACTIVE_STATUSES:
        raise BookingStateError("This appointment is not active.")
    is_staff = any(
        m.organisation_id == appointment.organisation_id for m in policy.active_memberships(actor)
    )
    if not is_staff:
        window = dt.timedelta(
            hours=selectors.settings_for(appointment.organisation).cancellation_hours
        )
        if appointment.status == S.CONFIRMED and appointment.starts_at - now < window:
            raise BookingStateError(
                f"Appointments can be cancelled online up to {window.total_seconds() / 3600:.0f} hours "
                "before. Please call the practice."
            )
    appointment.status = S.CANCELLED
    appointment.cancelled_at = now
    appointment.version += 1
    appointment.save()
    _release_claims(appointment)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=appointment,
        client=appointment.client,
        organisation=appointment.organisation,
        detail={"status": S.CANCELLED},
    )
    return appointment


@transaction.atomic
def expire_hold_now(appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Let a hold that ran out go, freeing its slot. Return whether anything changed (idempotent)."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().filter(pk=appointment_id).first()
    if appointment is None or appointment.status != S.HELD:
        return False
    if appointment.hold_expires_at is None or appointment.hold_expires_at > now:
        return False
    appointment.status = S.EXPIRED
    appointment.save(update_fields=["status"])
    _release_claims(appointment)
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=appointment,
        organisation=appointment.organisation,
        detail={"status": S.EXPIRED},
    )
    return True
