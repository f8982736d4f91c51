"""The measured figures and flags against values computed by hand on a fixed synthetic dataset.

The practice keeps Massachusetts business hours (9:00-17:00, America/New_York, MA holidays).
The dataset crosses Patriots' Day (Monday 19 April 2027) and the start of daylight saving
time (Sunday 14 March 2027), and holds a referral sent before the period (not counted).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tandem.core.calendar import BusinessCalendar
from tandem.directory import metrics
from tandem.directory.metrics import ExperienceFacts, MessageFacts, ReferralFacts

NY = ZoneInfo("America/New_York")
MA = BusinessCalendar()
END = dt.datetime(2027, 4, 30, 12, 0, tzinfo=NY)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=NY)


REFERRALS = [
    # Friday 16:00 -> Tuesday 10:00 over Patriots' Day: 1 h Friday + 1 h Tuesday = 2 h.
    ReferralFacts(1, at(4, 16, 16), at(4, 20, 10), scheduled_at=at(4, 22, 9)),
    # Friday 15:00 EST -> Monday 11:00 EDT over the DST change: 2 h + 2 h = 4 h.
    # First visit 28 local days later, although only 27 days 23 hours have elapsed.
    ReferralFacts(
        1,
        at(3, 12, 15),
        at(3, 15, 11),
        scheduled_at=at(3, 16, 10),
        first_visit_at=at(4, 9, 10),
        note_received_at=at(4, 12, 15),
    ),
    # Same day, 9:00 -> 15:00: 6 h. First visit 21 days later, note still within its window.
    ReferralFacts(
        2, at(4, 5, 9), at(4, 5, 15), scheduled_at=at(4, 6, 9), first_visit_at=at(4, 26, 9)
    ),
    # 16:30 -> next day 9:30: 0.5 h + 0.5 h = 1 h. Note two days after a visit on the 28th.
    ReferralFacts(
        2,
        at(4, 7, 16, 30),
        at(4, 8, 9, 30),
        scheduled_at=at(4, 9, 11),
        first_visit_at=at(4, 28, 10),
        note_received_at=at(4, 29, 16),
    ),
    # Thursday 10:00 -> Monday 10:00: 7 + 8 + 1 = 16 h.
    ReferralFacts(
        1,
        at(4, 1, 10),
        at(4, 5, 10),
        scheduled_at=at(4, 8, 10),
        first_visit_at=at(4, 20, 10),
        note_received_at=at(4, 22, 12),
    ),
    # Tuesday 12:00 -> Friday 17:00: 5 + 8 + 8 + 8 = 29 h. Note 21 days after the visit: late.
    ReferralFacts(
        1,
        at(3, 2, 12),
        at(3, 5, 17),
        scheduled_at=at(3, 10, 9),
        first_visit_at=at(3, 30, 10),
        note_received_at=at(4, 20, 10),
    ),
    # 10:00 -> 10:30: 0.5 h.
    ReferralFacts(
        2,
        at(2, 1, 10),
        at(2, 1, 10, 30),
        scheduled_at=at(2, 3, 10),
        first_visit_at=at(2, 22, 10),
        note_received_at=at(2, 24, 10),
    ),
    # Not answered yet: in no response figure.
    ReferralFacts(2, at(4, 29, 10)),
    # Sent before the period (90 days before 30 April noon is 30 January): not counted.
    ReferralFacts(1, at(1, 10, 10), at(1, 10, 11), scheduled_at=at(1, 11, 10)),
]
MESSAGES = [
    MessageFacts(at(4, 16, 16), at(4, 20, 9, 30)),  # 1 h + 0.5 h over Patriots' Day
    MessageFacts(at(4, 5, 10), at(4, 5, 12)),  # 2 h
    MessageFacts(at(4, 6, 10), at(4, 6, 11)),  # 1 h
    MessageFacts(at(4, 7, 14), at(4, 8, 10)),  # 3 h + 1 h
    MessageFacts(at(4, 10, 10), at(4, 12, 9)),  # Saturday -> Monday at opening: 0 h
    MessageFacts(at(4, 27, 10), None),  # still open: not counted
]
EXPERIENCES = [
    ExperienceFacts(True, True),
    ExperienceFacts(True, False),
    ExperienceFacts(False, False),
    ExperienceFacts(True, True),
    ExperienceFacts(None, None),  # skipped
    ExperienceFacts(True, True),
]


def test_business_hours_skip_the_holiday_and_ignore_the_daylight_saving_hour():
    assert metrics.business_hours(MA, at(4, 16, 16), at(4, 20, 10)) == 2.0
    assert metrics.business_hours(MA, at(3, 12, 15), at(3, 15, 11)) == 4.0


def test_days_are_counted_on_local_dates_across_the_daylight_saving_change():
    start, end = at(3, 12, 10), at(4, 9, 10)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(days=27, hours=23)
    assert metrics.local_days(MA, start, end) == 28


def test_the_figures_match_the_hand_computed_values():
    figures = metrics.compute(
        calendar=MA, period_end=END, referrals=REFERRALS, messages=MESSAGES, experiences=EXPERIENCES
    )

    assert figures.period_start == END - dt.timedelta(days=90)
    # Responses: 0.5, 1, 2, 4, 6, 16, 29 business hours.
    assert figures.response_n == 7
    assert figures.response_median_hours == 4.0
    assert figures.response_p90_hours == 29.0  # nearest rank: the 7th of 7
    # Offered: 2, 4, 1, 2, 7, 8 and 6 days -> 1, 2, 2, 4, 6, 7, 8.
    assert figures.offer_n == 7
    assert figures.offer_median_days == 4.0
    # First visits: 28, 21, 21, 19, 28, 21 days.
    assert figures.visit_n == 6
    assert figures.visit_median_days == 21.0
    # Notes: the visit of 26 April has no note and its 14 days are not over (left out);
    # on time 9 Apr, 28 Apr, 20 Apr, 22 Feb; late after 30 Mar -> 4 of 5.
    assert figures.notes_n == 5
    assert figures.notes_share == 0.8
    # Messages: 0, 1, 1.5, 2, 4 business hours.
    assert figures.messages_n == 5
    assert figures.messages_median_hours == 1.5
    # Experience: heard 4 of 5, enough time 3 of 5 (the skipped check counts in neither).
    assert figures.experience_n == 5
    assert figures.heard_share == 0.8
    assert figures.time_share == 0.6


def test_a_practice_with_no_referrals_yet_shows_no_figure_and_every_flag_says_not_enough_data():
    figures = metrics.compute(calendar=MA, period_end=END, referrals=[])

    assert figures.response_n == 0
    assert figures.response_median_hours is None
    assert figures.visit_median_days is None
    assert figures.notes_share is None
    flags = metrics.flags(figures, hours_per_day=8)
    assert flags.green == []
    assert flags.red == []
    assert {f.code for f in flags.thin} == {
        "responds",
        "seen_soon",
        "sends_notes",
        "long_wait",
        "rarely_communicates",
        "rushed",
    }


def test_four_cases_are_too_few_for_a_figure():
    figures = metrics.compute(calendar=MA, period_end=END, referrals=REFERRALS[:4])

    assert figures.response_n == 4
    assert figures.response_median_hours is None
    assert figures.response_p90_hours is None


def test_the_dataset_raises_the_green_flags_and_no_red_one():
    figures = metrics.compute(
        calendar=MA, period_end=END, referrals=REFERRALS, messages=MESSAGES, experiences=EXPERIENCES
    )
    flags = metrics.flags(figures, hours_per_day=metrics.hours_per_day(MA))

    assert [f.code for f in flags.green] == ["responds", "seen_soon", "sends_notes"]
    assert flags.red == []
    assert flags.thin == []


def test_long_waits_silence_and_rushed_visits_raise_the_red_flags():
    figures = metrics.Figures(
        period_start=END - dt.timedelta(days=90),
        period_end=END,
        response_n=9,
        response_median_hours=30.0,
        visit_n=6,
        visit_median_days=200.0,
        notes_n=6,
        notes_share=0.333,
        experience_n=5,
        heard_share=0.4,
        time_share=0.8,
    )
    flags = metrics.flags(figures, hours_per_day=8)

    assert [f.code for f in flags.red] == ["long_wait", "rarely_communicates", "rushed"]
    assert flags.green == []  # 30 business hours is more than two 8-hour days


def test_no_new_patient_slot_in_26_weeks_is_a_wait_over_six_months_even_without_visits():
    figures = metrics.compute(calendar=MA, period_end=END, referrals=[])

    flags = metrics.flags(figures, hours_per_day=8, next_slot_days=None, slot_horizon_days=26 * 7)

    assert [f.code for f in flags.red] == ["long_wait"]


@pytest.mark.parametrize(
    ("visit", "asked"), [(1, True), (2, False), (3, False), (4, True), (7, True), (0, False)]
)
def test_clients_are_asked_after_the_first_visit_and_every_third_after(visit, asked):
    assert metrics.experience_due(visit) is asked
