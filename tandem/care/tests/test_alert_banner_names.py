"""The open-alert banner names the client to a reader who may see them; emails name no one.

Same rule and audit as the named notifications (``clients.naming``): the care team reads
"Safety alert for First Last"; a reader who may open the alert but not the client's record
reads the reference; every open alert is listed either way (the crisis rule).
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.accounts.tests.test_backends import outer_table
from tandem.audit.models import AuditEvent, AuditEventClient
from tandem.care.crisis import actions as crisis_actions
from tandem.care.models import OnCallShift
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

WEDNESDAY_11AM = dt.datetime(2026, 3, 18, 15, 0, tzinfo=dt.UTC)


def banner(user) -> str:
    page = http(user).get(reverse("clients:list")).content.decode()
    start = page.find("data-open-alerts")
    return "" if start == -1 else page[start : page.find("</div>", start)]


def test_the_team_reads_the_clients_name_the_on_call_off_the_team_reads_the_reference(
    django_capture_on_commit_callbacks,
):
    # Given an on-call prescriber of the paged practice who is not on the client's team
    world = CareWorld()
    on_call = make_staff(Role.PRESCRIBER, world.psychiatry)
    OnCallShift.objects.create(
        organisation=world.psychiatry, user=on_call, order=1,
        starts_at=WEDNESDAY_11AM - dt.timedelta(hours=1),
        ends_at=WEDNESDAY_11AM + dt.timedelta(days=1),
    )  # fmt: skip
    name = f"{world.client.first_name} {world.client.last_name}"

    with time_machine.travel(WEDNESDAY_11AM, tick=True):
        # When the therapist raises an alert (and its pages and emails go out)
        with django_capture_on_commit_callbacks(execute=True):
            alert = crisis_actions.raise_safety_alert(
                world.therapist, world.client, "urgent", "Has a plan."
            )
        run_worker()

        # Then the team's prescriber reads whose alert it is, and that read is audited
        team = banner(world.prescriber)
        assert f"Safety alert for {name}" in team
        assert alert.reference not in team
        read = AuditEvent.objects.filter(
            actor_id=world.prescriber.pk, detail__list="open-alert banner"
        )
        assert list(
            AuditEventClient.objects.filter(event__in=read).values_list("client_id", flat=True)
        ) == [str(world.client.public_id)]

        # the on-call prescriber off the team still sees the alert, by its reference only,
        # and no read of the client is recorded for them
        paged = banner(on_call)
        assert alert.reference in paged
        assert world.client.first_name not in paged
        assert world.client.last_name not in paged
        assert not AuditEvent.objects.filter(
            actor_id=on_call.pk, detail__list="open-alert banner"
        ).exists()

    # and no email about the alert names the client
    assert mail.outbox
    born = world.client.date_of_birth
    for email in mail.outbox:
        for phi in (world.client.first_name, world.client.last_name, born.isoformat()):
            assert phi not in email.subject + email.body


def test_the_home_page_reads_the_open_alerts_once_and_names_them_in_its_queue_and_banner():
    # Given an open alert on a client of the prescriber's care team
    world = CareWorld()
    with time_machine.travel(WEDNESDAY_11AM, tick=True):
        alert = crisis_actions.raise_safety_alert(
            world.therapist, world.client, "urgent", "Has a plan."
        )
        name = f"{world.client.first_name} {world.client.last_name}"

        # When the prescriber opens the home page
        with CaptureQueriesContext(connection) as queries:
            page = http(world.prescriber).get(reverse("core:dashboard")).content.decode()

    # Then the alerts were read once (the user's own query only asks whether any may wait)
    alert_reads = [
        q for q in queries.captured_queries if outer_table(q["sql"]) == "care_safetyalert"
    ]
    assert len(alert_reads) == 1
    # and both the queue and the banner name the client and link to the alert
    link = reverse("care:alert", kwargs={"alert_id": alert.public_id})
    queue = page[page.find('data-queue="alerts"') :]
    assert f"Alert for {name}" in queue[: queue.find("</section>")]
    start = page.find("data-open-alerts")
    assert f"Safety alert for {name}" in page[start : page.find("</div>", start)]
    assert page.count(f'href="{link}"') == 2
    # and each place's read of the client is recorded, as before
    for where in ("home queue", "open-alert banner"):
        read = AuditEvent.objects.filter(actor_id=world.prescriber.pk, detail__list=where)
        assert list(
            AuditEventClient.objects.filter(event__in=read).values_list("client_id", flat=True)
        ) == [str(world.client.public_id)]
