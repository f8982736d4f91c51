"""The business-day clock on real calendar dates, across weekends and Massachusetts holidays."""

import datetime as dt
import zoneinfo

import pytest

from tandem.core.calendar import BusinessCalendar

BOSTON = zoneinfo.ZoneInfo("America/New_York")
MA = BusinessCalendar()


def at(y, m, d, hh=12, mm=0, tz=BOSTON):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


def test_the_issues_example_friday_before_patriots_day():
    # Received Fri 16 Apr 2027 17:00, one business day: counts from Tue 20 Apr, due Wed 21 Apr 17:00.
    received = at(2027, 4, 16, 17, 0)
    assert MA.holiday_name(dt.date(2027, 4, 19)) == "Patriots' Day"
    assert MA.counts_from(received) == dt.date(2027, 4, 20)
    assert MA.due(received, 1) == at(2027, 4, 21, 17, 0)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (at(2027, 4, 14, 10, 0), 1, at(2027, 4, 15, 17)),  # Wed in hours -> Thu close
        (at(2027, 4, 14, 16, 59), 1, at(2027, 4, 15, 17)),  # one minute before close still counts
        (at(2027, 4, 14, 17, 0), 1, at(2027, 4, 16, 17)),  # at close -> counts Thu -> due Fri
        (at(2027, 4, 14, 8, 0), 1, at(2027, 4, 15, 17)),  # before opening counts that day
        (at(2027, 4, 16, 10, 0), 1, at(2027, 4, 20, 17)),  # Fri -> skip weekend and Patriots' Day
        (at(2027, 4, 17, 11, 0), 2, at(2027, 4, 22, 17)),  # Sat -> counts Tue -> 2 days -> Thu
        (at(2027, 4, 15, 12, 0), 2, at(2027, 4, 20, 17)),  # Thu + 2 over weekend and holiday
        (at(2027, 11, 24, 12, 0), 1, at(2027, 11, 26, 17)),  # Thanksgiving Thu 25 Nov skipped
        (at(2027, 7, 2, 18, 0), 1, at(2027, 7, 7, 17)),  # Fri evening, Mon 5 Jul observed holiday
        (at(2027, 12, 31, 9, 30), 1, at(2028, 1, 3, 17)),  # across the new year
    ],
)
def test_due_times_on_real_dates(received, days, due):
    assert MA.due(received, days) == due


def test_practice_zone_differs_from_server_zone():
    # 22:30 UTC on Wed 14 Apr 2027 is 18:30 in Boston: after hours, counts from Thu.
    received = dt.datetime(2027, 4, 14, 22, 30, tzinfo=dt.UTC)
    assert MA.due(received, 1) == at(2027, 4, 16, 17)
    pacific = BusinessCalendar(time_zone="America/Los_Angeles", subdivision="CA")
    # Same instant is 15:30 in Los Angeles: in hours there, counts that day.
    assert pacific.due(received, 1) == dt.datetime(
        2027, 4, 15, 17, tzinfo=zoneinfo.ZoneInfo("America/Los_Angeles")
    )


def test_daylight_saving_change_keeps_close_of_business_at_local_17():
    # DST starts Sun 14 Mar 2027 in the US.
    due = MA.due(at(2027, 3, 12, 10), 1)
    assert due == at(2027, 3, 15, 17)
    assert due.utcoffset() == dt.timedelta(hours=-4)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        MA.due(dt.datetime(2027, 4, 14, 12), 1)


def test_business_seconds_skip_nights_weekends_and_holidays():
    # Fri 16 Apr 16:00 to Tue 20 Apr 10:00: 1h Friday + 1h Tuesday (Mon is Patriots' Day).
    assert MA.business_seconds_between(at(2027, 4, 16, 16), at(2027, 4, 20, 10)) == 2 * 3600
    assert MA.business_seconds_between(at(2027, 4, 20, 10), at(2027, 4, 16, 16)) == -2 * 3600
