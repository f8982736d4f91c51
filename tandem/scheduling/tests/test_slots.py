"""Open slots from weekly hours, in the practice's zone: holidays, DST, time off, buffers, notice."""

import datetime as dt

import pytest

from tandem.scheduling import selectors
from tandem.scheduling.models import TimeOff
from tandem.scheduling.tests.factories import BOSTON, Practice, at

pytestmark = pytest.mark.django_db


def starts(slots):
    return [s.starts_at.astimezone(BOSTON).strftime("%a %d %H:%M") for s in slots]


def test_a_60_minute_visit_fits_three_block_hours_at_half_hour_steps():
    p = Practice()
    slots = selectors.slots(
        p.org, p.new_eval, days=(dt.date(2027, 4, 14), dt.date(2027, 4, 14)), now=at(2027, 4, 1, 9)
    )
    assert starts(slots) == [
        "Wed 14 09:00",
        "Wed 14 09:30",
        "Wed 14 10:00",
        "Wed 14 10:30",
        "Wed 14 11:00",
    ]


def test_weekends_and_patriots_day_offer_nothing():
    p = Practice()
    slots = selectors.slots(
        p.org, p.follow_up, days=(dt.date(2027, 4, 17), dt.date(2027, 4, 19)), now=at(2027, 4, 1, 9)
    )
    assert slots == []  # Sat 17, Sun 18, Mon 19 (Patriots' Day)


def test_buffer_is_part_of_what_must_fit():
    p = Practice(buffer=30)
    slots = selectors.slots(
        p.org, p.new_eval, days=(dt.date(2027, 4, 14), dt.date(2027, 4, 14)), now=at(2027, 4, 1, 9)
    )
    assert starts(slots)[-1] == "Wed 14 10:30"  # 10:30 + 60 + 30 = 12:00


def test_time_off_and_minimum_notice_remove_slots():
    p = Practice()
    TimeOff.objects.create(
        prescriber=p.prescriber, starts_at=at(2027, 4, 14, 9), ends_at=at(2027, 4, 14, 10, 30)
    )
    slots = selectors.slots(
        p.org,
        p.follow_up,
        days=(dt.date(2027, 4, 13), dt.date(2027, 4, 14)),
        now=at(2027, 4, 12, 10),
    )
    # Tue 13 10:00 or later is inside the 24 h notice; Wed 14 before 10:30 is time off.
    assert starts(slots) == [
        "Tue 13 10:00",
        "Tue 13 10:30",
        "Tue 13 11:00",
        "Tue 13 11:30",
        "Wed 14 10:30",
        "Wed 14 11:00",
        "Wed 14 11:30",
    ]


def test_slots_stay_at_local_nine_across_daylight_saving():
    p = Practice()
    slots = selectors.slots(
        p.org, p.follow_up, days=(dt.date(2027, 3, 12), dt.date(2027, 3, 15)), now=at(2027, 3, 1, 9)
    )
    fridays = [s.starts_at for s in slots if s.starts_at.astimezone(BOSTON).day == 12]
    mondays = [s.starts_at for s in slots if s.starts_at.astimezone(BOSTON).day == 15]
    assert fridays[0].astimezone(BOSTON).hour == mondays[0].astimezone(BOSTON).hour == 9
    assert fridays[0].astimezone(dt.UTC).hour == 14  # EST before the change
    assert mondays[0].astimezone(dt.UTC).hour == 13  # EDT after


@pytest.mark.parametrize("weeks", [1, 12])
def test_slot_lookup_costs_a_constant_number_of_queries(weeks, django_assert_num_queries):
    p = Practice()
    selectors.settings_for(p.org)
    with django_assert_num_queries(5):
        slots = selectors.slots(p.org, p.follow_up, weeks=weeks, now=at(2027, 4, 1, 9))
    assert len(slots) > weeks
