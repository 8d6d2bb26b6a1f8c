"""Read side of the calendar: day lists and the "next year has no holiday data" check."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from sopflow.org.models import Company

from .models import CalendarDay, WorkCalendar

WARNING_FROM_MONTH = 12


def list_days(*, company: Company | None, year: int) -> QuerySet[CalendarDay]:
    """National days plus the company's own for `year`, in date order."""
    scope = Q(company__isnull=True) if company is None else Q(company__isnull=True) | Q(company=company)
    return CalendarDay.objects.filter(scope, date__year=year).order_by("date", "company_id")


def year_missing_holiday_data(*, now: datetime, tz: str = "Asia/Shanghai") -> int | None:
    """From 1 December: the coming year when it has no national holiday rows yet, else None.

    Only the national table counts: the library knows ≤2026 and admins type in the State
    Council's dates for later years.
    """
    local = now.astimezone(ZoneInfo(tz))
    if local.month < WARNING_FROM_MONTH:
        return None
    year = local.year + 1
    has_data = CalendarDay.objects.filter(
        company__isnull=True, date__year=year, kind=CalendarDay.Kind.HOLIDAY
    ).exists()
    return None if has_data else year


def settings_for(company: Company) -> WorkCalendar:
    """The stored settings, or unsaved defaults when the company never changed them."""
    return WorkCalendar.objects.filter(company=company).first() or WorkCalendar(company=company)
