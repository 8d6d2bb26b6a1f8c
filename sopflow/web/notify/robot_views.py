"""群机器人 (system and process admins): list, add (the signing secret is shown once), switch
on/off and send a test message."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError, NotFound
from sopflow.form_templates.access import templates_manageable_by
from sopflow.notify import access, services
from sopflow.notify.models import Robot
from sopflow.org import queries as org_queries
from sopflow.org.models import Company, User
from sopflow.web.org.forms import StyledForm


class RobotForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    platform = forms.ChoiceField(label=gettext_lazy("平台"), choices=Robot.Platform.choices)
    webhook_url = forms.URLField(label=gettext_lazy("Webhook 地址"), max_length=500, assume_scheme="https")
    secret = forms.CharField(label=gettext_lazy("加签密钥（钉钉、飞书可选）"), max_length=200, required=False)
    department = forms.TypedChoiceField(label=gettext_lazy("推送部门的消息"), coerce=int, required=False,
                                        empty_value=None)
    template_key = forms.ChoiceField(label=gettext_lazy("推送模板的消息"), required=False)
    rate_limit_per_minute = forms.IntegerField(label=gettext_lazy("每分钟上限"), min_value=1, max_value=60,
                                               initial=20)

    def __init__(self, *args: Any, company: Company, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = org_queries.list_departments(company, include_inactive=False)
        self.fields["department"].choices = [("", "—")] + [  # type: ignore[attr-defined]  # ChoiceField
            (department.pk, department.name) for department in departments]
        codes = template_codes(user, company)
        self.fields["template_key"].choices = [("", "—")] + [  # type: ignore[attr-defined]  # ChoiceField
            (code, name) for code, name in codes]
        self._departments = {department.pk: department for department in departments}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("department") and not cleaned.get("template_key"):
            raise forms.ValidationError("请选择部门或模板（至少一项），机器人只推送它们的消息")
        return cleaned

    def department_object(self) -> Any:
        return self._departments.get(self.cleaned_data.get("department") or 0)


def template_codes(user: User, company: Company) -> list[tuple[str, str]]:
    """(code, name) of the templates the admin manages in `company` (robots match on the code)."""
    return list(templates_manageable_by(user).filter(company=company, is_active=True).order_by(
        "category", "pk").values_list("code", "name"))


def robot_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    company = _company(user)
    form = RobotForm(request.POST or None, company=company, user=user)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_robot(
                actor=user, company=company, name=form.cleaned_data["name"],
                platform=form.cleaned_data["platform"],
                webhook_url=form.cleaned_data["webhook_url"], secret=form.cleaned_data["secret"],
                department=form.department_object(), template_key=form.cleaned_data["template_key"],
                rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            form = RobotForm(company=company, user=user)
    robots = access.robots_visible_to(user).filter(company=company)
    names = dict(template_codes(user, company))
    response = render(request, "web/notify/robots.html", {
        "form": form, "company": company, "created": created,
        "rows": [(robot, _masked(robot.webhook_url), names.get(robot.template_key, robot.template_key))
                 for robot in robots],
    }, status=422 if form.errors else 200)
    if created is not None:
        response["Cache-Control"] = "no-store"  # the page shows the secret once
    return response


@require_POST
def robot_toggle(request: HttpRequest, robot_id: int) -> HttpResponse:
    robot = _robot(request, robot_id)
    services.set_robot_active(actor=request.user, robot=robot, is_active=not robot.is_active)  # type: ignore[arg-type]  # logged in
    messages.success(request, (gettext("机器人“%(name)s”已启用") if robot.is_active else gettext("机器人“%(name)s”已停用")) % {"name": robot.name})
    return redirect("web:notify-robots")


@require_POST
def robot_test(request: HttpRequest, robot_id: int) -> HttpResponse:
    robot = _robot(request, robot_id)
    services.send_robot_test(actor=request.user, robot=robot)  # type: ignore[arg-type]  # logged in
    messages.success(request, gettext("测试消息已发往“%(name)s”，结果见后台任务页") % {"name": robot.name})
    return redirect("web:notify-robots")


def _company(user: User) -> Company:
    companies = access.robot_companies(user)
    own = next((company for company in companies if company.pk == user.company_id), None)
    company = own or (companies[0] if companies else None)
    if company is None:
        raise Http404
    return company


def _robot(request: HttpRequest, robot_id: int) -> Robot:
    try:
        return access.get_robot_for(request.user, robot_id)  # type: ignore[arg-type]  # logged in
    except NotFound:
        raise Http404 from None


def _masked(url: str) -> str:
    """Host and path only: the query (DingTalk access_token, WeCom key) is a credential."""
    parts = urlsplit(url)
    path = parts.path if len(parts.path) <= 24 else parts.path[:12] + "…"
    return f"{parts.scheme}://{parts.netloc}{path}" + ("?…" if parts.query else "")
