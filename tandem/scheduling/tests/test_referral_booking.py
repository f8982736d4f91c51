"""From an accepted referral to a real visit: invite the client to book, or book on their behalf.

Either way the referral moves to scheduled from the real appointment (the named move
``schedule``, carrying it), never from free text.
"""

import datetime as dt
import zoneinfo
from functools import partial

import pytest
from django.core import mail
from django.urls import reverse

from tandem.notifications.models import Notification, NotificationKind
from tandem.referrals.models import Referral, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling import invitations, selectors
from tandem.scheduling.models import Appointment, AppointmentStatus, BookingInvitation
from tandem.scheduling.tests.factories import open_mornings
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.http import Client
from tandem.tests.support.race import all_at_once
from tandem.tests.support.tasks import run_worker

BOSTON = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2027, 4, 12, 10, tzinfo=BOSTON)  # a Monday
_built = world_built_on(NOW)  # every test runs on that Monday morning, the clock ticking


def _signed_in(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def _world() -> tuple[ReferralWorld, Referral]:
    world = ReferralWorld()
    referral = world.accepted()
    open_mornings(world.psychiatry, world.prescriber)
    return world, referral


@pytest.mark.django_db
def test_the_accepted_referral_offers_booking_the_first_visit():
    world, referral = _world()

    page = _signed_in(world.coordinator).get(reverse("referrals:detail", args=[referral.public_id]))

    assert (
        reverse("scheduling:referral_booking", args=[referral.public_id]) in page.content.decode()
    )


@pytest.mark.django_db
def test_coordinator_books_on_the_clients_behalf_and_the_referral_is_scheduled_with_it():
    world, referral = _world()
    web = _signed_in(world.coordinator)
    kind = selectors.slots(world.psychiatry, world.psychiatry.appointment_types.get(), weeks=4)
    slot = kind[0]
    page = web.get(reverse("scheduling:referral_booking", args=[referral.public_id]))
    assert page.status_code == 200
    assert slot.starts_at.isoformat() in page.content.decode()

    response = web.post(
        reverse("scheduling:referral_booking", args=[referral.public_id]),
        {"prescriber": str(slot.prescriber.public_id), "starts_at": slot.starts_at.isoformat()},
    )

    appointment = Appointment.objects.get(client=world.client)
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment", args=[appointment.public_id])
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.starts_at == slot.starts_at
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (ReferralStatus.SCHEDULED, appointment)


@pytest.mark.django_db
def test_invited_client_books_a_real_slot_and_the_referral_moves_when_it_is_confirmed(
    django_capture_on_commit_callbacks,
):
    world, referral = _world()
    coordinator = _signed_in(world.coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            reverse("scheduling:referral_booking", args=[referral.public_id]), {"do": "invite"}
        )

    assert response.status_code == 302
    invitation = BookingInvitation.objects.get(referral=referral)
    told = Notification.objects.get(
        recipient=world.client_user, kind=NotificationKind.BOOKING_INVITATION
    )
    assert told.link == reverse("scheduling:invited")
    run_worker()
    email = next(m for m in mail.outbox if m.to == [world.client_user.email])
    # No PHI: neither the practice, nor the client's name, nor the reason.
    for secret in (world.psychiatry.name, world.client.first_name, world.client.last_name):
        assert secret not in email.subject + email.body

    # The client's home page and the invitation page lead to the practice's open times.
    client = _signed_in(world.client_user)
    home = client.get(reverse("core:dashboard")).content.decode()
    book = reverse("scheduling:book", args=[invitation.organisation.public_id])
    assert book in home
    assert book in client.get(reverse("scheduling:invited")).content.decode()

    slot = selectors.slots(world.psychiatry, world.psychiatry.appointment_types.get(), weeks=4)[0]
    held = client.post(
        book,
        {"prescriber": str(slot.prescriber.public_id), "starts_at": slot.starts_at.isoformat()},
    )
    assert held.status_code == 302
    appointment = Appointment.objects.get(client=world.client)
    client.post(reverse("scheduling:pay", args=[appointment.public_id]), {"agree": "on"})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.PENDING
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED  # not yet: the visit is not confirmed
    # But the client has done their part: "Book your first visit" leaves their home page.
    assert invitations.open_invitations(world.client_user) == []
    assert book not in client.get(reverse("core:dashboard")).content.decode()
    coordinator.post(reverse("scheduling:confirm", args=[appointment.public_id]))

    referral.refresh_from_db()
    assert (referral.status, referral.appointment_id) == (ReferralStatus.SCHEDULED, appointment.pk)
    # Booked: the invitation leaves the client's list.
    assert invitations.open_invitations(world.client_user) == []


@pytest.mark.django_db
def test_a_second_click_sends_no_second_invitation():
    world, referral = _world()
    web = _signed_in(world.coordinator)
    url = reverse("scheduling:referral_booking", args=[referral.public_id])

    web.post(url, {"do": "invite"})
    web.post(url, {"do": "invite"})

    assert BookingInvitation.objects.filter(referral=referral).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.BOOKING_INVITATION).count() == 1


@pytest.mark.django_db
def test_a_client_without_a_portal_account_is_booked_for_not_invited():
    world = ReferralWorld()
    world.client.user = None
    world.client.save(update_fields=["user"])
    referral = world.accepted()
    open_mornings(world.psychiatry, world.prescriber)
    web = _signed_in(world.coordinator)
    url = reverse("scheduling:referral_booking", args=[referral.public_id])

    assert "data-no-portal" in web.get(url).content.decode()
    response = web.post(url, {"do": "invite"})

    assert response.status_code == 400
    assert "no portal account" in response.content.decode()
    assert not BookingInvitation.objects.exists()


@pytest.mark.django_db
def test_the_referring_therapist_and_the_client_cannot_book_from_the_referral():
    world, referral = _world()
    url = reverse("scheduling:referral_booking", args=[referral.public_id])

    for user in (world.therapist, world.client_user):
        assert _signed_in(user).post(url, {"do": "invite"}).status_code == 404
    assert not BookingInvitation.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_inviting_at_once_send_one_invitation():
    world, referral = _world()
    other = world.coordinator.__class__.objects.get(pk=world.coordinator.pk)

    outcomes = all_at_once(
        partial(invitations.invite_to_book, actor=world.coordinator, referral=referral),
        partial(invitations.invite_to_book, actor=other, referral=referral),
    )

    assert [o.error for o in outcomes] == [None, None]
    sent = sorted(bool(o.value[1]) for o in outcomes)  # type: ignore[index]
    assert sent == [False, True]
    assert BookingInvitation.objects.filter(referral=referral).count() == 1
    assert Notification.objects.filter(kind=NotificationKind.BOOKING_INVITATION).count() == 1
