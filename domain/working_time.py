"""Working hours on Danish working days: when "4 working hours" after a report ends, and when a reminder may go out.

Public holidays come from the maintained `holidays` package (Denmark), with its optional days off
(Grundlovsdag, juleaftensdag, nytårsaftensdag, 1. maj) counted as days off by default, as most municipal
workplaces do. Everything is computed in local time (Europe/Copenhagen) and returned in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@lru_cache(maxsize=64)
def _danish_days_off(year: int, include_optional: bool) -> frozenset[date]:
    categories = ("public", "optional") if include_optional else ("public",)
    return frozenset(holidays.country_holidays("DK", years=year, categories=categories))


class WorkingCalendar:
    """Working days Monday–Friday except Danish holidays, working hours `start`–`end` local time."""

    def __init__(
        self,
        start: time = time(8, 0),
        end: time = time(16, 0),
        *,
        include_optional_days_off: bool = True,
        zone: ZoneInfo = COPENHAGEN,
    ) -> None:
        if not start < end:
            raise ValueError("the working day must start before it ends")
        self.start, self.end, self.zone = start, end, zone
        self._optional = include_optional_days_off

    def load_days_off(self, years: range) -> None:
        """Read these years' holidays now (at start-up): the first read imports the holiday tables, which takes
        seconds of CPU and would otherwise hold up the first report filed."""
        for year in years:
            _danish_days_off(year, self._optional)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _danish_days_off(day.year, self._optional)

    def next_working_day(self, day: date) -> date:
        """The first working day on or after `day`."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def last_working_day(self, day: date) -> date:
        """The last working day on or before `day`: where a reminder before a deadline goes when its day is off."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def local(self, day: date, at: time) -> datetime:
        """A local wall-clock time on `day`, as UTC."""
        return datetime.combine(day, at, self.zone).astimezone(UTC)

    def add_working_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment when `hours` of working time have passed after `moment` (time outside hours does not count)."""
        remaining = timedelta(hours=hours)
        local = moment.astimezone(self.zone)
        day, clock = local.date(), local.time()
        while True:
            if self.is_working_day(day) and clock < self.end:
                begin = datetime.combine(day, max(clock, self.start), self.zone)
                end = datetime.combine(day, self.end, self.zone)
                if begin + remaining <= end:
                    return (begin + remaining).astimezone(UTC)
                remaining -= end - begin
            day, clock = day + timedelta(days=1), time(0, 0)

    def within_hours(self, moment: datetime) -> datetime:
        """`moment` if it falls in working hours, else the start of the next working day."""
        local = moment.astimezone(self.zone)
        if self.is_working_day(local.date()) and self.start <= local.time() < self.end:
            return moment.astimezone(UTC)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        return self.local(self.next_working_day(day), self.start)
