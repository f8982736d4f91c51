"""Journeys that must complete on the demo as seeded: booking reaches real open times,
Jordan Ellery goes from a received referral to a confirmed, scheduled first visit, and the
demo's releases cover what its timelines show.

The demo is seeded once for the module; each test's changes are rolled back after it.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.care import selectors
from tandem.clients.models import CareTeamMember
from tandem.consent.models import ReleaseStatus
from tandem.organisations.models import Organisation
from tandem.referrals.models import Referral, ReferralStatus
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.tests.support.demo import seeded_once
from tandem.tests.support.http import Client

pytestmark = pytest.mark.django_db

# A Monday morning: the demo's slots (24 hours' notice) start the next day.
SEEDED_AT = dt.datetime(2026, 11, 30, 14, 0, 5, tzinfo=dt.UTC)
DEMO = "@demo.tandem.test"


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker, at=SEEDED_AT, keep_clock=True) as world:
        yield world


def _as(email: str) -> Client:
    web = Client()
    web.force_login(User.objects.get(email=email + DEMO))
    return web


def _first_slot(page: str) -> dict[str, str]:
    """Return what the first offered time's button posts."""
    found = re.search(
        r'name="prescriber" value="([^"]+)">\s*<input type="hidden" name="starts_at" value="([^"]+)"',
        page,
    )
    assert found
    return {"prescriber": found.group(1), "starts_at": found.group(2)}


@pytest.mark.parametrize(
    "practice", ["Harborlight Psychiatry", "Quinsigamond Behavioral Health Group"]
)
def test_both_practices_offer_open_first_visits_where_the_bot_ends(demo_world, practice):
    org = Organisation.objects.get(name=practice)

    # The intake bot's last step sends a signed-in client here: it used to be a 404.
    page = _as("jordan.ellery").get(reverse("scheduling:book", args=[org.public_id]))

    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="starts_at"' in body
    for prescriber in User.objects.filter(
        memberships__organisation=org, memberships__role="prescriber"
    ):
        assert prescriber.display_name in body


def test_jordan_goes_from_a_received_referral_to_a_scheduled_first_visit(demo_world):
    referral = Referral.objects.get(
        client__user__email="jordan.ellery" + DEMO, to_organisation__name="Harborlight Psychiatry"
    )
    assert referral.status == ReferralStatus.RECEIVED
    priya = _as("priya.raman")
    move = reverse("referrals:move", args=[referral.public_id])

    # The coordinator accepts, then invites Jordan to book
    accepted = priya.post(
        move, {"target": "accepted", "accepted-expected_version": referral.version}
    )
    assert accepted.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    detail = priya.get(reverse("referrals:detail", args=[referral.public_id])).content.decode()
    booking = reverse("scheduling:referral_booking", args=[referral.public_id])
    assert booking in detail
    assert priya.post(booking, {"do": "invite"}).status_code == 302

    # Jordan finds it on his home page and books a real Harborlight slot
    jordan = _as("jordan.ellery")
    home = jordan.get(reverse("core:dashboard")).content.decode()
    book = reverse("scheduling:book", args=[referral.to_organisation.public_id])
    assert "Book your first visit with Harborlight Psychiatry" in home
    assert book in home
    held = jordan.post(book, _first_slot(jordan.get(book).content.decode()))
    assert held.status_code == 302
    visit = Appointment.objects.get(client=referral.client, organisation=referral.to_organisation)
    assert jordan.post(
        reverse("scheduling:pay", args=[visit.public_id]), {"agree": "on"}
    ).status_code in (200, 302)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PENDING

    # Priya confirms; the referral is scheduled with that very visit
    assert priya.post(reverse("scheduling:confirm", args=[visit.public_id])).status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.appointment_id) == (ReferralStatus.SCHEDULED, visit.pk)
    home = jordan.get(reverse("core:dashboard")).content.decode()
    assert reverse("scheduling:appointment", args=[visit.public_id]) in home


def test_the_demo_releases_cover_every_cross_practice_record_its_timelines_show(demo_world):
    """Every record a demo timeline shows a clinician of another practice rests on a release.

    The honest check: the demo's timelines never show the "withheld" state (the deliberate
    withheld states of the demo are on referral packets: Jordan's, waiting for his
    signature), so each record written by another practice is shown, and the decision
    that shows it names a signed release of that client, in force, covering its category.
    """
    cross_practice = 0
    teams = CareTeamMember.objects.select_related("user", "client").order_by("client_id", "pk")
    for member in teams:
        client = member.client
        if len({m.organisation_id for m in client.care_team.all()}) < 2:
            continue
        # What the page shows: nothing withheld
        page = _as(member.user.email.removesuffix(DEMO)).get(
            reverse("care:timeline", args=[client.public_id])
        )
        assert page.status_code == 200
        assert "data-withheld" not in page.content.decode(), (member.user.email, client.pk)
        # Why: each record from another practice is permitted by a release in force
        for item in selectors.timeline(member.user, client, account=False):
            if item.decision is None:  # the viewer's own practice wrote it
                continue
            cross_practice += 1
            release = item.decision.release
            assert item.decision.allowed, (item.kind, client.pk)
            assert release is not None
            assert (release.client_id, release.status) == (client.pk, ReleaseStatus.SIGNED)
            assert item.decision.category in release.categories
            assert release.expires_on is None or release.expires_on >= timezone.localdate()
    # Wren Halloway's scores and sertraline start cross between Back Bay and Harborlight
    assert cross_practice > 0
