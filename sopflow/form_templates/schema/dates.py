"""Working-day arithmetic. The calendar is a port: the company calendar is passed in, never read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol


class WorkCalendar(Protocol):
    """Answers "is this a working day?" (holidays and make-up working days included)."""

    def is_working_day(self, day: date) -> bool: ...


@dataclass(frozen=True, slots=True)
class WeekdayCalendar:
    """Monday to Friday. The fallback until the company's statutory calendar is configured."""

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class Duration:
    """Both ends inclusive: 2026-09-30..2026-10-10 is 11 calendar days."""

    calendar_days: int
    working_days: int


def count_days(start: date, end: date, calendar: WorkCalendar) -> Duration:
    """Calendar and working days from `start` to `end`, both inclusive (0 when end < start)."""
    if end < start:
        return Duration(0, 0)
    total = (end - start).days + 1
    working = sum(1 for offset in range(total)
                  if calendar.is_working_day(start + timedelta(days=offset)))
    return Duration(total, working)
