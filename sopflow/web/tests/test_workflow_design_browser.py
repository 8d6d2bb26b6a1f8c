"""A process admin builds S2 in the flow designer on a tablet-sized screen (1024×768)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import login_in_browser
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.org.tests.builders import TEST_PASSWORD, build_user, grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1024, "height": 768}


def _insert(page: Any, where: str, kind: str, new_id: str) -> None:
    page.get_by_test_id(f"add-{where}").click()
    page.get_by_test_id(f"add-{where}-{kind}").click()
    page.get_by_test_id(f"edit-{new_id}" if kind != "condition_group" else f"group-{new_id}") \
        .wait_for()


def _settle(page: Any) -> None:
    """Wait until htmx is idle: no request in flight and the last swap settled (htmx wires up
    swapped-in elements only when they settle; a `change` fired before that is lost)."""
    page.wait_for_timeout(100)
    page.wait_for_function("() => !document.querySelector("
                           "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


def _edit(page: Any, node_id: str, name: str, rule: str, **selects: str) -> None:
    page.get_by_test_id(f"edit-{node_id}").click()
    page.locator(f"[data-testid=node-form][data-node={node_id}]").wait_for()
    _settle(page)
    page.get_by_test_id("rule-type").select_option(rule)
    _settle(page)  # the drawer re-renders for the chosen rule type
    page.get_by_test_id("node-name").fill(name)
    for testid, value in selects.items():
        if testid == "level":
            page.locator("#flow-drawer input[name=level]").fill(value)
        else:
            page.get_by_test_id(testid.replace("_", "-")).select_option(value)
            if testid == "node_mode":
                _settle(page)  # the drawer re-renders (quorum inputs only for quorum)
    page.get_by_test_id("node-save").click()
    page.get_by_test_id("drawer-saved").wait_for()


def test_process_admin_builds_s2_simulates_and_publishes(
        page: Any, live_server: Any, company: Company, alice: User, bob: User, carol: User,
        finance: Department) -> None:
    from sopflow.form_templates.tests.builders import build_template

    designer = build_user(company, employee_no="P001", name="苏畅")
    grant(designer, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    vp = build_user(company, employee_no="V001", name="赵副总")
    User.objects.filter(pk=bob.pk).update(manager=vp)
    template: FormTemplate = build_template(company, name="市场活动", code="campaign-b",
                                            scope={"everyone": True}, schema={"fields": [
                                                {"key": "f_budget", "type": "money",
                                                 "label": "预算金额", "required": True}]})

    login_in_browser(page, "P001", TEST_PASSWORD)
    page.goto(f"/templates/{template.pk}/flow/")
    _insert(page, "start", "approver", "approver_1")
    _edit(page, "approver_1", "部门负责人", "department_head", level="0", node_mode="any",
          policy_initiator="to_manager")
    _insert(page, "approver_1", "approver", "approver_2")
    _edit(page, "approver_2", "分管领导", "manager", level="2", node_mode="any")
    _insert(page, "approver_2", "condition_group", "condition_1")
    _insert(page, "branch_1", "approver", "approver_3")
    _edit(page, "approver_3", "财务会签", "named_department_head",
          rule_department=str(finance.pk), node_mode="any")

    page.get_by_test_id("flow-publish").click()
    assert "分支“条件1”还没有设置条件" in page.get_by_test_id("lint-errors").inner_text()

    page.get_by_test_id("edit-branch-branch_1").click()
    page.get_by_test_id("branch-form").wait_for()
    _settle(page)
    page.get_by_test_id("condition-field-0").select_option("f_budget")
    _settle(page)
    page.get_by_test_id("condition-op-0").select_option("gt")
    _settle(page)
    page.get_by_test_id("branch-name").fill("预算超过5万")
    page.get_by_test_id("condition-value-0").fill("50000")
    page.get_by_test_id("branch-save").click()
    page.get_by_test_id("drawer-saved").wait_for()
    assert "预算金额 大于 50000" in page.get_by_test_id("branch-branch_1").inner_text()

    for budget, finance_shown in (("200000", True), ("30000", False), ("50000", False)):
        page.get_by_test_id("flow-simulate").click()
        _settle(page)
        page.get_by_test_id("simulate-initiator").select_option(str(alice.pk))
        page.get_by_test_id("simulate-f_budget").fill(budget)
        page.get_by_test_id("simulate-run").click()
        _settle(page)
        page.get_by_test_id("simulate-result").wait_for()
        assert "市场部负责人：李强" in page.get_by_test_id("route-approver_1").inner_text()
        assert page.get_by_test_id("route-approver_3").count() == (1 if finance_shown else 0)
        if finance_shown:
            assert "冯静" in page.get_by_test_id("route-approver_3").inner_text()

    page.get_by_test_id("flow-publish").click()
    page.get_by_test_id("flow-publish-accept").or_(page.get_by_test_id("flow-published")) \
        .first.wait_for()
    if page.get_by_test_id("flow-publish-accept").count():
        page.get_by_test_id("flow-publish-accept").click()
    page.get_by_test_id("flow-published").wait_for()

    from sopflow.form_templates.tests.builders import build_submission
    from sopflow.workflow import services as workflow_services
    from sopflow.workflow.models import ApprovalTask

    values = {"f_budget": "200000"}
    route = workflow_services.preview_route_for(actor=alice, values=values,
                                                template_id=template.pk)
    submission = build_submission(alice, template, values=values)
    workflow_services.submit_for_approval(actor=alice, submission_id=submission.pk)
    assert [step.node_id for step in route if step.assignees] == [
        "approver_1", "approver_2", "approver_3"]
    task = ApprovalTask.objects.get(instance__submission=submission, status="open")
    assert (task.node_id, task.assignee_id) == ("approver_1", bob.pk)
