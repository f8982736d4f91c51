"""No audit row holds a clinical or identifying value, only references.

A client is given distinctive canary values; the main things people do with
their record are done through HTTP and the actions; then every field of every
audit row is searched for the canaries.
"""

import datetime as dt
import json

import pytest
from django.urls import reverse

from tandem.audit.models import AuditEvent
from tandem.clients.models import Client
from tandem.core.roles import Role
from tandem.core.tests.factories import TEST_PASSWORD, make_staff

pytestmark = pytest.mark.django_db

CANARIES = {
    "first_name": "Zyxcanary",
    "last_name": "Zyxlastcanary",
    "email": "zyxmail@example.test",
    "phone": "617-555-0199",
}
PORTAL_EMAIL = "zyxportal@example.test"
BIRTH_DATE = dt.date(1971, 2, 3)


def _everything_in(event: AuditEvent) -> str:
    values = [
        str(getattr(event, field.name))
        for field in AuditEvent._meta.get_fields()
        if field.name != "detail"
    ]
    return " ".join([*values, json.dumps(event.detail)]).lower()


def test_no_audit_row_contains_a_clients_details(client):
    # Given a client with canary details and a portal account, in a consent world
    from tandem.consent.tests.factories import World

    world = World()
    Client.objects.filter(pk=world.client.pk).update(**CANARIES, date_of_birth=BIRTH_DATE)
    world.client.refresh_from_db()
    world.client_user.email = PORTAL_EMAIL
    world.client_user.save(update_fields=["email"])
    world.client_user.emailaddress_set.update(email=PORTAL_EMAIL)
    admin = make_staff(Role.PRACTICE_ADMIN, world.therapy)

    # When the client fails to sign in, then signs in and reads their record
    client.post(reverse("account_login"), {"login": PORTAL_EMAIL, "password": "wrong guess 1"})
    client.post(reverse("account_login"), {"login": PORTAL_EMAIL, "password": TEST_PASSWORD})
    assert client.get(reverse("clients:detail", args=[world.client.public_id])).status_code == 200
    client.post(reverse("account_logout"))
    # and their therapist lists the caseload, reads the record, and looks at consent
    client.force_login(world.therapist)
    for url in (
        reverse("clients:list"),
        reverse("clients:detail", args=[world.client.public_id]),
        reverse("consent:client_status", args=[world.client.public_id]),
    ):
        assert client.get(url).status_code == 200
    # and a release is prepared and signed with the client's typed name, then revoked
    from tandem.consent import actions as consent_actions

    release = world.signed()
    consent_actions.revoke_release(actor=world.client_user, release=release)
    # and the practice admin searches the trail for the client
    client.force_login(admin)
    assert client.get("/audit/", {"client_id": str(world.client.public_id)}).status_code == 200

    # Then the trail recorded all this by reference, and no row holds a canary
    events = list(AuditEvent.objects.all())
    assert {e.action for e in events} >= {
        "login_failed",
        "login",
        "logout",
        "view",
        "create",
        "update",
    }
    assert any(e.client_id == str(world.client.public_id) for e in events)
    leaks = {
        (event.seq, event.action, canary)
        for event in events
        for canary in [*CANARIES.values(), PORTAL_EMAIL, BIRTH_DATE.isoformat()]
        if canary.lower() in _everything_in(event)
    }
    assert leaks == set()
