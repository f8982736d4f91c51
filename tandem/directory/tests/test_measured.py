"""The nightly recompute over real rows: referrals, their events, consult notes, questions, and
client answers, on the fixed dataset of test_metrics (Patriots' Day and the DST change)."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tandem.care.messaging.models import Message, MessageThread
from tandem.care.notes.models import ConsultNote, DeliveryStatus, NoteDelivery, NoteStatus
from tandem.clients.models import Client
from tandem.core.roles import Role
from tandem.core.tests.factories import ClientFactory, add_to_care_team
from tandem.directory import actions
from tandem.directory.models import DirectoryClock, PracticeMetrics
from tandem.referrals.models import Referral, ReferralEvent, ReferralStatus
from tandem.referrals.tests.factories import ReferralWorld
from tandem.tests.support.clock import world_built_on
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
END = dt.datetime(2027, 4, 30, 12, 0, tzinfo=NY)
_built = world_built_on(dt.datetime(2027, 1, 4, 9, 0, tzinfo=NY))


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=NY)


#: (sent, responded, scheduled, first visit, note delivered) — as in test_metrics.
LOOP = [
    (at(4, 16, 16), at(4, 20, 10), at(4, 22, 9), None, None),
    (at(3, 12, 15), at(3, 15, 11), at(3, 16, 10), at(4, 9, 10), at(4, 12, 15)),
    (at(4, 5, 9), at(4, 5, 15), at(4, 6, 9), at(4, 26, 9), None),
    (at(4, 7, 16, 30), at(4, 8, 9, 30), at(4, 9, 11), at(4, 28, 10), at(4, 29, 16)),
    (at(4, 1, 10), at(4, 5, 10), at(4, 8, 10), at(4, 20, 10), at(4, 22, 12)),
    (at(3, 2, 12), at(3, 5, 17), at(3, 10, 9), at(3, 30, 10), at(4, 20, 10)),
    (at(2, 1, 10), at(2, 1, 10, 30), at(2, 3, 10), at(2, 22, 10), at(2, 24, 10)),
    (at(4, 29, 10), None, None, None, None),
    (at(1, 10, 10), at(1, 10, 11), at(1, 11, 10), None, None),  # before the period
]
QUESTIONS = [
    (at(4, 16, 16), at(4, 20, 9, 30)),
    (at(4, 5, 10), at(4, 5, 12)),
    (at(4, 6, 10), at(4, 6, 11)),
    (at(4, 7, 14), at(4, 8, 10)),
    (at(4, 10, 10), at(4, 12, 9)),
    (at(4, 27, 10), None),
]


def _event(referral: Referral, status: str, when: dt.datetime) -> None:
    event = ReferralEvent.objects.create(referral=referral, to_status=status)
    ReferralEvent.objects.filter(pk=event.pk).update(at=when)


def build(world: ReferralWorld) -> None:
    """Write the dataset as rows, each referral for its own client of the world's therapist."""
    for sent, responded, scheduled, visited, noted in LOOP:
        client = ClientFactory()
        add_to_care_team(client, world.therapist, Role.THERAPIST, primary=True)
        referral = Referral.objects.create(
            client=client, therapist=world.therapist, from_organisation=world.therapy,
            to_organisation=world.psychiatry, status=ReferralStatus.SENT,
            idempotency_key=uuid.uuid4(), payer="commercial", plan_type="PPO", visit_state="MA",
            service="medication_management", sent_at=sent, responded_at=responded,
        )  # fmt: skip
        if scheduled:
            _event(referral, ReferralStatus.SCHEDULED, scheduled)
        if visited:
            _event(referral, ReferralStatus.FIRST_VISIT_DONE, visited)
        if noted:
            note = ConsultNote.objects.create(
                client=client, author=world.prescriber, organisation=world.psychiatry,
                status=NoteStatus.SIGNED, signed_at=noted,
            )  # fmt: skip
            NoteDelivery.objects.create(
                note=note, recipient=world.therapist, recipient_organisation=world.therapy,
                status=DeliveryStatus.DELIVERED, reason="release", message="Covered.",
                decided_at=noted,
            )  # fmt: skip
    thread = MessageThread.objects.create(
        client=Client.objects.first(), subject="Dose question", started_by=world.therapist
    )
    for asked, answered in QUESTIONS:
        Message.objects.create(
            thread=thread, client=thread.client, author=world.therapist,
            organisation=world.therapy, body="A question.", is_question=True, created_at=asked,
            answered_at=answered,
            answered_by_organisation=world.psychiatry if answered else None,
        )  # fmt: skip


def test_the_recompute_writes_the_hand_computed_figures_from_the_rows():
    world = ReferralWorld()
    build(world)

    actions.recompute_metrics(now=END)

    m = PracticeMetrics.objects.get(organisation=world.psychiatry)
    assert (m.response_n, m.response_median_hours, m.response_p90_hours) == (7, 4.0, 29.0)
    assert (m.offer_n, m.offer_median_days) == (7, 4.0)
    assert (m.visit_n, m.visit_median_days) == (6, 21.0)
    assert (m.notes_n, m.notes_share) == (5, 0.8)
    assert (m.messages_n, m.messages_median_hours) == (5, 1.5)
    assert m.experience_n == 0
    assert m.heard_share is None
    assert m.period_end == END


def test_a_practice_with_no_referrals_yet_gets_a_row_with_no_figure():
    world = ReferralWorld()

    actions.recompute_metrics(now=END)

    m = PracticeMetrics.objects.get(organisation=world.psychiatry)
    assert m.response_n == 0
    assert m.response_median_hours is None
    assert m.visit_median_days is None


def test_the_command_starts_a_nightly_chain_that_the_worker_keeps_going(
    django_capture_on_commit_callbacks,
):
    world = ReferralWorld()
    build(world)

    with (
        time_machine.travel(END, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("recompute_directory")

    assert DirectoryClock.objects.get().next_run_on == dt.date(2027, 5, 1)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "tandem.directory.tasks.recompute_directory"
    assert queued.run_after == dt.datetime(2027, 5, 1, 2, 0, tzinfo=NY)

    # The worker runs it the next night; the figures move on and the next night is planned.
    with (
        time_machine.travel(dt.datetime(2027, 5, 1, 2, 5, tzinfo=NY), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run_worker()

    m = PracticeMetrics.objects.get(organisation=world.psychiatry)
    assert m.computed_at == dt.datetime(2027, 5, 1, 2, 5, tzinfo=NY)
    assert DirectoryClock.objects.get().next_run_on == dt.date(2027, 5, 2)
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_my_partners_shows_the_therapists_own_figures_beside_the_practice_wide_ones(client):
    world = ReferralWorld()
    build(world)
    actions.recompute_metrics(now=END)
    with time_machine.travel(END, tick=False):
        client.force_login(world.therapist)
        body = client.get(reverse("directory:partners")).content.decode()

    assert "Harborlight Psychiatry" in body
    assert "You have referred 9 clients here." in body
    assert body.count("median 4 business hours; 90th percentile 29 business hours") == 2
    assert "Sends consult notes" in body
