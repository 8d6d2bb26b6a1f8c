"""工作日历: the year's holidays and make-up days, company days editable by HR admins."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.clock import clock
from sopflow.core.errors import DomainError
from sopflow.worktime import access, queries, services
from sopflow.worktime.calendar import calendar_for
from sopflow.worktime.models import CalendarDay


def calendar_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    company = user.company  # type: ignore[union-attr]  # logged in
    today = clock.today_local().date()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    calendar = calendar_for(company)
    return render(request, "web/worktime/calendar.html", {
        "year": year,
        "days": queries.list_days(company=company, year=year),
        "settings": queries.settings_for(company) if company else None,
        "can_edit": company is not None and access.can_edit_calendar(user, company),  # type: ignore[arg-type]  # logged in
        "can_edit_national": access.can_edit_national_days(user),  # type: ignore[arg-type]  # logged in
        "missing_year": queries.year_missing_holiday_data(now=clock.now()),
        "kinds": CalendarDay.Kind.choices,
        "working_days_this_year": calendar.working_days_between(date(year, 1, 1), date(year, 12, 31)),
    })


@require_POST
def day_set(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
        company = None if request.POST.get("scope") == "national" else request.user.company  # type: ignore[union-attr]  # logged in
        services.set_day(actor=request.user, company=company, day=day,  # type: ignore[arg-type]  # logged in
                         kind=request.POST.get("kind", ""), name=request.POST.get("name", ""))
        messages.success(request, gettext("已保存 %(day)s") % {"day": day})
    except ValueError:
        messages.error(request, gettext("日期格式应为 2027-01-01"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"/time/calendar/?year={request.POST.get('date', '')[:4]}")


@require_POST
def day_remove(request: HttpRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
        company = None if request.POST.get("scope") == "national" else request.user.company  # type: ignore[union-attr]  # logged in
        services.remove_day(actor=request.user, company=company, day=day)  # type: ignore[arg-type]  # logged in
    except ValueError:
        messages.error(request, gettext("日期格式无效"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"/time/calendar/?year={request.POST.get('date', '')[:4]}")
