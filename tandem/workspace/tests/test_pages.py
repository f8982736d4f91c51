"""The workspace pages keep their addresses and names (core:home, core:dashboard)."""

import pytest
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, add_to_care_team, make_staff

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
