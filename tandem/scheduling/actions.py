"""Writes of booking: hold a slot, put payment on file, confirm, cancel, let a hold expire.

The client is not committed until payment information is on file AND the
appointment is confirmed; nothing is charged here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.clients import actions as client_actions
from tandem.clients.models import Client
from tandem.core import phones, policy
from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.usstates import US_STATES
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.organisations.models import Membership, Organisation
from tandem.referrals.models import PracticePolicy
from tandem.scheduling import availability, loop, reminders, selectors, signals, states
from tandem.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ConfirmationRule,
    LocationAttestation,
    SlotClaim,
    TimeOff,
)
from tandem.scheduling.payments import AGREED, OfflineProvider, PaymentProvider

S = AppointmentStatus


class SlotUnavailableError(Exception):
    """The slot is not (or no longer) open; the message is for the client."""


#: What every loser of a race for a slot is told, whichever refusal the database gave.
TAKEN = "Someone else took that time a moment ago. Here are the next open slots."

#: PostgreSQL's deadlock and serialization-failure codes: the transaction lost a lock
#: conflict and may simply be run again.
_LOCK_CONFLICTS = frozenset({"40P01", "40001"})


def _lost_lock_conflict(error: OperationalError) -> bool:
    """Return whether the database aborted the transaction as a deadlock or serialization victim."""
    return getattr(error.__cause__, "sqlstate", None) in _LOCK_CONFLICTS


class BookingLimitError(SlotUnavailableError):
    """The client already holds a time, or has a first visit, at this practice."""


class BookingStateError(Exception):
    """The appointment is not in a state that allows this; the message is for the user."""


class HoldLapsedError(BookingStateError):
    """The hold ran out before payment information was saved; the slot is no longer kept."""


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
        states.move(appointment, S.EXPIRED, actor=None)
        appointment.save(update_fields=["status"])
        _release_claims(appointment)


#: Open holds one client may have at one practice at once.
MAX_OPEN_HOLDS = 1
#: Live (held, waiting or confirmed) first visits one client may have at one practice.
MAX_FIRST_VISITS = 1


def _check_client_limits(
    client: Client, organisation: Organisation, appointment_type: AppointmentType, now: dt.datetime
) -> None:
    """Refuse a hold beyond the client's open-hold or first-visit limit at this practice.

    The client's row is locked first, so two requests of one client (two tabs, a
    script) are counted one after the other and cannot both slip under the limit.
    """
    Client.objects.select_for_update().filter(pk=client.pk).first()
    mine = Appointment.objects.filter(client=client, organisation=organisation).exclude(
        status=S.HELD, hold_expires_at__lte=now
    )
    if mine.filter(status=S.HELD).count() >= MAX_OPEN_HOLDS:
        raise BookingLimitError(
            f"You are already holding a time with {organisation.name}. Enter your payment "
            "information for it, or wait for the hold to run out, before choosing another time."
        )
    if (
        appointment_type.is_new_client
        and mine.filter(status__in=ACTIVE_STATUSES, appointment_type__is_new_client=True).count()
        >= MAX_FIRST_VISITS
    ):
        raise BookingLimitError(
            f"You already have a first visit with {organisation.name}. To change its time, "
            "reschedule it from your appointments instead of booking another one."
        )


def hold_slot(
    *,
    actor: User,
    organisation: Organisation,
    prescriber: User,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    client: Client | None = None,
    now: dt.datetime | None = None,
    hold_minutes: int | None = None,
    waitlist_offer: bool = False,
) -> Appointment:
    """Hold an offered slot for the practice's hold time. Exactly one of two racers gets it.

    ``hold_minutes`` overrides the practice's hold time (the waitlist's offers hold shorter).
    A client holds one time per practice at once and has one live first visit there
    (``_check_client_limits``); a waitlist offer (``waitlist_offer``) is exempt, because
    taking it releases the later visit it replaces.
    """
    now = now or timezone.now()
    if appointment_type.organisation_id != organisation.pk:
        raise SlotUnavailableError("That kind of appointment is not offered by this practice.")
    if starts_at <= now:
        raise SlotUnavailableError("That time has already passed. Choose another slot.")
    rules = selectors.settings_for(organisation)
    minutes = rules.hold_minutes if hold_minutes is None else hold_minutes
    day = selectors.practice_calendar(organisation).local(starts_at).date()
    blocked_until = starts_at + appointment_type.blocks
    unit_starts = availability.units(starts_at, blocked_until)

    def own_booking() -> Appointment | None:
        # The same person asking again for the same time (a double click, the back button):
        # their booking, in whatever state it now is, not "someone else took it".
        return (
            Appointment.objects.filter(
                organisation=organisation,
                prescriber=prescriber,
                appointment_type=appointment_type,
                starts_at=starts_at,
                client=client,
                booked_by=actor,
                status__in=ACTIVE_STATUSES,
            )
            .order_by("-created_at")
            .first()
        )

    def attempt() -> Appointment:
        with transaction.atomic():
            _expire_overlapping_holds(prescriber.pk, unit_starts, now)
            mine = own_booking()
            if mine is not None:
                return mine
            if client is not None and not waitlist_offer:
                _check_client_limits(client, organisation, appointment_type, now)
            offered = (
                {
                    slot.starts_at
                    for slot in selectors.slots(
                        organisation,
                        appointment_type,
                        prescriber=prescriber,
                        now=now,
                        days=(day, day),
                    )
                }
                if selectors.member_prescriber(organisation, prescriber)
                else set()
            )
            if starts_at not in offered:
                if SlotClaim.objects.filter(
                    prescriber=prescriber, unit_start__in=unit_starts
                ).exists():
                    raise SlotUnavailableError(TAKEN)
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
                hold_expires_at=now + dt.timedelta(minutes=minutes),
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
            signals.hold_placed.send(
                sender=Appointment,
                appointment_id=appointment.pk,
                expires_at=appointment.hold_expires_at,
            )
            return appointment

    # Every refusal the database gives a racer means the same thing to the person booking: a
    # unique claim or the exclusion constraint (IntegrityError), or losing a deadlock
    # (OperationalError 40P01) twice. A deadlock victim is run once more, as PostgreSQL
    # advises: by then the winner has committed and the slot reads as taken, or is free again.
    for tries_left in (1, 0):
        try:
            return attempt()
        except IntegrityError:
            break
        except OperationalError as error:
            if not _lost_lock_conflict(error):
                raise
            if not tries_left:
                break
    mine = own_booking()
    if mine is not None:
        return mine
    raise SlotUnavailableError(TAKEN)


def after_confirmation(appointment: Appointment, now: dt.datetime) -> None:
    """Queue the confirmation email (.ics) and the reminders; see ``reminders``."""
    reminders.schedule(appointment, now=now)


def _slot_freed(appointment: Appointment) -> None:
    """Offer a freed slot to the first client on the waitlist, after commit; see ``waitlist``."""
    signals.slot_freed.send(
        sender=Appointment,
        organisation_id=appointment.organisation_id,
        prescriber_id=appointment.prescriber_id,
        appointment_type_id=appointment.appointment_type_id,
        starts_at=appointment.starts_at,
    )


@transaction.atomic
def put_payment_on_file(
    *,
    actor: User,
    appointment: Appointment,
    provider: PaymentProvider,
    token: str,
    now: dt.datetime | None = None,
) -> Appointment:
    """Record the provider's reference; confirm at once if the practice confirms automatically.

    Saving again once it is saved (a double click, a resent form) changes nothing and
    returns the appointment as it now stands: waiting for confirmation, or confirmed.
    """
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status in (S.PENDING, S.CONFIRMED) and appointment.payment_reference:
        return appointment
    lapsed = appointment.status == S.EXPIRED or (
        appointment.status == S.HELD
        and appointment.hold_expires_at is not None
        and appointment.hold_expires_at <= now
    )
    if lapsed:
        raise HoldLapsedError(
            "Your hold ran out while you were entering your details. Nothing was charged; "
            "choose a slot again and your answers are kept."
        )
    if appointment.status != S.HELD:
        raise BookingStateError("This appointment is no longer held for you.")
    reference = provider.finish_setup(appointment_id=str(appointment.public_id), token=token)
    appointment.payment_provider = provider.code
    appointment.payment_reference = reference
    rule = selectors.settings_for(appointment.organisation).confirmation_rule
    if rule == ConfirmationRule.AUTOMATIC:
        states.move(appointment, S.CONFIRMED, actor=actor, note="Confirmed by the practice's rule.")
        appointment.confirmed_at = now
    else:
        states.move(appointment, S.PENDING, actor=actor)
    appointment.hold_expires_at = None
    appointment.version += 1
    appointment.save()
    if appointment.status == S.CONFIRMED:
        after_confirmation(appointment, now)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=appointment,
        client=appointment.client,
        organisation=appointment.organisation,
        detail={"status": appointment.status, "payment": provider.code},
    )
    if appointment.status == S.CONFIRMED:
        # Staff booking on the client's behalf confirmed it themselves; otherwise the
        # practice's automatic rule did, and the referral moves on the practice's behalf.
        staff = _is_practice_staff(actor, appointment.organisation_id)
        loop.mark_referral_scheduled(actor if staff else None, appointment)
    return appointment


@transaction.atomic
def confirm(*, actor: User, appointment: Appointment) -> Appointment:
    """Confirm a pending appointment (a coordinator of the practice); needs payment on file."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not _may_confirm(actor, appointment.organisation_id):
        raise Forbidden("Only the practice's coordinators confirm appointments.")
    if appointment.status == S.CONFIRMED:
        return appointment
    if appointment.status != S.PENDING or not appointment.payment_reference:
        raise BookingStateError(
            "Only an appointment with payment information on file can be confirmed."
        )
    states.move(appointment, S.CONFIRMED, actor=actor)
    appointment.confirmed_at = timezone.now()
    appointment.version += 1
    appointment.save()
    after_confirmation(appointment, appointment.confirmed_at)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=appointment,
        client=appointment.client,
        organisation=appointment.organisation,
        detail={"status": S.CONFIRMED},
    )
    loop.mark_referral_scheduled(actor, appointment)
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
    states.move(appointment, S.CANCELLED, actor=actor)
    appointment.cancelled_at = now
    appointment.version += 1
    appointment.save()
    _release_claims(appointment)
    _slot_freed(appointment)
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
    states.move(appointment, S.EXPIRED, actor=None)
    appointment.save(update_fields=["status"])
    _release_claims(appointment)
    _slot_freed(appointment)
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=appointment,
        organisation=appointment.organisation,
        detail={"status": S.EXPIRED},
    )
    return True


# --- The client portal and the coordinator's calendar (issue 5) ------------------------------


def _is_practice_staff(actor: User, organisation_id: int) -> bool:
    return policy.has_mfa(actor) and any(
        m.organisation_id == organisation_id
        and m.role in (Role.COORDINATOR, Role.PRACTICE_ADMIN, Role.PRESCRIBER)
        for m in policy.active_memberships(actor)
    )


def _is_own(actor: User, appointment: Appointment) -> bool:
    return appointment.client is not None and appointment.client.user_id == actor.pk


def _offered_at(
    organisation: Organisation,
    prescriber: User,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    day = selectors.practice_calendar(organisation).local(starts_at).date()
    return starts_at in {
        s.starts_at
        for s in selectors.slots(
            organisation, appointment_type, prescriber=prescriber, now=now, days=(day, day)
        )
    }


def move(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: dt.datetime,
    prescriber: User | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move an active appointment to another open slot (the client within policy, or staff).

    The new units are claimed before the old ones are released, in one
    transaction, so the move either happens whole or not at all.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "organisation", "appointment_type", "prescriber")
            .get(pk=appointment.pk)
        )
        staff = _is_practice_staff(actor, appointment.organisation_id)
        if not staff and not _is_own(actor, appointment):
            raise Forbidden("Only the client or the practice can move this appointment.")
        if appointment.status not in ACTIVE_STATUSES:
            raise BookingStateError("This appointment is not active.")
        if not staff:
            hours = selectors.settings_for(appointment.organisation).cancellation_hours
            if appointment.starts_at - now < dt.timedelta(hours=hours):
                raise BookingStateError(
                    f"Appointments can be rescheduled online up to {hours} hours before. "
                    "Please call the practice."
                )
        who = prescriber or appointment.prescriber
        if starts_at <= now:
            raise SlotUnavailableError("That time has already passed. Choose another slot.")
        if not selectors.member_prescriber(appointment.organisation, who) or not _offered_at(
            appointment.organisation, who, appointment.appointment_type, starts_at, now
        ):
            raise SlotUnavailableError(
                "That time is not open: it is outside the prescriber's hours, too soon, or taken."
            )
        blocked_until = starts_at + appointment.appointment_type.blocks
        old = {"starts_at": appointment.starts_at.isoformat()}
        _release_claims(appointment)
        try:
            with transaction.atomic():
                SlotClaim.objects.bulk_create(
                    [
                        SlotClaim(prescriber=who, unit_start=u, appointment=appointment)
                        for u in availability.units(starts_at, blocked_until)
                    ]
                )
        except IntegrityError:
            raise SlotUnavailableError(
                "Someone else took that time a moment ago. Here are the next open slots."
            ) from None
        _slot_freed(
            Appointment(
                organisation=appointment.organisation,
                prescriber=appointment.prescriber,
                appointment_type=appointment.appointment_type,
                starts_at=appointment.starts_at,
            )
        )
        appointment.prescriber = who
        appointment.starts_at = starts_at
        appointment.ends_at = starts_at + dt.timedelta(
            minutes=appointment.appointment_type.duration_minutes
        )
        appointment.blocked_until = blocked_until
        appointment.version += 1
        appointment.save()
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=appointment,
            client=appointment.client,
            organisation=appointment.organisation,
            detail={"moved_from": old["starts_at"], "moved": True},
        )
        if appointment.status == S.CONFIRMED:
            after_confirmation(appointment, now)
    return appointment


@transaction.atomic
def book_for_client(
    *,
    actor: User,
    organisation: Organisation,
    prescriber: User,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    client: Client,
    now: dt.datetime | None = None,
) -> Appointment:
    """Book on a client's behalf (staff, e.g. on the phone): held, payment agreed, confirmed.

    Confirming follows the practice's rule. Where a coordinator confirms each new
    appointment, a coordinator (or practice admin) booking confirms it at once; a
    prescriber's booking waits in the calendar's "Requests to confirm" like a client's
    own, and the practice's coordinators are told.
    """
    if not _is_practice_staff(actor, organisation.pk):
        raise Forbidden("Only the practice's staff book on behalf of a client.")
    appointment = hold_slot(
        actor=actor,
        organisation=organisation,
        prescriber=prescriber,
        appointment_type=appointment_type,
        starts_at=starts_at,
        client=client,
        now=now,
    )
    if appointment.status == S.HELD:
        appointment = put_payment_on_file(
            actor=actor, appointment=appointment, provider=OfflineProvider(), token=AGREED, now=now
        )
    if appointment.status == S.PENDING:
        if _may_confirm(actor, organisation.pk):
            appointment = confirm(actor=actor, appointment=appointment)
        else:
            _ask_coordinators_to_confirm(appointment)
    return appointment


def _may_confirm(actor: User, organisation_id: int) -> bool:
    """Return whether ``actor`` confirms appointments for the practice (as ``confirm`` requires)."""
    return policy.has_mfa(actor) and any(
        m.organisation_id == organisation_id and m.role in (Role.COORDINATOR, Role.PRACTICE_ADMIN)
        for m in policy.active_memberships(actor)
    )


def _ask_coordinators_to_confirm(appointment: Appointment) -> None:
    """Tell the practice's coordinators (else its admins) a booking waits for them; no PHI."""
    for role in (Role.COORDINATOR, Role.PRACTICE_ADMIN):
        recipients = [
            m.user
            for m in Membership.objects.filter(
                organisation_id=appointment.organisation_id,
                role=role,
                is_active=True,
                user__is_active=True,
            ).select_related("user")
        ]
        if recipients:
            notify(
                recipients,
                NotificationKind.GENERAL,
                reverse("scheduling:appointment", args=[appointment.public_id]),
                dedupe_key=f"confirm:{appointment.public_id}",
                about=appointment.client_id,
            )
            return


#: From how long before the start a client may check in.
CHECK_IN_OPENS = dt.timedelta(hours=1)


#: Each check-in field and what its refusal says (the field's name first).
CHECK_IN_MESSAGES = {
    "street": "Street address: where you are right now, e.g. 12 Elm Street.",
    "city": "City or town: where you are right now.",
    "state": "State: choose the state you are in right now.",
    "callback_phone": f"Callback number: {phones.RULE}",
}
#: The emergency contact's fields on the check-in form, and their names on the client record.
EMERGENCY_FIELDS = {
    "emergency_name": "name",
    "emergency_relationship": "relationship",
    "emergency_phone": "phone",
}


@transaction.atomic
def attest_location(
    *,
    actor: User,
    appointment: Appointment,
    state: str,
    street: str,
    city: str,
    callback_phone: str,
    emergency_contact: dict[str, str],
    now: dt.datetime | None = None,
) -> Any:
    """Check the client in to a telehealth visit: where they are, a callback number, whom to call.

    The client confirms the physical address they are at now (street, city,
    state, which must be one the practice sees clients in), a number to call
    back on, and their emergency contact (kept on their record). Refuse with
    ValidationError naming every bad field, so nothing is half stored. The audit
    rows carry references only, never the address or the numbers.
    """
    now = now or timezone.now()
    if not _is_own(actor, appointment):
        raise Forbidden("Only the client checks in.")
    if appointment.status != S.CONFIRMED:
        raise BookingStateError("Only a confirmed appointment can be checked in to.")
    if not (appointment.starts_at - CHECK_IN_OPENS <= now <= appointment.ends_at):
        raise BookingStateError("Check-in opens one hour before your appointment.")
    street, city, state = (street or "").strip(), (city or "").strip(), (state or "").strip()
    errors: dict[str, str] = {}
    if not street or len(street) > 200:
        errors["street"] = CHECK_IN_MESSAGES["street"]
    if not city or len(city) > 100:
        errors["city"] = CHECK_IN_MESSAGES["city"]
    if state not in US_STATES:
        errors["state"] = CHECK_IN_MESSAGES["state"]
    number = phones.normalise(callback_phone or "")
    if number is None:
        errors["callback_phone"] = CHECK_IN_MESSAGES["callback_phone"]
    try:
        client_actions.clean_emergency_contact(**emergency_contact)
    except ValidationError as refused:
        back = {name: form_name for form_name, name in EMERGENCY_FIELDS.items()}
        for name, problems in refused.message_dict.items():
            errors[back[name]] = problems[0]
    if errors:
        raise ValidationError(errors)
    rules = PracticePolicy.objects.filter(organisation_id=appointment.organisation_id).first()
    if rules is not None and rules.visit_states and state not in rules.visit_states:
        raise BookingStateError(
            "The prescriber can only see you while you are in "
            + " or ".join(rules.visit_states)
            + ". Please call the practice to reschedule."
        )
    assert appointment.client is not None
    assert number is not None
    client_actions.set_emergency_contact(
        actor=actor, client=appointment.client, **emergency_contact
    )
    attestation = LocationAttestation.objects.create(
        appointment=appointment,
        street=street,
        city=city,
        state=state,
        callback_phone=number,
        attested_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=attestation,
        client=appointment.client,
        organisation=appointment.organisation,
        detail={"appointment": str(appointment.public_id)},
    )
    return attestation


def record_outcome(
    *, actor: User, appointment: Appointment, outcome: str, now: dt.datetime | None = None
) -> Appointment:
    """Record that a confirmed visit took place or was missed; move its referral along too."""
    now = now or timezone.now()
    if outcome not in (S.COMPLETED, S.NO_SHOW):
        raise BookingStateError("Choose whether the visit took place or was missed.")
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("client", "organisation")
            .get(pk=appointment.pk)
        )
        if not _is_practice_staff(actor, appointment.organisation_id):
            raise Forbidden("Only the practice records what happened at a visit.")
        if appointment.status != S.CONFIRMED:
            raise BookingStateError("Only a confirmed appointment can be marked.")
        if appointment.starts_at > now:
            raise BookingStateError("A visit can be marked only once its time has come.")
        states.move(appointment, outcome, actor=actor)
        appointment.version += 1
        appointment.save()
        _release_claims(appointment)
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=appointment,
            client=appointment.client,
            organisation=appointment.organisation,
            detail={"status": outcome},
        )
        loop.record_outcome(actor=actor, appointment=appointment, outcome=outcome)
    return appointment


def add_time_off(
    *,
    actor: User,
    organisation: Organisation,
    prescriber: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> tuple[Any, list[Appointment]]:
    """Add a prescriber's time off; return the active appointments it overlaps (kept, flagged)."""
    if not _is_practice_staff(actor, organisation.pk) or not selectors.member_prescriber(
        organisation, prescriber
    ):
        raise Forbidden("Only the practice's staff add time off for its prescribers.")
    if ends_at <= starts_at:
        raise BookingStateError("The end of the time off must come after its start.")
    with transaction.atomic():
        off = TimeOff.objects.create(
            prescriber=prescriber, starts_at=starts_at, ends_at=ends_at, reason=reason
        )
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=off,
            organisation=organisation,
            detail={"prescriber": str(prescriber.public_id)},
        )
    clashes = list(
        Appointment.objects.filter(
            prescriber=prescriber,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
    )
    return off, clashes
