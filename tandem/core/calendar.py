"""Business days and business hours in a practice's own time zone and holiday calendar.

The referral response rule (docs/referrals.md), exactly:

* a referral received during business hours counts as received that day;
* one received after hours, or on a weekend or holiday, counts as received at
  the start of the next business day;
* it is due at the close of business on the Nth business day after the day it
  counts as received.

Example (Massachusetts, 9:00-17:00, N=1): received Friday 16 April 2027 at
17:00 → counts from Tuesday 20 April (Monday is Patriots' Day) → due Wednesday
21 April 2027 at 17:00.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property

import holidays


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "America/New_York"
    country: str = "US"
    subdivision: str = "MA"
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)
    _cache: dict[int, holidays.HolidayBase] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def _holidays(self, year: int) -> holidays.HolidayBase:
        if year not in self._cache:
            self._cache[year] = holidays.country_holidays(
                self.country, subdiv=self.subdivision or None, years=year
            )
        return self._cache[year]

    def holiday_name(self, day: dt.date) -> str | None:
        """Return the name of the holiday on ``day`` in this calendar, if it is one."""
        return self._holidays(day.year).get(day)

    def is_business_day(self, day: dt.date) -> bool:
        """Return whether ``day`` is a weekday that is not a holiday here."""
        return day.weekday() < 5 and self.holiday_name(day) is None

    def next_business_day(self, day: dt.date) -> dt.date:
        """Return the first business day strictly after ``day``."""
        day += dt.timedelta(days=1)
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def local(self, moment: dt.datetime) -> dt.datetime:
        """Return ``moment`` (aware) in the practice's time zone."""
        if moment.tzinfo is None:
            raise ValueError("Business rules need aware datetimes.")
        return moment.astimezone(self.zone)

    def counts_from(self, received: dt.datetime) -> dt.date:
        """Return the business day a message received at ``received`` counts as received on."""
        local = self.local(received)
        day = local.date()
        if self.is_business_day(day) and self.opens <= local.time() < self.closes:
            return day
        if self.is_business_day(day) and local.time() < self.opens:
            return day
        return self.next_business_day(day)

    def close_of(self, day: dt.date) -> dt.datetime:
        """Return the close of business on ``day`` as an aware datetime."""
        return dt.datetime.combine(day, self.closes, tzinfo=self.zone)

    def due(self, received: dt.datetime, business_days: int) -> dt.datetime:
        """Return when a response is due: close of business N business days after it counts."""
        if business_days < 0:
            raise ValueError("The target must be zero or more business days.")
        day = self.counts_from(received)
        for _ in range(business_days):
            day = self.next_business_day(day)
        return self.close_of(day)

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Return the business-hours seconds from ``start`` to ``end`` (negative when end is earlier)."""
        if end < start:
            return -self.business_seconds_between(end, start)
        start_l, end_l = self.local(start), self.local(end)
        total = 0.0
        day = start_l.date()
        while day <= end_l.date():
            if self.is_business_day(day):
                open_at = dt.datetime.combine(day, self.opens, tzinfo=self.zone)
                close_at = dt.datetime.combine(day, self.closes, tzinfo=self.zone)
                lo, hi = max(open_at, start_l), min(close_at, end_l)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return total
