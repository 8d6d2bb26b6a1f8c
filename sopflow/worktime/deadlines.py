"""How a due time reads in lists: "已超时 N 小时" after it, "剩余 N 工作小时" before it.

Pure functions over a `CompanyCalendar`; `now` is passed in. The `{% due_marker %}` template
tag (`templatetags/worktime.py`) is a thin wrapper that reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .calendar import MAX_SCAN_DAYS, CompanyCalendar

SOON_WORKING_HOURS = 4  # half a working day: the marker turns amber


class DueLevel(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TIME = "on_time"


@dataclass(frozen=True, slots=True)
class DueStatus:
    """`hours`: whole clock hours past the due time (overdue) or whole working hours left."""

    level: DueLevel
    hours: int
    label: str

    @property
    def is_overdue(self) -> bool:
        return self.level is DueLevel.OVERDUE


def due_status(
    *, due_at: datetime, now: datetime, calendar: CompanyCalendar,
    soon_hours: int = SOON_WORKING_HOURS,
) -> DueStatus:
    """The marker for `due_at` seen at `now`.

    Overdue (from the due moment itself) counts clock hours, nights and holidays included,
    because that is how long the item has been waiting. Before it, the remaining time counts
    working hours only, because that is the time the assignee actually has. Fractions round
    down; under one hour reads "不到 1".
    """
    if now >= due_at:
        hours = int((now - due_at) / timedelta(hours=1))
        text = "不到 1" if hours < 1 else str(hours)
        return DueStatus(DueLevel.OVERDUE, hours, f"已超时 {text} 小时")
    remaining = working_hours_between(calendar, now, due_at)
    hours = int(remaining / timedelta(hours=1))
    text = "不到 1" if hours < 1 else str(hours)
    level = DueLevel.DUE_SOON if remaining <= timedelta(hours=soon_hours) else DueLevel.ON_TIME
    return DueStatus(level, hours, f"剩余 {text} 工作小时")


def working_hours_between(calendar: CompanyCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time inside [start, end): the overlap with every working period of every working
    day (zero when `end` is not after `start`)."""
    begin, finish = calendar.local(start), calendar.local(end)
    total = timedelta(0)
    day = begin.date()
    for _ in range(MAX_SCAN_DAYS):
        if day > finish.date():
            break
        if calendar.is_working_day(day):
            for period_start, period_end in calendar.periods:
                low = max(begin, datetime.combine(day, period_start, tzinfo=calendar.timezone))
                high = min(finish, datetime.combine(day, period_end, tzinfo=calendar.timezone))
                if high > low:
                    total += high - low
        day += timedelta(days=1)
    return total
