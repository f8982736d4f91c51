"""From an accepted referral to a real visit: invite the client to book, or book for them.

Referrals sit below scheduling, so the join lives here. Either way the visit is
a real slot of the accepting practice, and the referral moves to scheduled
through its named move (``referrals.actions.schedule``) when that visit is
confirmed (``loop.mark_referral_scheduled``), never from free text.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from tandem.accounts.models import User
from tandem.audit.actions import record
from tandem.audit.models import AuditAction
from tandem.core import policy
from tandem.core.policy import Action, Forbidden
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import ACTIVE_STATUSES, Appointment, BookingInvitation

#: A referral waits for a first visit in these states (a no-show books again).
WAITING_FOR_A_VISIT = (ReferralStatus.ACCEPTED, ReferralStatus.NO_SHOW)

NO_PORTAL = (
    "This client has no portal account, so they cannot book online: book the visit on "
    "their behalf below."
)


def may_book_for(actor: Any, referral: Referral) -> bool:
    """Return whether ``actor`` works the receiving practice's bookings (staff with MFA)."""
    return (
        policy.has_mfa(actor)
        and policy.scope(actor, Action.CHANGE, Referral.objects.filter(pk=referral.pk)).exists()
        and any(
            m.organisation_id == referral.to_organisation_id
            for m in policy.active_memberships(actor)
        )
    )


def open_invitations(user: Any) -> list[BookingInvitation]:
    """Return the signed-in client's invitations whose referral still waits for a visit.

    One the client has acted on — a time held, or booked and waiting for the practice to
    confirm it — is no longer theirs to do, though the referral waits for the confirmation.
    """
    booked = Appointment.objects.filter(
        client_id=OuterRef("client_id"),
        organisation_id=OuterRef("organisation_id"),
        status__in=ACTIVE_STATUSES,
    )
    return list(
        policy.scope(user, Action.VIEW, BookingInvitation.objects.all())
        .filter(client__user=user, referral__status__in=WAITING_FOR_A_VISIT)
        .exclude(Exists(booked))
        .select_related("organisation")
        .order_by("created_at", "pk")[:10]
    )


def booked_visit(referral: Referral) -> Appointment | None:
    """Return the client's live visit with the receiving practice, if one is booked already."""
    return (
        Appointment.objects.filter(
            client_id=referral.client_id,
            organisation_id=referral.to_organisation_id,
            status__in=ACTIVE_STATUSES,
        )
        .order_by("starts_at")
        .first()
    )


def invite_to_book(*, actor: User, referral: Referral) -> tuple[BookingInvitation, bool]:
    """Invite the referral's client to book a first visit; return (invitation, newly sent).

    The client is told in the portal and by an email that names nothing (no practice,
    no reason): its link needs sign-in. A second click, or two coordinators at once,
    finds the invitation already sent and tells nobody twice.
    """
    if not may_book_for(actor, referral):
        raise Forbidden("Only the receiving practice's staff invite the client to book.")
    with transaction.atomic():
        locked = Referral.objects.select_for_update().select_related("client").get(pk=referral.pk)
        if locked.status not in WAITING_FOR_A_VISIT:
            raise ValidationError(
                {"referral": ["Only an accepted referral waits for its client to book."]}
            )
        portal_user = locked.client.user
        if portal_user is None:
            raise ValidationError({"referral": [NO_PORTAL]})
        existing = BookingInvitation.objects.filter(referral=locked).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                invitation = BookingInvitation.objects.create(
                    referral=locked,
                    organisation_id=locked.to_organisation_id,
                    client=locked.client,
                    invited_by=actor,
                )
        except IntegrityError:
            return BookingInvitation.objects.get(referral=locked), False
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=invitation,
            client=locked.client,
            organisation=locked.to_organisation,
            detail={"referral": str(locked.public_id)},
        )
        notify(
            [portal_user],
            NotificationKind.BOOKING_INVITATION,
            reverse("scheduling:invited"),
            dedupe_key=f"booking-invitation:{invitation.public_id}",
        )
    return invitation, True
