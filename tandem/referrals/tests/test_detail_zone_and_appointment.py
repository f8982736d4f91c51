"""The referral detail page: times in the receiving practice's zone, and the appointment it carries."""

import datetime as dt
import html as htmllib
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.consent.actions import PartySpec
from tandem.consent.categories import Category, Purpose
from tandem.consent.models import Disclosure
from tandem.core.tests.factories import ClientFactory, UserFactory
from tandem.referrals import actions
from tandem.referrals.models import ReferralStatus as S
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling import actions as scheduling_actions
from tandem.scheduling import loop as scheduling_loop
from tandem.scheduling.payments import AGREED, OfflineProvider
from tandem.scheduling.tests.factories import open_mornings
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.http import Client as HttpClient

pytestmark = pytest.mark.django_db

UTC = dt.UTC
_built = world_built_on(dt.datetime(2027, 1, 5, 9, 0, tzinfo=UTC))  # before the fixed days of 2027


def text(response) -> str:
    """Return the page's visible text with tags removed and whitespace folded."""
    body = response.content.decode()
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


def page(user, referral) -> str:
    client = HttpClient()
    client.force_login(user)
    response = client.get(reverse("referrals:detail", kwargs={"referral_id": referral.public_id}))
    assert response.status_code == 200
    return text(response)


def test_history_and_due_time_are_in_the_practices_zone_for_both_sides():
    # Given a practice in Los Angeles (the server runs on New York time) and a referral sent
    # on Monday 12 April 2027 at 10:00 Pacific (13:00 in New York, 17:00 UTC)
    world = ReferralWorld()
    world.psychiatry.time_zone = "America/Los_Angeles"
    world.psychiatry.holiday_subdivision = "CA"
    world.psychiatry.save()
    with time_machine.travel(dt.datetime(2027, 4, 12, 17, 0, tzinfo=UTC), tick=False):
        referral = world.sent()

    # When both sides open it at 11:00 Pacific, before the practice answers
    with time_machine.travel(dt.datetime(2027, 4, 12, 18, 0, tzinfo=UTC), tick=False):
        views = [page(world.coordinator, referral), page(world.therapist, referral)]

    # Then both see the due time and the history in Pacific time, labelled with the abbreviation
    for seen in views:
        assert "Response due Tue 13 Apr 2027, 17:00 PDT — 1 day 6 h left" in seen
        assert "Mon 12 Apr 2027, 10:00 PDT — Sent by" in seen
        assert "13:00" not in seen
        assert "local time (America/Los_Angeles)." in seen


def test_a_winter_event_carries_the_standard_time_abbreviation():
    # Given a Los Angeles practice and a referral sent in January (Pacific standard time)
    world = ReferralWorld()
    world.psychiatry.time_zone = "America/Los_Angeles"
    world.psychiatry.save()
    with time_machine.travel(dt.datetime(2027, 1, 12, 17, 30, tzinfo=UTC), tick=False):
        referral = world.sent()

    # When the practice acknowledges it in summer time and the therapist looks
    with time_machine.travel(dt.datetime(2027, 4, 1, 16, 0, tzinfo=UTC), tick=False):
        actions.receive(actor=world.coordinator, referral=referral)
        seen = page(world.therapist, referral)

    # Then each time carries the abbreviation in force on its own date
    assert "Tue 12 Jan 2027, 09:30 PST — Sent by" in seen
    assert "Thu 1 Apr 2027, 09:00 PDT — Received by" in seen


# --- "Scheduled" carries the appointment ------------------------------------------------------

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NOW = dt.datetime(2027, 4, 12, 10, 0, tzinfo=LA)  # Monday
VISIT = dt.datetime(2027, 4, 15, 10, 0, tzinfo=LA)  # Thursday


def _accepted_in_los_angeles(world: ReferralWorld):
    world.psychiatry.time_zone = "America/Los_Angeles"
    world.psychiatry.save()
    kind = open_mornings(world.psychiatry, world.prescriber)
    referral = world.accepted()
    return referral, kind


def _confirmed_visit(world: ReferralWorld, kind):
    held = scheduling_actions.hold_slot(
        actor=world.client_user,
        organisation=world.psychiatry,
        prescriber=world.prescriber,
        appointment_type=kind,
        starts_at=VISIT,
        client=world.client,
    )
    pending = scheduling_actions.put_payment_on_file(
        actor=world.client_user, appointment=held, provider=OfflineProvider(), token=AGREED
    )
    return scheduling_actions.confirm(actor=world.coordinator, appointment=pending)


def test_a_confirmed_visit_shows_to_the_practice_and_to_the_therapist_once_released():
    # Given an accepted referral to a Los Angeles practice, and the client's visit confirmed
    world = ReferralWorld()
    with time_machine.travel(NOW, tick=False):
        referral, kind = _accepted_in_los_angeles(world)
        visit = _confirmed_visit(world, kind)

        # When each side opens the referral
        practice_view = page(world.coordinator, referral)
        therapist_view = page(world.therapist, referral)

    # Then the referral is scheduled and carries the visit
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (S.SCHEDULED, visit)
    # the practice sees its date in its own zone and the prescriber
    who = world.prescriber.display_name
    assert f"Appointment Thu 15 Apr 2027, 10:00 PDT with {who} ( open the appointment )" in (
        practice_view
    )
    # the therapist, with no release covering attendance, sees the withheld line only
    assert (
        "Appointment Withheld — no current release covers appointment attendance. "
        "No release from the client covers this." in therapist_view
    )
    assert "15 Apr 2027" not in therapist_view
    assert not Disclosure.objects.filter(category=Category.ATTENDANCE).exists()

    # When the client releases appointment attendance from the practice to the therapist
    world.signed(
        categories=[Category.ATTENDANCE],
        disclosers=[PartySpec(world.psychiatry)],
        recipients=[PartySpec(world.therapy)],
        purpose=Purpose.REFERRAL,  # a release is honoured for the purposes it states
    )
    with time_machine.travel(NOW, tick=False):
        released_view = page(world.therapist, referral)
        page(world.therapist, referral)

    # Then the therapist sees the date and prescriber, recorded once in the accounting
    assert f"Appointment Thu 15 Apr 2027, 10:00 PDT with {who} What you can do" in released_view
    assert "open the appointment" not in released_view
    assert list(
        Disclosure.objects.filter(category=Category.ATTENDANCE).values_list(
            "object_id", "recipient_organisation", "disclosed_by"
        )
    ) == [(str(visit.public_id), world.therapy.pk, world.prescriber.pk)]


def test_marked_scheduled_by_hand_the_referral_keeps_its_note_and_carries_no_visit():
    # Given an accepted referral
    world = ReferralWorld()
    referral = world.accepted()

    # When the coordinator marks it scheduled by hand, with a note
    actions.schedule(
        actor=world.coordinator, referral=referral, note="Booked by phone for Thursday morning."
    )

    # Then it carries no appointment, and both sides see the note in the history; the
    # therapist once a release covers appointment attendance (the note says when and with whom)
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (S.SCHEDULED, None)
    withheld = page(world.therapist, referral)
    assert "Booked by phone" not in withheld
    assert "(note withheld)" in withheld
    world.release([Category.ATTENDANCE])
    for user in (world.coordinator, world.therapist):
        seen = page(user, referral)
        assert "Scheduled by" in seen
        assert "“Booked by phone for Thursday morning.”" in seen
        assert "Appointment " not in seen


def test_another_clients_visit_cannot_be_attached_to_the_referral():
    # Given an accepted referral and a confirmed visit of a different client of the practice
    world = ReferralWorld()
    with time_machine.travel(NOW, tick=False):
        referral, kind = _accepted_in_los_angeles(world)
        other = ClientFactory(user=UserFactory())
        held = scheduling_actions.book_for_client(
            actor=world.coordinator,
            organisation=world.psychiatry,
            prescriber=world.prescriber,
            appointment_type=kind,
            starts_at=VISIT,
            client=other,
        )

        # When a move to scheduled names that visit
        with pytest.raises(ValidationError) as refused:
            scheduling_loop.schedule(actor=world.coordinator, referral=referral, appointment=held)

    # Then it is refused by field and the referral is unchanged
    assert refused.value.message_dict == {
        "appointment": ["Choose this client's appointment with this practice."]
    }
    referral.refresh_from_db()
    assert (referral.status, referral.appointment) == (S.ACCEPTED, None)
