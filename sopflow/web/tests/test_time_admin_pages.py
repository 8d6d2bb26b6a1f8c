"""Admin pages for time and messages: calendar settings, robots, reminder rules, settings links."""

from __future__ import annotations

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.audit.models import AuditEvent
from sopflow.notify.models import Delivery, Robot
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.org.tests.builders import build_user, grant
from sopflow.scheduling.models import ScheduleRule
from sopflow.web.tests.html import text_of
from sopflow.worktime.models import WorkCalendar

DINGTALK_URL = "https://oapi.dingtalk.example/robot/send?access_token=SECRET-TOKEN"


@pytest.fixture
def process_admin(company: Company) -> User:
    user = build_user(company, employee_no="P001", name="流程管理员")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- calendar settings -------------------------------------------------------------------------

SETTINGS_FORM = {"timezone": "Asia/Shanghai", "working_periods": "08:30-12:00，13:00-17:30",
                 "weekend_days": ["6"], "quiet_start": "21:30", "quiet_end": "07:30"}


def test_hr_admin_saves_calendar_settings(hr_admin: User, company: Company) -> None:
    response = _client(hr_admin).post(reverse("web:worktime-settings"), SETTINGS_FORM)

    assert response.status_code == 302
    stored = WorkCalendar.objects.get(company=company)
    assert (stored.working_periods, stored.weekend_days, stored.quiet_start, stored.quiet_end) == (
        [["08:30", "12:00"], ["13:00", "17:30"]], [6], time(21, 30), time(7, 30))
    assert AuditEvent.objects.get(action="worktime.settings.updated").actor == hr_admin


def test_overlapping_periods_are_refused_with_the_reason(hr_admin: User) -> None:
    response = _client(hr_admin).post(reverse("web:worktime-settings"),
                                      SETTINGS_FORM | {"working_periods": "09:00-13:00, 12:00-18:00"})

    assert response.status_code == 422
    assert "不能重叠" in text_of(response.content, "error-working_periods")
    assert WorkCalendar.objects.exists() is False


def test_settings_form_shows_current_values(hr_admin: User) -> None:
    response = _client(hr_admin).get(reverse("web:worktime-settings"))

    assert response.status_code == 200
    assert b'value="09:00-12:00, 13:30-18:00"' in response.content


@pytest.mark.parametrize("method", ["get", "post"])
def test_employee_cannot_open_calendar_settings(method: str, alice: User) -> None:
    response = getattr(_client(alice), method)(reverse("web:worktime-settings"), SETTINGS_FORM)

    assert response.status_code == 404
    assert WorkCalendar.objects.exists() is False


# --- robots ------------------------------------------------------------------------------------

ROBOT_FORM = {"name": "市场部群", "platform": "dingtalk", "webhook_url": DINGTALK_URL,
              "secret": "SEC-123", "rate_limit_per_minute": "20"}


def test_process_admin_adds_robot_and_sees_secret_once(
    process_admin: User, marketing: Department
) -> None:
    client = _client(process_admin)

    created = client.post(reverse("web:notify-robots"), ROBOT_FORM | {"department": marketing.pk})
    later = client.get(reverse("web:notify-robots"))

    assert created.status_code == 200
    assert text_of(created.content, "robot-secret") == "SEC-123"
    robot = Robot.objects.get()
    assert (robot.department, robot.platform, robot.secret, robot.is_active) == (
        marketing, "dingtalk", "SEC-123", True)
    assert b"SEC-123" not in later.content
    assert b"SECRET-TOKEN" not in later.content
    assert "市场部群 钉钉 部门：市场部 https://oapi.dingtalk.example/robot/send?… · 已加签 启用" in (
        text_of(later.content, "robot-table"))


def test_robot_needs_a_department_or_template(process_admin: User) -> None:
    response = _client(process_admin).post(reverse("web:notify-robots"), ROBOT_FORM)

    assert response.status_code == 422
    assert "请选择部门或模板" in text_of(response.content, "robot-error")
    assert Robot.objects.exists() is False


def test_robot_toggle_and_test_message(process_admin: User, marketing: Department) -> None:
    client = _client(process_admin)
    client.post(reverse("web:notify-robots"), ROBOT_FORM | {"department": marketing.pk})
    robot = Robot.objects.get()

    client.post(reverse("web:notify-robot-toggle", args=[robot.pk]))
    client.post(reverse("web:notify-robot-test", args=[robot.pk]))

    assert Robot.objects.get().is_active is False
    delivery = Delivery.objects.get()
    assert (delivery.robot, delivery.channel, delivery.status, delivery.payload["title"]) == (
        robot, "robot", "queued", "sopflow 测试消息")
    assert AuditEvent.objects.get(action="notify.robot.tested").actor == process_admin


@pytest.mark.parametrize("url_name", ["web:notify-robots", "web:rules-list"])
def test_employee_cannot_open_message_admin_pages(url_name: str, alice: User) -> None:
    assert _client(alice).get(reverse(url_name)).status_code == 404


def test_employee_cannot_toggle_a_robot(process_admin: User, alice: User, marketing: Department) -> None:
    _client(process_admin).post(reverse("web:notify-robots"), ROBOT_FORM | {"department": marketing.pk})
    robot = Robot.objects.get()

    response = _client(alice).post(reverse("web:notify-robot-toggle", args=[robot.pk]))

    assert response.status_code == 404
    assert Robot.objects.get().is_active is True


# --- reminder rules ----------------------------------------------------------------------------


def test_process_admin_creates_reminder_rule_for_a_department(
    process_admin: User, alice: User, bob: User, carol: User, marketing: Department
) -> None:
    response = _client(process_admin).post(reverse("web:rules-list"), {
        "name": "周报提醒", "time_of_day": "17:00", "days": "working",
        "departments": [marketing.pk], "people": [carol.pk], "title": "请提交本周周报"})

    assert response.status_code == 302
    rule = ScheduleRule.objects.get()
    assert (rule.handler, rule.time_of_day, rule.days, rule.is_active) == (
        "notify.reminder", time(17, 0), "working", True)
    assert rule.payload["user_ids"] == sorted([alice.pk, bob.pk, carol.pk])
    assert rule.payload["audience"] == {"department_ids": [marketing.pk], "position_ids": [],
                                        "user_ids": [carol.pk]}
    assert AuditEvent.objects.get(action="scheduling.rule.created").actor == process_admin
    page = _client(process_admin).get(reverse("web:rules-list"))
    assert "周报提醒 17:00 · 仅工作日 1 个部门 1 位指定人员 共 3 人 请提交本周周报 启用 停用" in (
        text_of(page.content, "rule-table"))


def test_rule_without_audience_is_refused(process_admin: User) -> None:
    response = _client(process_admin).post(reverse("web:rules-list"), {
        "name": "空提醒", "time_of_day": "17:00", "days": "every_day", "title": "提醒"})

    assert response.status_code == 422
    assert "请选择提醒对象" in text_of(response.content, "rule-error")
    assert ScheduleRule.objects.exists() is False


def test_rule_toggle_disables_and_enables(process_admin: User, alice: User) -> None:
    client = _client(process_admin)
    client.post(reverse("web:rules-list"), {"name": "日报", "time_of_day": "19:00",
                                            "days": "working", "people": [alice.pk], "title": "日报"})
    rule = ScheduleRule.objects.get()

    client.post(reverse("web:rules-toggle", args=[rule.pk]))
    disabled = ScheduleRule.objects.get().is_active
    client.post(reverse("web:rules-toggle", args=[rule.pk]))

    assert (disabled, ScheduleRule.objects.get().is_active) == (False, True)
    assert AuditEvent.objects.filter(action="scheduling.rule.updated").count() == 2


# --- settings links ----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [
    ("alice", "我的代理"),
    ("hr_admin", "我的代理 员工代理设置 工作日历 日历设置"),
    ("process_admin", "我的代理 群机器人 定时提醒 外部 Webhook"),
    ("admin", "我的代理 员工代理设置 工作日历 日历设置 群机器人 定时提醒 外部 Webhook 后台任务"),
])
def test_settings_page_links_only_what_the_user_may_open(
    who: str, expected: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)

    response = _client(user).get(reverse("web:settings"))

    assert text_of(response.content, "settings-links") == expected
