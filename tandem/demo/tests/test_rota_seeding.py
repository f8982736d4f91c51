"""Seeding the on-call rota: a later seed extends it without touching the weeks already there.

``scripts/demo`` seeds at every start, so the rota must stay right however often and
however much later it runs. These tests seed for themselves (see test_seed_demo.py).
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tandem.care.crisis.actions import warn_rota_gaps
from tandem.care.crisis.models import OnCallShift
from tandem.care.crisis.selectors import rota_gaps
from tandem.demo import seed
from tandem.demo.crisis import week_starts
from tandem.notifications.models import Notification, NotificationKind
from tandem.organisations.models import Organisation

pytestmark = pytest.mark.django_db

# Monday 1 March 2027, 10:00 in Boston: daylight saving time starts on 14 March.
FIRST_SEED = dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.UTC)
LATER_SEED = FIRST_SEED + dt.timedelta(weeks=3, days=2)


def _shifts() -> set[tuple[int, int, int, dt.datetime, dt.datetime, int]]:
    return set(
        OnCallShift.objects.values_list(
            "pk", "organisation_id", "user_id", "starts_at", "ends_at", "order"
        )
    )


def test_a_later_seed_extends_the_rota_keeps_its_weeks_and_the_alternation():
    with time_machine.travel(FIRST_SEED, tick=False):
        first = seed.seed_demo()
    before = _shifts()
    # 17 weeks: two shifts a week at Harborlight, one at Quinsigamond
    assert first.created["on-call shifts"] == 17 * 3

    with time_machine.travel(LATER_SEED, tick=False):
        later = seed.seed_demo()

    # Three more weeks at the end; nothing already there changed
    assert later.created["on-call shifts"] == 3 * 3
    assert before <= _shifts()
    for organisation in Organisation.objects.filter(on_call_shifts__isnull=False).distinct():
        zone = ZoneInfo(organisation.time_zone)
        start = week_starts(zone, FIRST_SEED)[0]
        end = week_starts(zone, LATER_SEED)[-1] + dt.timedelta(weeks=1)
        # No gap, though the clocks went forward in the middle of it
        assert rota_gaps(organisation, start, end) == []
        firsts = list(
            OnCallShift.objects.filter(organisation=organisation, order=1)
            .order_by("starts_at")
            .values_list("user_id", flat=True)
        )
        if organisation.name == "Harborlight Psychiatry":
            assert all(a != b for a, b in itertools.pairwise(firsts))
        else:
            assert len(set(firsts)) == 1


def test_the_admin_is_warned_a_week_before_the_rota_runs_out():
    with time_machine.travel(FIRST_SEED, tick=False):
        seed.seed_demo()
    harborlight = Organisation.objects.get(name="Harborlight Psychiatry")
    end = week_starts(ZoneInfo(harborlight.time_zone), FIRST_SEED)[-1] + dt.timedelta(weeks=1)

    with time_machine.travel(end - dt.timedelta(days=10), tick=False):
        assert warn_rota_gaps(harborlight.pk) == 0
    with time_machine.travel(end - dt.timedelta(days=3), tick=False):
        assert warn_rota_gaps(harborlight.pk) == 1

    warned = Notification.objects.filter(kind=NotificationKind.ON_CALL_GAP)
    assert set(warned.values_list("recipient__email", flat=True)) == {
        "grace.whitcombe@demo.tandem.test"
    }
