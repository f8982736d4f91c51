"""Each care page runs the same number of queries whether it shows a little or a lot.

Every test builds a small and a large amount of the page's data through the real
actions, warms the request once (a read writes its audit row, the thread page its
read receipts), then pins the count of the next GET to a constant and checks that
the larger amount really shows, so an empty page cannot pass.

The first three queries of every page are the request's own: the session, the user
(with their second factor and client record: tandem.accounts.backends; the MFA check and
the navigation's own-client lookup were two more queries, so every pin here dropped by
2) and their memberships. The session is not written (IdleSessionMiddleware
saves it at most once a minute). An audited read is five: savepoint, chain head, insert, chain
head update, release.
"""

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tandem.care.checkins import actions as checkin_actions
from tandem.care.crisis import actions as crisis_actions
from tandem.care.medications import actions as medication_actions
from tandem.care.medications import drugs as medications
from tandem.care.messaging import actions as message_actions
from tandem.care.models import MedicationChange, ProgressCheckIn
from tandem.care.tests.factories import CareWorld
from tandem.care.tests.helpers import http, text
from tandem.care.visits import actions as visit_actions
from tandem.core.roles import Role
from tandem.core.tests.factories import make_staff
from tandem.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from tandem.tests.support.audit import fewer_on_postgresql

pytestmark = pytest.mark.django_db

SIZES = [2, 30]
PDF = b"%PDF-1.4\n%%EOF\n"
ANSWER = {"change": "better", "functioning": "Back at work full time.", "engagement": "full"}


def warm_then_get(browser, path, django_assert_num_queries, queries):
    """GET the page once to warm it, then again counting the queries; return the response."""
    assert browser.get(path).status_code == 200
    with django_assert_num_queries(queries):
        response = browser.get(path)
    assert response.status_code == 200
    return response


#: Request (4); the client, the reader's care-team seat and the audited read of the
#: client (2 + 5); the seat again for the page, for the prescriber's form and for the
#: consent gate (3); the consent context (releases, their parties, practices that
#: share without a release, in one statement: 1, was 3); the medication events with prescriber and practice
#: (1); which of those shown are already in the client's accounting (1); the
#: navigation's own-record check (1); no open-alert banner query (no alert waits for the viewer: asked with the user).
MEDICATIONS_QUERIES = 16 - fewer_on_postgresql()


@pytest.mark.parametrize("n", SIZES)
def test_the_medications_page_costs_the_same_for_2_and_30_events(n, django_assert_num_queries):
    # Given the prescriber started n/2 medications and then changed each one's dose
    world = CareWorld()
    drugs = [name for name, _ in medications.choices()][: n // 2]
    for drug in drugs:
        medication_actions.record_medication(
            actor=world.prescriber, client=world.client, change=MedicationChange.START,
            drug=drug, dose="10", unit="mg", frequency="once daily", reason="Trial.",
        )  # fmt: skip
    for drug in drugs:
        medication_actions.record_medication(
            actor=world.prescriber, client=world.client, change=MedicationChange.DOSE_CHANGE,
            drug=drug, dose="20", unit="mg", frequency="once daily",
        )  # fmt: skip

    # When the therapist (another practice, under the release) opens the list
    response = warm_then_get(
        http(world.therapist),
        reverse("care:medications", kwargs={"client_id": world.client.public_id}),
        django_assert_num_queries,
        MEDICATIONS_QUERIES,
    )
    body = response.content.decode()

    # Then every current medication and every event of the history shows
    assert sorted(re.findall(r'data-drug="([^"]+)"', body)) == sorted(drugs)
    assert body.count('data-event="start"') == n // 2
    assert body.count('data-event="dose_change"') == n // 2
    assert text(response).count(f", {world.prescriber.display_name} ") == n


#: Request (4); client, seat and audited read (2 + 5); the seat for the page and for
#: the role (2); the cadence (1); the navigation's own-record check (1); no open-alert banner query (no alert waits for the viewer: asked with the user);
#: the newest check-ins as the timeline reads them: the seat for the consent
#: gate (1), the consent context (1, was 3), one page of check-ins (1), which of them are already
#: in the client's accounting (1).
CHECKINS_QUERIES = 17 - fewer_on_postgresql()


@pytest.mark.parametrize("n", SIZES)
def test_the_check_ins_page_costs_the_same_for_2_and_30_check_ins(n, django_assert_num_queries):
    # Given a cadence and n progress updates from the therapist
    world = CareWorld()
    checkin_actions.set_checkin_cadence(
        actor=world.prescriber, client=world.client,
        early_every_days=14, early_weeks=8, later_every_days=30,
    )  # fmt: skip
    for _ in range(n):
        checkin_actions.send_progress_update(
            actor=world.therapist, client=world.client, data=ANSWER
        )
    assert ProgressCheckIn.objects.filter(client=world.client).count() == n

    # When the prescriber opens the check-ins page
    response = warm_then_get(
        http(world.prescriber),
        reverse("care:checkins", kwargs={"client_id": world.client.public_id}),
        django_assert_num_queries,
        CHECKINS_QUERIES,
    )
    body = response.content.decode()

    # Then it shows the cadence, the prescriber's form and the newest ten updates (the
    # rest are on the timeline, linked when there are more)
    assert "The therapist is asked every 14 days for the first 8 weeks" in text(response)
    assert 'name="cadence"' in body
    assert body.count('data-kind="checkin"') == min(n, 10)
    assert ("Older check-ins on the timeline" in body) == (n > 10)


#: Request (4); client, seat and audited read (2 + 5); the seat for the page and for
#: the consent gate (2); the consent context (1, was 3); the threads with who started them and
#: the practice of each one's first message (1); which subjects shown are already in the
#: client's accounting (1); the navigation's own-record check (1); no open-alert banner query (no alert waits for the viewer: asked with the user).
THREADS_QUERIES = 15 - fewer_on_postgresql()


@pytest.mark.parametrize("n", SIZES)
def test_the_threads_page_costs_the_same_for_2_and_30_threads(n, django_assert_num_queries):
    # Given n threads, started in turn by the therapist and the prescriber
    world = CareWorld()
    subjects = [f"Follow-up question {i:02d}" for i in range(n)]
    for i, subject in enumerate(subjects):
        message_actions.start_thread(
            actor=world.therapist if i % 2 else world.prescriber,
            client=world.client,
            subject=subject,
            body="How is the sleep since the change?",
        )

    # When the prescriber opens the list
    response = warm_then_get(
        http(world.prescriber),
        reverse("care:threads", kwargs={"client_id": world.client.public_id}),
        django_assert_num_queries,
        THREADS_QUERIES,
    )
    body = response.content.decode()

    # Then every thread shows with its subject (the therapist's, under the release) and starter
    assert sorted(re.findall(r"Follow-up question \d\d", body)) == subjects
    assert body.count('href="/care/threads/') == n
    assert text(response).count(f"started by {world.therapist.display_name},") == n // 2


#: Request (4); the thread (1); the seat and the consent context for the messages
#: (1 + 1, was 1 + 3); the messages with author and practice, their attachments, their read
#: receipts and the readers (4); which messages shown are already in the client's
#: accounting (1); the new read receipts in one insert (1); the navigation's own-record
#: check (1); the audited read (5); the seat and consent context again for the thread's
#: subject (1 + 1, was 1 + 3); the thread with its first message's practice (1); whether the
#: subject is already in the accounting (1); no open-alert banner query (no alert waits for the viewer: asked with the user).
THREAD_QUERIES = 21 - fewer_on_postgresql()


@pytest.mark.parametrize("n", SIZES)
def test_the_thread_page_costs_the_same_for_2_and_30_messages(n, django_assert_num_queries):
    # Given a thread of n messages between the therapist and the prescriber, each with a
    # PDF attached, that the coordinator has read
    world = CareWorld()
    thread, _ = message_actions.start_thread(
        actor=world.therapist, client=world.client, subject="Labs", body="Message 00",
        uploads=[SimpleUploadedFile("tsh.pdf", PDF, "application/pdf")],
    )  # fmt: skip
    for i in range(1, n):
        message_actions.reply(
            actor=world.prescriber if i % 2 else world.therapist, thread=thread,
            body=f"Message {i:02d}", is_question=i % 3 == 0,
            uploads=[SimpleUploadedFile("tsh.pdf", PDF, "application/pdf")],
        )  # fmt: skip
    path = reverse("care:thread", kwargs={"thread_id": thread.public_id})
    assert http(world.coordinator).get(path).status_code == 200

    # When the prescriber opens the thread
    response = warm_then_get(
        http(world.prescriber), path, django_assert_num_queries, THREAD_QUERIES
    )
    body = response.content.decode()

    # Then every message shows with its attachment and who read it
    assert body.count("data-message") == n
    assert re.findall(r"Message \d\d", body) == [f"Message {i:02d}" for i in range(n)]
    assert body.count('href="/care/attachments/') == n
    read_by = [html.unescape(line) for line in re.findall(r"data-read-by>(.*?)</p>", body)]
    assert len(read_by) == n
    assert all(world.coordinator.display_name in line for line in read_by)


#: Request (4); the practice, under the manage rule (1); the shifts still to come with
#: their prescribers (1); the navigation's own-record check (1); the shifts for the
#: gaps of the coming week (1); the prescribers for the form (1).
ROTA_QUERIES = 7


@pytest.mark.parametrize("n", SIZES)
def test_the_rota_page_costs_the_same_for_2_and_30_shifts(n, django_assert_num_queries):
    # Given n prescribers of the practice, each put on the rota for one shift
    world = CareWorld()
    now = timezone.now()
    people = [make_staff(Role.PRESCRIBER, world.psychiatry) for _ in range(n)]
    for i, person in enumerate(people):
        crisis_actions.add_shift(
            actor=world.admin, organisation=world.psychiatry, user=person,
            starts_at=now + dt.timedelta(hours=6 * i), ends_at=now + dt.timedelta(hours=6 * i + 4),
        )  # fmt: skip

    # When the practice admin opens the rota
    response = warm_then_get(
        http(world.admin),
        reverse("care:rota", kwargs={"org_id": world.psychiatry.public_id}),
        django_assert_num_queries,
        ROTA_QUERIES,
    )
    body = response.content.decode()

    # Then every shift shows with its prescriber, who can also be picked for the next one
    assert body.count("<tr><td>") == n
    page = text(response)
    assert all(person.display_name in page for person in people)
    assert body.count(f'<option value="{people[-1].pk}"') == 1


#: Request (4); client, seat and audited read (2 + 5); the seat for the page and for
#: the role check (2); the plan with its practice and author (1); the plan's client and
#: whether a visit is booked (2); the navigation's own-record check (1).
VISITS_QUERIES = 15 - fewer_on_postgresql()


@pytest.mark.parametrize("n", SIZES)
def test_the_visits_page_costs_the_same_for_2_and_30_changes_and_visits(
    n, django_assert_num_queries
):
    # Given a plan the prescriber changed n times, and n visits booked before it is due
    world = CareWorld()
    due = timezone.localdate() + dt.timedelta(days=60)
    for i in range(n):
        visit_actions.set_visit_plan(
            actor=world.prescriber, client=world.client, psychiatry_every_weeks=1 + i % 26,
            therapy_every_weeks=1, next_psychiatry_due=due,
        )  # fmt: skip
    kind = AppointmentType.objects.create(
        organisation=world.psychiatry, code="follow-up", name="Follow-up", duration_minutes=30
    )
    for i in range(n):
        starts = timezone.now() + dt.timedelta(days=1 + i)
        Appointment.objects.create(
            organisation=world.psychiatry, prescriber=world.prescriber, client=world.client,
            appointment_type=kind, starts_at=starts, ends_at=starts + dt.timedelta(minutes=30),
            blocked_until=starts + dt.timedelta(minutes=30), status=AppointmentStatus.CONFIRMED,
        )  # fmt: skip

    # When the coordinator opens the visit plan
    response = warm_then_get(
        http(world.coordinator),
        reverse("care:visits", kwargs={"client_id": world.client.public_id}),
        django_assert_num_queries,
        VISITS_QUERIES,
    )

    # Then the latest change shows, and that a visit is booked
    page = text(response)
    assert f"Psychiatric visits every {1 + (n - 1) % 26} weeks" in page
    assert "Booked Yes: a visit with the practice is booked by then." in page
    assert f"Set by {world.prescriber.display_name}, {world.psychiatry.name}" in page


#: Request (4); the alert (1); the reader's seat, three times (whether on the team, the
#: practice the details are read through, and whether a clinician who may record the
#: outcome) (3); the consent context (1, was 3); the practices that share crisis details without
#: a release (1); whether its details are already in the client's accounting (1); who
#: raised it and their practice (2); the navigation's own-record check (1); the audited
#: read (5); every step with its actor (1); who acknowledged (1); no open-alert banner query (no alert waits for the viewer: asked with the user).
ALERT_QUERIES = 19 - fewer_on_postgresql()


@pytest.mark.parametrize("n", SIZES)
def test_the_alert_page_costs_the_same_for_2_and_30_escalations_and_acknowledgements(
    n, django_assert_num_queries
):
    # Given an alert the therapist raised, escalated n times before the prescriber
    # acknowledged it, then acknowledged again n times by the team
    world = CareWorld()
    alert = crisis_actions.raise_safety_alert(
        world.therapist, world.client, "urgent", "Said she has a plan.", "Called her; safe now."
    )
    for level in range(1, n + 1):
        assert crisis_actions.escalate(alert.pk, level)
    crisis_actions.acknowledge_alert(actor=world.prescriber, alert=alert)
    for i in range(n):
        crisis_actions.acknowledge_alert(
            actor=world.coordinator if i % 2 else world.prescriber, alert=alert
        )

    # When the prescriber opens the alert
    response = warm_then_get(
        http(world.prescriber),
        reverse("care:alert", kwargs={"alert_id": alert.public_id}),
        django_assert_num_queries,
        ALERT_QUERIES,
    )
    body = response.content.decode()

    # Then its details and every step show, with who took it
    page = text(response)
    assert "Said she has a plan." in page
    assert f"(escalated {n} times)" in page
    assert body.count('data-event="') == 3 + 2 * n
    assert body.count('data-event="escalated"') == n
    assert body.count('data-event="acknowledged_again"') == n
    assert page.count(f", {world.coordinator.display_name}") == n // 2
