"""The workspace pages keep their addresses and names (core:home, core:dashboard)."""

import pytest
from django.urls import reverse

from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff

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
