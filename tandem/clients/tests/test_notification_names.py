"""In the app a notification names the client it is about, to a reader who may see them.

Emails stay link-only: no name, no date of birth, whoever receives them.
"""

import html
import re
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.audit.models import AuditEvent, AuditEventClient
from tandem.care.medications import actions as medication_actions
from tandem.care.models import MedicationChange
from tandem.care.tests.factories import CareWorld
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.notifications.actions import notify
from tandem.notifications.models import NotificationKind
from tandem.tests.support.http import Client as HttpClient
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db


def listed(user) -> list[str]:
    """Return the user's notifications as they read them on the page."""
    http = HttpClient()
    http.force_login(user)
    page = http.get(reverse("notifications:list")).content.decode()
    found = re.findall(r'<li class="card" data-notification="[0-9a-f-]+">(.*?)</li>', page, re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", i))).strip() for i in found]


def test_the_therapist_reads_whose_medication_changed_and_the_email_names_no_one(
    django_capture_on_commit_callbacks,
):
    # Given a prescriber who starts a medication for the client of a shared care team
    world = CareWorld()
    with django_capture_on_commit_callbacks(execute=True):
        event, _ = medication_actions.record_medication(
            actor=world.prescriber,
            client=world.client,
            change=MedicationChange.START,
            drug="sertraline",
            dose="25",
            unit="mg",
            frequency="once daily",
        )
    run_worker()

    # When the therapist opens their notifications
    line = next(x for x in listed(world.therapist) if "medication" in x)

    # Then the app says whose it is, without the code, and records that it showed the name
    name = f"{world.client.first_name} {world.client.last_name}"
    assert line.startswith(f"A client's medication was updated: {name}")
    assert event.reference not in line
    read = AuditEvent.objects.filter(actor_id=world.therapist.pk, detail__list="notifications")
    assert list(
        AuditEventClient.objects.filter(event__in=read).values_list("client_id", flat=True)
    ) == [str(world.client.public_id)]
    # and the email carries only the link
    [email] = [m for m in mail.outbox if world.therapist.email in m.to]
    born = world.client.date_of_birth
    for phi in (world.client.first_name, world.client.last_name, born.isoformat(), str(born.year)):
        assert phi not in email.subject + email.body


def test_a_reader_who_may_not_see_the_client_and_the_client_themself_are_not_named_to():
    # Given notifications about one client to someone outside the care team, and to the client
    world = CareWorld()
    outsider = make_staff(Role.PRESCRIBER)
    notify([outsider], NotificationKind.SAFETY_ESCALATION, "/somewhere/", about=world.client.pk)
    client_user: Any = world.client_user
    notify([client_user], NotificationKind.RELEASE_TO_SIGN, "/there/", about=world.client.pk)

    # When each reads their list
    outsider_lines = listed(outsider)
    own_lines = listed(client_user)

    # Then neither sees the name, and nobody's read of the client was recorded
    assert [line.split(" New ")[0] for line in outsider_lines] == [
        "An unacknowledged safety alert was escalated to you"
    ]
    assert own_lines[0].startswith("A release is waiting for your signature")
    assert world.client.last_name not in own_lines[0]
    assert not AuditEvent.objects.filter(detail__list="notifications").exists()


def test_the_list_costs_the_same_queries_for_twenty_named_notifications_as_for_twenty_one():
    world = CareWorld()
    for _ in range(20):
        notify([world.therapist], NotificationKind.CARE_MESSAGE, "/x/", about=world.client.pk)
    http = HttpClient()
    http.force_login(world.therapist)
    http.get(reverse("notifications:list"))  # warm the session and policy caches

    with CaptureQueriesContext(connection) as twenty:
        http.get(reverse("notifications:list"))
    notify([world.therapist], NotificationKind.CARE_MESSAGE, "/y/", about=world.client.pk)

    with CaptureQueriesContext(connection) as twenty_one:
        http.get(reverse("notifications:list"))

    assert len(twenty_one) == len(twenty)
