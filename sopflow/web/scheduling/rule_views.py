"""定时提醒 (system and process admins): daily reminder rules of the ready-made "notify.reminder"
kind: time of day, working days or every day, an audience and a message; switch on/off."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError, NotFound
from sopflow.notify import services as notify_services
from sopflow.org import queries as org_queries
from sopflow.org.models import Company, User
from sopflow.scheduling import access, services
from sopflow.scheduling.models import ScheduleRule
from sopflow.web.org.forms import StyledForm


class ReminderRuleForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    time_of_day = forms.TimeField(label=gettext_lazy("提醒时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    days = forms.ChoiceField(label=gettext_lazy("日期"), choices=ScheduleRule.Days.choices,
                             initial=ScheduleRule.Days.WORKING, widget=forms.RadioSelect)
    departments = forms.TypedMultipleChoiceField(label=gettext_lazy("部门（含下级部门）"), coerce=int, required=False)
    positions = forms.TypedMultipleChoiceField(label=gettext_lazy("岗位"), coerce=int, required=False)
    people = forms.TypedMultipleChoiceField(label=gettext_lazy("人员"), coerce=int, required=False)
    title = forms.CharField(label=gettext_lazy("提醒内容"), max_length=200)
    body = forms.CharField(label=gettext_lazy("补充说明"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [  # type: ignore[attr-defined]  # ChoiceField
            (d.pk, d.name) for d in org_queries.list_departments(company, include_inactive=False)]
        self.fields["positions"].choices = [  # type: ignore[attr-defined]  # ChoiceField
            (p.pk, p.name) for p in org_queries.positions_of(company)]
        self.fields["people"].choices = [  # type: ignore[attr-defined]  # ChoiceField
            (u.pk, f"{u.name}（{u.employee_no}）") for u in org_queries.list_employees(company)]
        for name in ("departments", "positions", "people"):
            self.fields[name].widget.attrs["size"] = 6
        self.fields["days"].widget.attrs.pop("class", None)


def rule_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    company = _company(user)
    form = ReminderRuleForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notify_services.create_reminder_rule(
                actor=user, company=company, name=data["name"], time_of_day=data["time_of_day"],
                days=data["days"], title=data["title"], body=data["body"],
                department_ids=data["departments"], position_ids=data["positions"],
                user_ids=data["people"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, gettext("定时提醒已创建"))
            return redirect("web:rules-list")
    return render(request, "web/scheduling/rules.html", {
        "form": form, "company": company,
        "rules": access.rules_visible_to(user).filter(company=company),
    }, status=422 if form.errors else 200)


@require_POST
def rule_toggle(request: HttpRequest, rule_id: int) -> HttpResponse:
    try:
        rule = access.get_rule_for(request.user, rule_id)  # type: ignore[arg-type]  # logged in
    except NotFound:
        raise Http404 from None
    services.set_rule_active(actor=request.user, rule=rule, is_active=not rule.is_active)  # type: ignore[arg-type]  # logged in
    messages.success(request, (gettext("“%(name)s”已启用") if not rule.is_active else gettext("“%(name)s”已停用")) % {"name": rule.name or rule.key})
    return redirect("web:rules-list")


def _company(user: User) -> Company:
    companies = access.rule_companies(user)
    own = next((company for company in companies if company.pk == user.company_id), None)
    company = own or (companies[0] if companies else None)
    if company is None:
        raise Http404
    return company
