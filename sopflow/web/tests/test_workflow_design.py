"""The flow designer through the web client and the API: build S2, lint, simulate, publish."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.workflow.models import DefinitionVersion

S2_SCHEMA: dict[str, Any] = {"fields": [
    {"key": "f_title", "type": "text", "label": "活动名称", "required": True},
    {"key": "f_budget", "type": "money", "label": "预算金额", "required": True},
]}


@pytest.fixture
def process_admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="P001", name="苏畅")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


@pytest.fixture
def vp(company: Company, bob: User) -> User:
    from sopflow.org.tests.builders import build_user

    boss = build_user(company, employee_no="V001", name="赵副总")
    bob.manager = boss
    bob.save(update_fields=["manager"])
    return boss


@pytest.fixture
def campaign(company: Company) -> FormTemplate:
    from sopflow.form_templates.tests.builders import build_template

    return build_template(company, schema=S2_SCHEMA, name="市场活动", code="campaign-x",
                          scope={"everyone": True})


def _op(client: Client, template: FormTemplate, **data: str) -> Any:
    return client.post(reverse("web:flow-op", args=[template.pk]), data,
                       HTTP_HX_REQUEST="true")


def _build_s2(client: Client, template: FormTemplate, finance: Department) -> None:
    node_url = lambda node_id: reverse("web:flow-node", args=[template.pk, node_id])  # noqa: E731
    assert _op(client, template, op="insert", kind="approver", after="start").status_code == 200
    client.post(node_url("approver_1"), {"name": "部门负责人", "rule_type": "department_head",
                                         "level": "0", "mode": "any", "nobody": "to_process_admin",
                                         "initiator": "to_manager",
                                         "allowed_actions": ["approve", "reject", "return"]})
    _op(client, template, op="insert", kind="approver", after="approver_1")
    client.post(node_url("approver_2"), {"name": "分管领导", "rule_type": "manager", "level": "2",
                                         "mode": "any", "initiator": "to_manager",
                                         "allowed_actions": ["approve", "reject"]})
    _op(client, template, op="insert", kind="condition_group", after="approver_2")
    _op(client, template, op="insert", kind="approver", into_branch="branch_1")
    client.post(node_url("approver_3"), {"name": "财务会签", "rule_type": "named_department_head",
                                         "department_id": str(finance.pk), "mode": "any",
                                         "allowed_actions": ["approve", "reject"]})


def _set_budget_condition(client: Client, template: FormTemplate) -> Any:
    return client.post(reverse("web:flow-branch", args=[template.pk, "branch_1"]), {
        "name": "预算超过5万", "rows": "1", "row-0-field": "f_budget", "row-0-op": "gt",
        "row-0-value": "50000"}, HTTP_HX_REQUEST="true")


def test_process_admin_builds_s2_lint_blocks_until_the_branch_has_a_condition(
        client: Client, process_admin: User, campaign: FormTemplate, finance: Department,
        alice: User, carol: User, vp: User) -> None:
    client.force_login(process_admin)
    _build_s2(client, campaign, finance)

    refused = client.post(reverse("web:flow-publish", args=[campaign.pk]))
    assert refused.status_code == 422
    assert "分支“条件1”还没有设置条件" in refused.content.decode()
    assert not DefinitionVersion.objects.filter(published_at__isnull=False).exists()

    assert _set_budget_condition(client, campaign).status_code == 200
    big = client.post(reverse("web:flow-simulate", args=[campaign.pk]), {
        "initiator_id": alice.pk, "value_f_budget": "200000"}).content.decode()
    small = client.post(reverse("web:flow-simulate", args=[campaign.pk]), {
        "initiator_id": alice.pk, "value_f_budget": "50000"}).content.decode()
    published = client.post(reverse("web:flow-publish", args=[campaign.pk]), {"accept": "1"})

    assert "财务部负责人：冯静" in big
    assert "市场部负责人：李强" in big
    assert "发起人的 2 级主管：赵副总" in big
    assert "财务会签" not in small.split("simulate-result")[1]
    assert "预算金额为 50000，不满足“预算金额 大于 50000”" in small
    assert published.status_code == 200, published.content.decode()
    version = DefinitionVersion.objects.get(published_at__isnull=False)
    assert version.template_version_id == campaign.current_version_id
    assert version.spec["flow"]["child"]["name"] == "部门负责人"


def test_a_submission_after_publishing_routes_as_simulated(
        client: Client, process_admin: User, campaign: FormTemplate, finance: Department,
        alice: User, bob: User, carol: User, vp: User) -> None:
    from sopflow.form_templates.tests.builders import build_submission
    from sopflow.workflow import services as workflow_services
    from sopflow.workflow.models import ApprovalTask

    client.force_login(process_admin)
    _build_s2(client, campaign, finance)
    _set_budget_condition(client, campaign)
    client.post(reverse("web:flow-publish", args=[campaign.pk]), {"accept": "1"})
    values = {"f_title": "秋季发布会", "f_budget": "200000"}
    simulated = client.post(f"/api/v1/flows/{campaign.pk}/simulate",
                            {"initiator_id": alice.pk, "values": values},
                            content_type="application/json").json()

    submission = build_submission(alice, campaign, values=values)
    route = workflow_services.preview_route_for(actor=alice, values=values,
                                                template_id=campaign.pk)
    workflow_services.submit_for_approval(actor=alice, submission_id=submission.pk)

    assert [(s["node_id"], s["people"]) for s in simulated["steps"] if s["people"]] == [
        ("approver_1", ["市场部负责人：李强"]), ("approver_2", ["发起人的 2 级主管：赵副总"]),
        ("approver_3", ["财务部负责人：冯静"])]
    assert [(step.node_id, [a.user_id for a in step.assignees]) for step in route
            if step.assignees] == [("approver_1", [bob.pk]), ("approver_2", [vp.pk]),
                                   ("approver_3", [carol.pk])]
    task = ApprovalTask.objects.get(instance__submission=submission, status="open")
    assert (task.node_id, task.assignee_id) == ("approver_1", bob.pk)


def test_the_default_branch_cannot_be_deleted_from_the_page(
        client: Client, process_admin: User, campaign: FormTemplate) -> None:
    client.force_login(process_admin)
    _op(client, campaign, op="insert", kind="condition_group", after="start")

    response = _op(client, campaign, op="delete_branch", branch_id="branch_2")

    assert response.status_code == 422
    assert "默认分支“其他情况”不能删除" in response.content.decode()


def test_designer_page_renders_the_tree_for_a_process_admin_only(
        client: Client, process_admin: User, alice: User, campaign: FormTemplate) -> None:
    url = reverse("web:flow-design", args=[campaign.pk])
    client.force_login(alice)
    assert client.get(url).status_code in (403, 404)

    client.force_login(process_admin)
    page = client.get(url).content.decode()

    assert 'data-testid="node-start"' in page
    assert 'data-testid="add-start-condition_group"' in page


def test_api_draft_lint_simulate_publish_and_bpmn(
        client: Client, process_admin: User, campaign: FormTemplate, finance: Department,
        alice: User, carol: User, vp: User) -> None:
    client.force_login(process_admin)
    base = f"/api/v1/flows/{campaign.pk}"
    flow = {"type": "start", "id": "start", "name": "发起人", "child": {
        "type": "approver", "id": "head", "name": "部门负责人", "mode": "any",
        "approver_rule": {"type": "department_head", "level": 0},
        "policies": {"initiator": "to_manager"},
        "child": {"type": "condition_group", "id": "rule", "name": "预算规则", "branches": [
            {"id": "big", "name": "预算超过5万",
             "condition": {"field": "f_budget", "op": "gt", "value": "50000"},
             "child": {"type": "approver", "id": "finance", "name": "财务会签", "mode": "any",
                       "approver_rule": {"type": "named_department_head",
                                         "department_id": finance.pk}}},
            {"id": "other", "name": "其他情况", "condition": {}}]}}}

    put = client.put(f"{base}/draft", json.dumps({"flow": flow}), content_type="application/json")
    lint = client.post(f"{base}/lint").json()
    routed = client.post(f"{base}/simulate", {"initiator_id": alice.pk,
                                              "values": {"f_budget": "200000"}},
                         content_type="application/json").json()
    published = client.post(f"{base}/publish", {"accept_warnings": True},
                            content_type="application/json")
    xml = client.get(f"{base}/bpmn")
    imported = client.post(f"{base}/bpmn", {"xml": xml.content.decode()},
                           content_type="application/json")
    bad = client.put(f"{base}/draft", json.dumps({"flow": {"type": "start", "id": "start",
                                                            "child": {"type": "approver",
                                                                      "id": "x", "name": "X"}}}),
                     content_type="application/json")

    assert put.status_code == 200
    assert lint["can_publish"] is True
    assert [s["node_id"] for s in routed["steps"]] == ["head", "rule", "finance"]
    assert routed["steps"][2]["people"] == ["财务部负责人：冯静"]
    assert published.status_code == 200, published.content
    assert published.json()["number"] == 1
    assert xml.status_code == 200
    assert b"<bpmn:exclusiveGateway" in xml.content
    assert imported.json()["flow"] == put.json()["flow"]
    assert bad.status_code == 422
    assert bad.json()["message"] == "节点“X”（x）：缺少 approver_rule"


def test_api_is_for_process_admins_only(client: Client, alice: User,
                                        campaign: FormTemplate) -> None:
    client.force_login(alice)

    response = client.get(f"/api/v1/flows/{campaign.pk}/draft")

    assert response.status_code in (403, 404)
