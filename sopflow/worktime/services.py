"""Calendar use cases: sync national days from chinese-calendar, edit company days and settings.

Every write is one transaction with an audit row. Reading and arithmetic live in `calendar.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.errors import Forbidden, ValidationFailed
from sopflow.org.models import Company, User

from . import access
from .models import CalendarDay, WorkCalendar

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class SyncResult:
    year: int
    created: int
    updated: int
    removed: int
    available: bool


def sync_national_days(*, years: list[int], actor: User | None = None) -> list[SyncResult]:
    """Upsert national holidays and make-up workdays of `years` from chinese-calendar.

    Idempotent: a second run changes nothing. Rows typed in by hand (`source=manual`) are never
    touched. A year the library does not know is reported with `available=False`, not guessed.
    """
    from chinese_calendar import constants

    results = []
    for year in years:
        wanted: dict[date, tuple[str, str]] = {}
        for day, holiday in constants.holidays.items():
            if day.year == year:
                wanted[day] = (CalendarDay.Kind.HOLIDAY, _name(holiday))
        for day, holiday in constants.workdays.items():
            if day.year == year:
                wanted[day] = (CalendarDay.Kind.MAKEUP_WORKDAY, f"{_name(holiday)}调休上班")
        if not wanted:
            results.append(SyncResult(year, 0, 0, 0, available=False))
            continue
        with transaction.atomic():
            existing = {
                row.date: row
                for row in CalendarDay.objects.select_for_update().filter(
                    company__isnull=True, date__year=year
                )
            }
            created = updated = removed = 0
            for day, (kind, name) in sorted(wanted.items()):
                row = existing.get(day)
                if row is None:
                    CalendarDay.objects.create(
                        company=None, date=day, kind=kind, name=name,
                        source=CalendarDay.Source.CHINESE_CALENDAR,
                    )
                    created += 1
                elif row.source == CalendarDay.Source.CHINESE_CALENDAR and (
                    row.kind != kind or row.name != name
                ):
                    CalendarDay.objects.filter(pk=row.pk).update(kind=kind, name=name)
                    updated += 1
            for day, row in existing.items():
                if day not in wanted and row.source == CalendarDay.Source.CHINESE_CALENDAR:
                    row.delete()
                    removed += 1
            if created or updated or removed:
                record(
                    actor=actor, action="worktime.national_days.synced",
                    changes={"year": year, "created": created, "updated": updated,
                             "removed": removed},
                )
        results.append(SyncResult(year, created, updated, removed, available=True))
    return results


def set_day(
    *, actor: User, company: Company | None, day: date, kind: str, name: str = ""
) -> CalendarDay:
    """Add or change one day: a company day (HR admin of that company) or, with `company=None`,
    a national day typed in from the State Council's notice (global HR/system admin)."""
    _check(actor, company)
    if kind not in CalendarDay.Kind.values:
        raise ValidationFailed(gettext("类型无效"), field="kind")
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(company=company, date=day).first()
        before = {"kind": row.kind, "name": row.name} if row else {}
        if row is None:
            row = CalendarDay.objects.create(
                company=company, date=day, kind=kind, name=name[:100],
                source=CalendarDay.Source.MANUAL,
            )
        else:
            row.kind, row.name, row.source = kind, name[:100], CalendarDay.Source.MANUAL
            row.save(update_fields=["kind", "name", "source", "updated_at"])
        record(
            actor=actor, action="worktime.day.set", obj=row,
            company_id=company.pk if company else None,
            changes={"date": day.isoformat(), "before": before, "kind": kind, "name": name},
        )
    return row


def remove_day(*, actor: User, company: Company | None, day: date) -> bool:
    """Remove a day exception; False when there was none."""
    _check(actor, company)
    with transaction.atomic():
        row = CalendarDay.objects.filter(company=company, date=day).first()
        if row is None:
            return False
        record(
            actor=actor, action="worktime.day.removed", obj=row,
            company_id=company.pk if company else None,
            changes={"date": day.isoformat(), "kind": row.kind, "name": row.name},
        )
        row.delete()
    return True


def update_settings(
    *,
    actor: User,
    company: Company,
    timezone: str,
    working_periods: list[list[str]],
    weekend_days: list[int],
    quiet_start: time,
    quiet_end: time,
) -> WorkCalendar:
    """Change time zone, working hours, weekend days and quiet hours of `company`."""
    _check(actor, company)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(gettext("时区无效"), field="timezone") from None
    if not working_periods:
        raise ValidationFailed(gettext("至少需要一个工作时段"), field="working_periods")
    previous_end = "00:00"
    for period in working_periods:
        if len(period) != 2 or not all(_HHMM.match(p) for p in period) or period[0] >= period[1]:
            raise ValidationFailed(gettext("工作时段格式应为 09:00-12:00，且开始早于结束"), field="working_periods")
        if period[0] < previous_end:
            raise ValidationFailed(gettext("工作时段不能重叠，需按时间先后排列"), field="working_periods")
        previous_end = period[1]
    if any(d not in range(7) for d in weekend_days) or len(set(weekend_days)) == 7:
        raise ValidationFailed(gettext("休息日无效"), field="weekend_days")
    with transaction.atomic():
        settings, _ = WorkCalendar.objects.select_for_update().get_or_create(company=company)
        before = {"timezone": settings.timezone, "working_periods": settings.working_periods,
                  "weekend_days": settings.weekend_days,
                  "quiet": [settings.quiet_start.isoformat(), settings.quiet_end.isoformat()]}
        settings.timezone = timezone
        settings.working_periods = working_periods
        settings.weekend_days = sorted(set(weekend_days))
        settings.quiet_start, settings.quiet_end = quiet_start, quiet_end
        settings.save()
        after = {"timezone": timezone, "working_periods": working_periods,
                 "weekend_days": settings.weekend_days,
                 "quiet": [quiet_start.isoformat(), quiet_end.isoformat()]}
        record(actor=actor, action="worktime.settings.updated", obj=settings,
               company_id=company.pk, changes={"before": before, "after": after})
    return settings


def _check(actor: User, company: Company | None) -> None:
    allowed = (
        access.can_edit_national_days(actor)
        if company is None
        else access.can_edit_calendar(actor, company)
    )
    if not allowed:
        raise Forbidden(gettext("只有人事管理员可以修改工作日历"))


def _name(holiday: object) -> str:
    value = getattr(holiday, "value", holiday)
    return HOLIDAY_NAMES.get(str(value), str(value or ""))
