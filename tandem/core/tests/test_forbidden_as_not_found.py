"""A refusal raised by an action (policy.Forbidden) answers exactly like a missing object."""

import re
import uuid

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse

from tandem.core.policy import Forbidden
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def refuse(request: HttpRequest) -> HttpResponse:
    """What a view does when the action it calls refuses: let the Forbidden propagate."""
    raise Forbidden("Only the client's care team may do this.")


# The whole site (the 404 page links to it) plus one view whose action refuses.
urlpatterns = [path("test-forbidden/", refuse), *site_urlpatterns]

#: Parts of a page that differ on every request: CSP nonces and CSRF tokens.
PER_REQUEST = re.compile(r"""(nonce|value|content|Token)(=|": )(["'])[A-Za-z0-9+/=_-]{20,}\3""")


def _page(response: HttpResponse) -> str:
    return PER_REQUEST.sub(r"\1\2\3…\3", response.content.decode())


@pytest.mark.urls("tandem.core.tests.test_forbidden_as_not_found")
def test_a_refused_action_shows_the_same_404_page_as_a_missing_client(client):
    clinician = make_staff(Role.THERAPIST)
    client.force_login(clinician)

    refused = client.get("/test-forbidden/")
    missing = client.get(reverse("clients:detail", args=[uuid.uuid4()]))

    assert (refused.status_code, missing.status_code) == (404, 404)
    assert [t.name for t in refused.templates][:1] == ["404.html"]
    assert [t.name for t in refused.templates] == [t.name for t in missing.templates]
    assert _page(refused) == _page(missing)
    assert "Only the client's care team" not in refused.content.decode()
