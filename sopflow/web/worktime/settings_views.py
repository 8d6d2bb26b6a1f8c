"""日历设置 (HR admins): time zone, working hours, weekend days and quiet hours of the company."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from sopflow.core.errors import DomainError
from sopflow.org.models import Company, User
from sopflow.web.org.forms import StyledForm
from sopflow.worktime import access, queries, services

WEEKDAYS = [(0, "周一"), (1, "周二"), (2, "周三"), (3, "周四"), (4, "周五"), (5, "周六"), (6, "周日")]
TIMEZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
             "Europe/Berlin", "America/Los_Angeles", "UTC"]
_PERIOD = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})\s*$")


class CalendarSettingsForm(StyledForm):
    """Parses the text fields; the service checks order, overlap and the zone name."""

    timezone = forms.CharField(label=gettext_lazy("时区"), max_length=50)
    working_periods = forms.CharField(
        label=gettext_lazy("工作时段"), max_length=200,
        help_text=gettext_lazy("用逗号分隔，如 09:00-12:00, 13:30-18:00"))
    weekend_days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("休息日"), choices=WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple)
    quiet_start = forms.TimeField(label=gettext_lazy("免打扰开始"), widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_end = forms.TimeField(label=gettext_lazy("免打扰结束"), widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weekend_days"].widget.attrs.pop("class", None)

    def clean_working_periods(self) -> list[list[str]]:
        periods = []
        for part in re.split(r"[,，;；\n]+", self.cleaned_data["working_periods"]):
            if not part.strip():
                continue
            match = _PERIOD.match(part)
            if match is None:
                raise forms.ValidationError("工作时段格式应为 09:00-12:00")
            periods.append([value.zfill(5) for value in match.groups()])
        return periods


def calendar_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    company = _editable_company(user)
    current = queries.settings_for(company)
    initial = {
        "timezone": current.timezone,
        "working_periods": ", ".join(f"{start}-{end}" for start, end in current.working_periods),
        "weekend_days": current.weekend_days,
        "quiet_start": current.quiet_start, "quiet_end": current.quiet_end,
    }
    form = CalendarSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(actor=user, company=company, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, gettext("日历设置已保存"))
            return redirect("web:worktime-settings")
    return render(request, "web/worktime/settings.html", {
        "form": form, "company": company, "timezones": TIMEZONES,
    }, status=422 if form.errors else 200)


def _editable_company(user: User) -> Company:
    company = user.company
    if company is None or not access.can_edit_calendar(user, company):
        raise Http404
    return company
