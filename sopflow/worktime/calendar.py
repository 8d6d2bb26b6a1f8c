"""Working-time arithmetic over one company's calendar, plus duration value objects.

`CompanyCalendar` is plain Python built from rows once (`calendar_for(company)`), then answers
every question from memory. It also satisfies the form schema's `WorkCalendar` protocol
(`is_working_day(day) -> bool`), so it can be passed to `form_templates.schema.dates` directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db.models import Q

from .models import CalendarDay, WorkCalendar, default_weekend_days, default_working_periods

MAX_SCAN_DAYS = 3660  # refuses to walk more than ~10 years (a calendar with no working day)


def _parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class CompanyCalendar:
    """A company's working days and hours. Datetimes in, aware datetimes (company zone) out."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(18)))
    weekend_days: frozenset[int] = frozenset({5, 6})
    days: Mapping[date, str] = field(default_factory=dict)  # date -> CalendarDay.Kind value
    quiet_start: time = time(22)
    quiet_end: time = time(8)

    # --- days -----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        kind = self.days.get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.MAKEUP_WORKDAY
        return day.weekday() not in self.weekend_days

    def working_days_between(self, start: date, end: date) -> int:
        """Working days from `start` to `end`, both inclusive (0 when `end` is before `start`)."""
        if end < start:
            return 0
        total = (end - start).days + 1
        return sum(1 for offset in range(total) if self.is_working_day(start + timedelta(days=offset)))

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("calendar has no working day in ten years")

    # --- moments --------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("needs an aware datetime")
        return moment.astimezone(self.timezone)

    def add_hours(self, start: datetime, hours: float | Decimal) -> datetime:
        """Clock hours: nights, weekends and holidays count."""
        return self.local(start) + timedelta(hours=float(hours))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day, `days` working days later (Friday 17:00 + 2 → Tuesday 17:00).

        Counting starts on the day after `start`, whether or not `start` itself is a working day.
        """
        moment = self.local(start)
        day = moment.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, moment.timetz().replace(tzinfo=None), tzinfo=self.timezone)

    def add_working_hours(self, start: datetime, hours: float | Decimal) -> datetime:
        """Walk forward through working periods of working days only.

        An exact end of a period stays there (16:00 + 2 working hours = 18:00, not 09:00 next day).
        """
        remaining = timedelta(hours=float(hours))
        cursor = self.local(start)
        if remaining <= timedelta(0):
            return cursor
        day = cursor.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin = max(cursor, datetime.combine(day, period_start, tzinfo=self.timezone))
                    end = datetime.combine(day, period_end, tzinfo=self.timezone)
                    if end <= begin:
                        continue
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)
            cursor = datetime.combine(day, time(0), tzinfo=self.timezone)
        raise ValueError("calendar has no working hours in ten years")

    def is_working_time(self, moment: datetime) -> bool:
        local = self.local(moment)
        if not self.is_working_day(local.date()):
            return False
        return any(start <= local.time() < end for start, end in self.periods)

    def is_quiet_time(self, moment: datetime) -> bool:
        """Inside quiet hours (22:00–08:00 by default; a window may cross midnight)."""
        now = self.local(moment).time()
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= now < self.quiet_end
        return now >= self.quiet_start or now < self.quiet_end

    def next_delivery_moment(self, moment: datetime, *, working_days_only: bool = False) -> datetime:
        """`moment` itself unless it falls in quiet hours (or, if asked, on a non-working day);
        otherwise the end of quiet hours on the next acceptable day."""
        local = self.local(moment)
        quiet = self.is_quiet_time(local)
        off_day = working_days_only and not self.is_working_day(local.date())
        if not quiet and not off_day:
            return local
        day = local.date()
        if quiet and self.quiet_start > self.quiet_end and local.time() >= self.quiet_start:
            day += timedelta(days=1)  # evening: quiet hours end tomorrow morning
        candidate = datetime.combine(day, self.quiet_end, tzinfo=self.timezone)
        if working_days_only and not self.is_working_day(day):
            candidate = datetime.combine(self.next_working_day(day), self.quiet_end, tzinfo=self.timezone)
        return max(candidate, local)


def build_calendar(settings: WorkCalendar | None, days: Mapping[date, str]) -> CompanyCalendar:
    periods = settings.working_periods if settings else default_working_periods()
    weekend = settings.weekend_days if settings else default_weekend_days()
    return CompanyCalendar(
        timezone=ZoneInfo(settings.timezone if settings else "Asia/Shanghai"),
        periods=tuple((_parse_time(a), _parse_time(b)) for a, b in periods),
        weekend_days=frozenset(int(d) for d in weekend),
        days=days,
        quiet_start=settings.quiet_start if settings else time(22),
        quiet_end=settings.quiet_end if settings else time(8),
    )


def calendar_for(company: object | None) -> CompanyCalendar:
    """The calendar of `company` (national days overlaid with its own), memoised on the object.

    The memo lives as long as the company instance, i.e. one request or one job. `None` gives
    the national calendar with default settings.
    """
    cached = getattr(company, "_sopflow_calendar", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]  # set below
    company_id = getattr(company, "pk", None)
    settings = WorkCalendar.objects.filter(company_id=company_id).first() if company_id else None
    calendar = build_calendar(settings, _Days(company_id))
    if company is not None:
        company._sopflow_calendar = calendar  # type: ignore[attr-defined]  # per-object memo
    return calendar


class _Days(Mapping[date, str]):
    """The national special days overlaid with the company's, read on first use: quiet hours
    alone do not need them, and most notices only ask about quiet hours."""

    def __init__(self, company_id: int | None) -> None:
        self._company_id = company_id
        self._days: dict[date, str] | None = None

    def _all(self) -> dict[date, str]:
        if self._days is None:
            rows = CalendarDay.objects.filter(
                Q(company__isnull=True) | Q(company_id=self._company_id)
            ).values_list("company_id", "date", "kind")
            days: dict[date, str] = {}
            for _owner, day, kind in sorted(rows, key=lambda row: row[0] is not None):
                days[day] = kind  # company rows sort last, so they override national ones
            self._days = days
        return self._days

    def __getitem__(self, day: date) -> str:
        return self._all()[day]

    def __iter__(self) -> Iterator[date]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def forget_calendar(company: object) -> None:
    if hasattr(company, "_sopflow_calendar"):
        del company._sopflow_calendar  # type: ignore[attr-defined]  # per-object memo


# --- durations ------------------------------------------------------------------------------


class DurationUnit(StrEnum):
    HOURS = "hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


_LABELS = {
    DurationUnit.HOURS: "小时",
    DurationUnit.WORKING_HOURS: "个工作小时",
    DurationUnit.WORKING_DAYS: "个工作日",
}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(hours?|working[ _]hours?|working[ _]days?)\s*$")


@dataclass(frozen=True, slots=True)
class WorkDuration:
    """"N hours", "N working hours" or "N working days"; stored as `{"amount": "2", "unit": ...}`."""

    amount: Decimal
    unit: DurationUnit

    @classmethod
    def parse(cls, text: str) -> WorkDuration:
        match = _PATTERN.match(text.lower())
        if match is None:
            raise ValueError(f"not a duration: {text!r}")
        word = match.group(2).replace(" ", "_").rstrip("s")
        unit = {"hour": DurationUnit.HOURS, "working_hour": DurationUnit.WORKING_HOURS,
                "working_day": DurationUnit.WORKING_DAYS}[word]
        return cls(Decimal(match.group(1)), unit)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> WorkDuration:
        return cls(Decimal(str(data["amount"])), DurationUnit(data["unit"]))

    def to_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "unit": self.unit.value}

    def after(self, start: datetime, calendar: CompanyCalendar) -> datetime:
        """The deadline: `start` plus this duration on `calendar`."""
        if self.unit is DurationUnit.HOURS:
            return calendar.add_hours(start, self.amount)
        if self.unit is DurationUnit.WORKING_HOURS:
            return calendar.add_working_hours(start, self.amount)
        if self.amount != self.amount.to_integral_value():
            # Half a working day is expressed in working hours of the company's day length.
            return calendar.add_working_hours(start, self.amount * Decimal(str(_day_hours(calendar))))
        return calendar.add_working_days(start, int(self.amount))

    def halved(self) -> WorkDuration:
        """加急 default: half the time, same unit."""
        return WorkDuration(self.amount / 2, self.unit)

    def __str__(self) -> str:
        amount = self.amount.normalize()
        return f"{amount:f}{_LABELS[self.unit]}"


def _day_hours(calendar: CompanyCalendar) -> float:
    today = date(2000, 1, 3)
    return sum(
        (datetime.combine(today, end) - datetime.combine(today, start)).total_seconds() / 3600
        for start, end in calendar.periods
    )
