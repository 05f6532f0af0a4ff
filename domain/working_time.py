"""Working hours: when "4 working hours" after a report ends, and when a reminder may go out.

The default is Monday–Friday 8–16 Europe/Copenhagen without Danish holidays; a unit with other hours (a shift
workplace: care, libraries, evening hours) has its own `WorkingHours` (days, hours, time zone, whether Danish
holidays are days off), so its cases escalate on its own clock. Public holidays come from the maintained
`holidays` package (Denmark), with its optional days off (Grundlovsdag, juleaftensdag, nytårsaftensdag, 1. maj)
counted as days off by default, as most municipal workplaces do. Everything is computed in the calendar's local
time and returned in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = frozenset(range(5))


@lru_cache(maxsize=64)
def _danish_days_off(year: int, include_optional: bool) -> frozenset[date]:
    categories = ("public", "optional") if include_optional else ("public",)
    return frozenset(holidays.country_holidays("DK", years=year, categories=categories))


class WorkingCalendar:
    """Working days (`days`: weekday numbers, Monday 0; default Monday–Friday) except Danish holidays unless
    `danish_holidays` is false, working hours `start`–`end` local time in `zone`."""

    def __init__(
        self,
        start: time = time(8, 0),
        end: time = time(16, 0),
        *,
        include_optional_days_off: bool = True,
        zone: ZoneInfo = COPENHAGEN,
        days: frozenset[int] = MONDAY_TO_FRIDAY,
        danish_holidays: bool = True,
    ) -> None:
        if not start < end:
            raise ValueError("the working day must start before it ends")
        if not days or not days <= set(range(7)):
            raise ValueError("working days are weekday numbers 0 (Monday) to 6 (Sunday), at least one")
        self.start, self.end, self.zone = start, end, zone
        self.days, self._holidays = days, danish_holidays
        self._optional = include_optional_days_off

    def load_days_off(self, years: range) -> None:
        """Read these years' holidays now (at start-up): the first read imports the holiday tables, which takes
        seconds of CPU and would otherwise hold up the first report filed."""
        for year in years:
            _danish_days_off(year, self._optional)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.days:
            return False
        return not self._holidays or day not in _danish_days_off(day.year, self._optional)

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


class WorkingHours(BaseModel):
    """One unit's working hours as configured (WORKING_HOURS_BY_UNIT): days, hours, time zone, holidays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: tuple[Weekday, ...] = Field(default=WEEKDAYS[:5], min_length=1)
    start: time = time(8, 0)
    end: time = time(16, 0)
    zone: str = "Europe/Copenhagen"
    danish_holidays: bool = True

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _starts_before_it_ends(self) -> WorkingHours:
        if not self.start < self.end:
            raise ValueError("the working day must start before it ends")
        return self

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            self.start,
            self.end,
            zone=ZoneInfo(self.zone),
            days=frozenset(WEEKDAYS.index(day) for day in self.days),
            danish_holidays=self.danish_holidays,
        )
