"""A task a dead worker left RUNNING is picked up again, with no cron on any machine.

The sweep (``tandem.core.stalled``) runs in the task workers and schedules its own
next run; ``manage.py requeue_stalled_tasks --every N`` starts it at every start of
every machine, and the deployment keeps exactly one sweep waiting.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tandem.referrals.tasks import check_response_clock
from tandem.tests.support.tasks import run_worker

pytestmark = pytest.mark.django_db

SWEEP = "tandem.core.stalled.sweep_stalled_tasks"


def _waiting_sweeps():
    return DBTaskResult.objects.filter(task_path=SWEEP, status=TaskResultStatus.READY)


def _start() -> None:
    call_command("requeue_stalled_tasks", "--every", "300", stdout=mock.MagicMock())


def _stalled_job() -> DBTaskResult:
    """A real Tandem job that a worker claimed 20 minutes ago and then died holding."""
    check_response_clock.enqueue(0, 1)  # no referral 0: the job finds nothing to do
    row = DBTaskResult.objects.get(task_path__endswith="check_response_clock")
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - dt.timedelta(minutes=20)
    )
    return row


def test_every_machine_starting_leaves_one_sweep_waiting_in_five_minutes():
    # When three machines start, each asking for a sweep every 5 minutes
    before = timezone.now()
    for _ in range(3):
        _start()

    # Then one sweep waits, due 5 minutes later
    (sweep,) = _waiting_sweeps()
    assert before + dt.timedelta(seconds=300) <= sweep.run_after
    assert sweep.run_after <= timezone.now() + dt.timedelta(seconds=300)


def test_the_sweep_returns_a_dead_workers_job_to_the_queue_and_it_runs():
    job = _stalled_job()
    _start()

    # When five minutes pass and a worker runs what is due
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=301), tick=False):
        run_worker()

        # Then the job the dead worker held has run again, to its end
        job.refresh_from_db()
        assert job.status != TaskResultStatus.RUNNING
        assert job.finished_at is not None
        # And the next sweep waits five minutes after this one
        (following,) = _waiting_sweeps()
        assert following.run_after == timezone.now() + dt.timedelta(seconds=300)


def test_a_job_still_inside_its_time_is_left_to_the_worker_running_it():
    job = _stalled_job()
    DBTaskResult.objects.filter(pk=job.pk).update(started_at=timezone.now())
    _start()

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=301), tick=False):
        run_worker()

    job.refresh_from_db()
    assert job.status == TaskResultStatus.RUNNING  # 5 minutes in, under the 15-minute cut-off


def test_a_sweep_that_dies_has_already_scheduled_the_next():
    _start()
    with (
        time_machine.travel(timezone.now() + dt.timedelta(seconds=301), tick=False),
        mock.patch("tandem.core.stalled.requeue_stalled", side_effect=RuntimeError("killed")),
    ):
        run_worker()

    # The sweep failed, yet the chain goes on
    assert DBTaskResult.objects.filter(task_path=SWEEP, status=TaskResultStatus.FAILED).count() == 1
    assert _waiting_sweeps().count() == 1


def test_the_command_refuses_a_sweep_more_often_than_every_ten_seconds():
    with pytest.raises(CommandError, match="--every must be at least 10 seconds"):
        call_command("requeue_stalled_tasks", "--every", "5", stdout=mock.MagicMock())
    assert not _waiting_sweeps().exists()
