"""The client's experience check: optional, after the first visit and every third, counted only
in per-practice aggregates and never readable by anyone at the practice."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.core import policy
from tandem.core.policy import Action
from tandem.directory import actions
from tandem.directory.models import ExperienceCheck, PracticeMetrics
from tandem.referrals.tests.factories import ReferralWorld
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType

pytestmark = pytest.mark.django_db


def visits(world: ReferralWorld, count: int) -> list[Appointment]:
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry, code="visit", name="Visit", duration_minutes=30
    )
    start = timezone.now() - dt.timedelta(days=7 * count)
    made = []
    for i in range(count):
        begins = start + dt.timedelta(days=7 * i)
        made.append(
            Appointment.objects.create(
                organisation=world.psychiatry,
                prescriber=world.prescriber,
                client=world.client,
                appointment_type=kind,
                starts_at=begins,
                ends_at=begins + dt.timedelta(minutes=30),
                blocked_until=begins + dt.timedelta(minutes=30),
                status=AppointmentStatus.COMPLETED,
            )
        )
    return made


def test_the_client_is_asked_after_the_first_and_the_fourth_visit_and_answers_once(client):
    world = ReferralWorld()
    done = visits(world, 4)
    client.force_login(world.client_user)

    listing = client.get(reverse("directory:experience_list")).content.decode()
    assert [v.public_id for v in (done[0], done[3])] == [
        v.public_id for v in done if str(v.public_id) in listing
    ]

    url = reverse("directory:experience", args=[done[0].public_id])
    response = client.post(url, {"felt_heard": "yes", "enough_time": "partly"})

    assert response.status_code == 302
    check = ExperienceCheck.objects.get()
    assert (check.visit_number, check.felt_heard, check.enough_time) == (1, True, False)
    assert (
        str(done[0].public_id)
        not in client.get(reverse("directory:experience_list")).content.decode()
    )
    assert client.post(url, {"felt_heard": "no"}).status_code == 404  # asked once only
    assert client.get(url).status_code == 404
    assert ExperienceCheck.objects.count() == 1


def test_skipping_counts_in_no_aggregate(client):
    world = ReferralWorld()
    (visit,) = visits(world, 1)
    client.force_login(world.client_user)

    client.post(reverse("directory:experience", args=[visit.public_id]), {"skip": "1"})
    actions.recompute_metrics()

    check = ExperienceCheck.objects.get()
    assert (check.felt_heard, check.enough_time) == (None, None)
    assert PracticeMetrics.objects.get(organisation=world.psychiatry).experience_n == 0


def test_a_visit_that_is_not_owed_a_check_or_not_the_clients_is_not_found(client):
    world = ReferralWorld()
    done = visits(world, 2)
    other = ReferralWorld()
    client.force_login(other.client_user)

    assert client.get(reverse("directory:experience", args=[done[0].public_id])).status_code == 404
    client.force_login(world.client_user)
    second = reverse("directory:experience", args=[done[1].public_id])
    assert client.post(second, {"felt_heard": "yes"}).status_code == 404


def test_nobody_at_the_practice_or_on_the_team_can_read_an_answer(client):
    world = ReferralWorld()
    (visit,) = visits(world, 1)
    client.force_login(world.client_user)
    client.post(
        reverse("directory:experience", args=[visit.public_id]),
        {"felt_heard": "no", "enough_time": "no"},
    )

    for who in (world.prescriber, world.admin, world.coordinator, world.therapist):
        assert policy.scope(who, Action.VIEW, ExperienceCheck.objects.all()).count() == 0
    assert policy.scope(world.client_user, Action.VIEW, ExperienceCheck.objects.all()).count() == 1
