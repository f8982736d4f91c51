"""The workspace pages keep their addresses and names (core:home, core:dashboard)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tandem.core.roles import Role
from tandem.core.tests.factories import (
    ClientFactory,
    OrganisationFactory,
    UserFactory,
    add_to_care_team,
    make_staff,
)
from tandem.intake.models import IntakeSession

pytestmark = pytest.mark.django_db


def test_home_sends_a_signed_in_person_to_their_dashboard(client):
    client.force_login(make_staff(Role.THERAPIST))

    response = client.get(reverse("core:home"))

    assert (reverse("core:home"), response.status_code) == ("/", 302)
    assert response["Location"] == reverse("core:dashboard") == "/dashboard/"


def test_the_dashboard_renders_from_the_workspace(client):
    client.force_login(make_staff(Role.THERAPIST))

    response = client.get(reverse("core:dashboard"))

    assert response.status_code == 200
    assert "workspace/dashboard.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("clients", [3, 60])
def test_the_dashboard_shows_the_whole_caseload_count_in_the_same_queries(
    client, clients, django_assert_max_num_queries
):
    # Given a therapist on the care team of more clients than a page of 50
    therapist = make_staff(Role.THERAPIST)
    for _ in range(clients):
        add_to_care_team(ClientFactory(), therapist, Role.THERAPIST)
    client.force_login(therapist)

    # When they open their dashboard, Then it counts every one of them (not "50"),
    # in as many queries for 3 clients as for 60
    # (the therapist's work queues: a LIMIT query and a COUNT each, whatever the caseload)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("core:dashboard"))
    assert f"Your clients ({clients})" in response.content.decode()


def test_a_client_back_from_the_intake_email_finds_the_way_to_booking(client):
    # Given a client who answered a practice's intake and confirmed their email
    user = UserFactory()
    ClientFactory(user=user)
    practice = OrganisationFactory(name="Harborlight Psychiatry")
    IntakeSession.objects.create(organisation=practice, user=user, verified_at=timezone.now())
    client.force_login(user)

    # When they land on their home page, Then it leads back to the practice's open times
    page = client.get(reverse("core:dashboard")).content.decode()
    assert "Choose a time with Harborlight Psychiatry" in page
    assert reverse("scheduling:book", args=[practice.public_id]) in page
