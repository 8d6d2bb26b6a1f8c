"""The node drawer's overdue escalation: notify the assignee's manager, the department head
and/or named people (engine `NotifyTarget`s), saved, shown again, linted and run."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.workflow.design import editing
from sopflow.workflow.design import services as design_services

pytestmark = pytest.mark.django_db

SCHEMA: dict[str, Any] = {"fields": [
    {"key": "f_title", "type": "text", "label": "活动名称", "required": True}]}


@pytest.fixture
def process_admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="P001", name="苏畅")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


@pytest.fixture
def template(company: Company) -> FormTemplate:
    from sopflow.form_templates.tests.builders import build_template

    return build_template(company, schema=SCHEMA, name="市场活动", code="campaign-e",
                          scope={"everyone": True})


@pytest.fixture
def designer(client: Client, process_admin: User, template: FormTemplate) -> Client:
    client.force_login(process_admin)
    client.post(reverse("web:flow-op", args=[template.pk]),
                {"op": "insert", "kind": "approver", "after": "start"}, HTTP_HX_REQUEST="true")
    return client


def _url(template: FormTemplate) -> str:
    return reverse("web:flow-node", args=[template.pk, "approver_1"])


def _deadline(template: FormTemplate, actor: User) -> dict[str, Any]:
    found = editing.find(design_services.get_draft(actor=actor, template_id=template.pk).flow,
                         "approver_1")
    assert found is not None
    return dict(found.item)["deadline"]


def _save(designer: Client, template: FormTemplate, **deadline: Any) -> str:
    response = designer.post(_url(template), {
        "name": "部门负责人审核", "rule_type": "department_head", "level": "0", "mode": "any",
        "allowed_actions": ["approve", "reject"], "deadline_on": "on", "working_days": "2",
        "remind_assignee": "on", **deadline})
    assert response.status_code == 200, response.content.decode()
    return response.content.decode()


def test_department_head_and_named_people_round_trip_and_pass_the_lint(
        designer: Client, process_admin: User, template: FormTemplate, carol: User,
        dave: User) -> None:
    _save(designer, template, notify_manager_after="4",
          notify_targets=["department_head", "users"],
          notify_user_ids=[str(carol.pk), str(dave.pk)], manager_repeats="2",
          manager_repeat_hours="24")

    assert _deadline(template, process_admin)["on_due"] == [
        {"after_hours": 0, "action": "notify", "notify": ["assignee"], "to_user_id": None},
        {"after_hours": 4, "action": "notify", "notify": ["department_head", "users"],
         "to_user_id": None, "user_ids": [carol.pk, dave.pk], "repeat_every_hours": 24,
         "max_repeats": 2}]
    shown = designer.get(_url(template)).content.decode()
    assert 'name="notify_targets" value="department_head" checked' in shown
    assert 'name="notify_targets" value="users" checked' in shown
    assert 'name="notify_targets" value="manager">' in shown
    assert f'<option value="{carol.pk}" selected>' in shown
    assert f'<option value="{dave.pk}" selected>' in shown
    findings = design_services.lint_draft(actor=process_admin, template_id=template.pk)
    assert [f for f in findings if f.code == "deadline_without_escalation"] == []


def test_picking_people_implies_the_named_people_target(
        designer: Client, process_admin: User, template: FormTemplate, carol: User) -> None:
    _save(designer, template, notify_manager_after="0", notify_targets=["manager"],
          notify_user_ids=[str(carol.pk)])

    step = _deadline(template, process_admin)["on_due"][-1]
    assert (step["notify"], step["user_ids"]) == (["manager", "users"], [carol.pk])


def test_without_a_choice_the_manager_is_notified_as_before(
        designer: Client, process_admin: User, template: FormTemplate) -> None:
    _save(designer, template, notify_manager_after="8")

    step = _deadline(template, process_admin)["on_due"][-1]
    assert (step["after_hours"], step["notify"], step.get("user_ids")) == (8, ["manager"], None)
    assert 'name="notify_targets" value="manager" checked' in designer.get(
        _url(template)).content.decode()
