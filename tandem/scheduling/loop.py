"""The referral loop's visits: scheduling tells a referral what happened to the visit it waits for.

Referrals sit below scheduling: a referral knows its visit only by a foreign key,
so everything about appointments — which visit is whose, whether it is
confirmed, which referral a visit moves — is decided here, and the referral
moves through its named actions.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.referrals import actions as referral_actions
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import Appointment, AppointmentStatus


def is_the_clients_visit(referral: Referral, appointment: Appointment) -> bool:
    """Return whether ``appointment`` is the referred client's visit with the receiving practice."""
    return (
        appointment.client_id == referral.client_id
        and appointment.organisation_id == referral.to_organisation_id
    )


def schedule(
    *, actor: User, referral: Referral, appointment: Appointment, note: str = ""
) -> Referral:
    """Move the referral to scheduled as ``actor``, carrying ``appointment`` (this client's visit)."""
    if not is_the_clients_visit(referral, appointment):
        raise ValidationError(
            {"appointment": ["Choose this client's appointment with this practice."]}
        )
    return referral_actions.schedule(
        actor=actor,
        referral=referral,
        note=note,
        appointment_id=appointment.pk,
        appointment_ref=str(appointment.public_id),
    )


def schedule_by_practice_rule(*, referral: Referral, appointment: Appointment) -> Referral:
    """Move an accepted referral to scheduled for the practice, with no person acting.

    For trusted code only: the scheduling action that confirmed ``appointment``
    under the practice's automatic confirmation rule calls it, inside its own
    transaction; see ``referrals.actions.schedule_automatically``.
    """
    if (
        not is_the_clients_visit(referral, appointment)
        or appointment.status != AppointmentStatus.CONFIRMED
    ):
        raise ValidationError(
            {"appointment": ["Only this client's confirmed visit with this practice."]}
        )
    return referral_actions.schedule_automatically(
        referral=referral, appointment_id=appointment.pk, appointment_ref=str(appointment.public_id)
    )


def mark_referral_scheduled(actor: User | None, appointment: Appointment) -> None:
    """Move the client's referral to this practice to scheduled, if it waits for a visit.

    A referral waits for a visit when it is accepted, or when the client missed the
    first visit (no-show) and is now booked again: the new visit re-opens the loop.

    Called inside the confirming transaction, so the appointment and the referral's loop
    change together, and the referral carries the appointment. The confirming coordinator
    is the practice-side actor of the move; with no actor (the practice's automatic
    confirmation rule confirmed the client's own booking) the practice's rule moves it.
    """
    if appointment.client_id is None:
        return
    referral = (
        Referral.objects.filter(
            client_id=appointment.client_id,
            to_organisation_id=appointment.organisation_id,
            status__in=[ReferralStatus.ACCEPTED, ReferralStatus.NO_SHOW],
        )
        .order_by("-created_at")
        .first()
    )
    if referral is None:
        return
    if actor is None:
        schedule_by_practice_rule(referral=referral, appointment=appointment)
    else:
        schedule(actor=actor, referral=referral, appointment=appointment)


def record_outcome(*, actor: User, appointment: Appointment, outcome: str) -> None:
    """Move the referral waiting on this visit: first visit done, or no-show.

    The referral that carries this visit; failing that, one the practice marked
    scheduled by hand (it carries no visit). Never one that waits for another visit.
    """
    scheduled = Referral.objects.filter(
        to_organisation=appointment.organisation, status=ReferralStatus.SCHEDULED
    )
    referral = (
        scheduled.filter(appointment=appointment).first()
        or scheduled.filter(client=appointment.client, appointment__isnull=True)
        .order_by("-created_at")
        .first()
        if appointment.client is not None
        else None
    )
    if referral is None:
        return
    if outcome == AppointmentStatus.NO_SHOW:
        referral_actions.no_show(actor=actor, referral=referral)
    else:
        referral_actions.first_visit_done(actor=actor, referral=referral)


def follow_moved_visit(*, actor: User, old: Appointment, new: Appointment) -> int:
    """Point the referrals that carried ``old`` at ``new`` (a waitlist move); return how many."""
    count = 0
    with transaction.atomic():
        for referral in Referral.objects.select_for_update().filter(appointment=old):
            if not is_the_clients_visit(referral, new):
                continue
            referral_actions.follow_moved_visit(
                actor=actor,
                referral=referral,
                appointment_id=new.pk,
                appointment_ref=str(new.public_id),
            )
            count += 1
    return count
