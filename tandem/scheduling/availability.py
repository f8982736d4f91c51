"""Open slots: a prescriber's weekly hours, minus holidays, time off, notice and what is taken.

Pure functions over loaded rows, computed in the practice's time zone so a
9:00 block stays 9:00 local across daylight-saving changes.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tandem.core.calendar import BusinessCalendar

STEP = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Block:
    weekday: int
    starts: dt.time
    ends: dt.time


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.start < end and start < self.end


def open_slots(
    *,
    calendar: BusinessCalendar,
    blocks: Iterable[Block],
    busy: Iterable[Interval],
    first_day: dt.date,
    last_day: dt.date,
    blocked: dt.timedelta,
    earliest: dt.datetime,
) -> list[dt.datetime]:
    """Return the start times (aware, practice zone) at which a visit fits.

    A slot fits when the whole blocked time (visit plus buffer) lies inside one
    block of weekly hours on a business day, starts no earlier than
    ``earliest``, and overlaps nothing in ``busy`` (appointments, holds, time off).
    """
    by_day: dict[int, list[Block]] = {}
    for block in blocks:
        by_day.setdefault(block.weekday, []).append(block)
    collides = _collision_test(busy)
    earliest_ts = earliest.timestamp()
    span = blocked.total_seconds()
    slots: list[dt.datetime] = []
    day = first_day
    while day <= last_day:
        if calendar.is_business_day(day):
            for block in sorted(by_day.get(day.weekday(), []), key=lambda b: b.starts):
                start = dt.datetime.combine(day, block.starts, tzinfo=calendar.zone)
                close = dt.datetime.combine(day, block.ends, tzinfo=calendar.zone).timestamp()
                while (begin := start.timestamp()) + span <= close:
                    if begin >= earliest_ts and not collides(begin, begin + span):
                        slots.append(start)
                    start = _step(start, calendar)
        day += dt.timedelta(days=1)
    return slots


def _collision_test(busy: Iterable[Interval]) -> Callable[[float, float], bool]:
    """Return a test "does [begin, end) overlap anything busy?" costing O(log n) per call.

    Intervals are sorted by start with a running maximum of their ends: those
    starting before ``end`` collide exactly when the largest of their ends is
    after ``begin``. Times are compared as POSIX seconds (aware-datetime
    comparisons across zones are slow).
    """
    spans = sorted((i.start.timestamp(), i.end.timestamp()) for i in busy)
    starts = [b for b, _ in spans]
    running_max: list[float] = []
    top = float("-inf")
    for _, finish in spans:
        top = max(top, finish)
        running_max.append(top)

    def collides(begin: float, end: float) -> bool:
        count = bisect.bisect_left(starts, end)
        return count > 0 and running_max[count - 1] > begin

    return collides


def _step(moment: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    # Step in wall-clock time so slots stay on the local half hours across DST.
    naive = moment.replace(tzinfo=None) + STEP
    return naive.replace(tzinfo=calendar.zone)


def units(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Return the 15-minute unit starts (UTC) covering [start, end)."""
    unit = dt.timedelta(minutes=15)
    first = start.astimezone(dt.UTC)
    minute = first.minute - first.minute % 15
    cursor = first.replace(minute=minute, second=0, microsecond=0)
    out = []
    stop = end.astimezone(dt.UTC)
    while cursor < stop:
        out.append(cursor)
        cursor += unit
    return out
