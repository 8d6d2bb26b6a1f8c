"""The designer's node drawer: start-node field permissions, "up to role" manager chains,
initiator's choice from a role, quorum inputs only for the quorum mode, and the
"person belongs to department" condition row."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.workflow.design import services as design_services

SCHEMA: dict[str, Any] = {"fields": [
    {"key": "f_title", "type": "text", "label": "活动名称", "required": True},
    {"key": "f_budget", "type": "money", "label": "预算金额", "required": True},
    {"key": "f_owner", "type": "person", "label": "经办人"},
]}


@pytest.fixture
def process_admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="P001", name="苏畅")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


@pytest.fixture
def template(company: Company) -> FormTemplate:
    from sopflow.form_templates.tests.builders import build_template

    return build_template(company, schema=SCHEMA, name="市场活动", code="campaign-d",
                          scope={"everyone": True})


@pytest.fixture
def designer(client: Client, process_admin: User, template: FormTemplate) -> Client:
    client.force_login(process_admin)
    client.post(reverse("web:flow-op", args=[template.pk]),
                {"op": "insert", "kind": "approver", "after": "start"}, HTTP_HX_REQUEST="true")
    return client


def _node(template: FormTemplate, actor: User, node_id: str) -> dict[str, Any]:
    from sopflow.workflow.design import editing

    draft = design_services.get_draft(actor=actor, template_id=template.pk)
    found = editing.find(draft.flow, node_id)
    assert found is not None
    return dict(found.item)


def _url(template: FormTemplate, node_id: str) -> str:
    return reverse("web:flow-node", args=[template.pk, node_id])


def test_start_node_drawer_sets_the_initiators_field_permissions(
        designer: Client, process_admin: User, template: FormTemplate) -> None:
    page = designer.get(_url(template, "start")).content.decode()
    assert "发起人填写时的字段权限" in page
    assert 'name="perm_f_budget" value="edit" checked' in page  # the initiator fills the form

    saved = designer.post(_url(template, "start"), {"name": "发起人", "perm_f_title": "edit",
                                                    "perm_f_budget": "read",
                                                    "perm_f_owner": "hidden"})

    assert saved.status_code == 200, saved.content.decode()
    assert _node(template, process_admin, "start")["field_permissions"] == {
        "f_budget": "read", "f_owner": "hidden"}
    again = designer.get(_url(template, "start")).content.decode()
    assert 'name="perm_f_budget" value="read" checked' in again
    assert 'name="perm_f_owner" value="hidden" checked' in again


def test_start_node_drawer_chooses_where_a_resubmission_goes(
        designer: Client, process_admin: User, template: FormTemplate) -> None:
    page = designer.get(_url(template, "start")).content.decode()
    assert "退回发起人后重新提交" in page
    assert 'name="resubmit_to" value="returner" checked' in page  # the default

    saved = designer.post(_url(template, "start"), {"name": "发起人", "resubmit_to": "start"})

    assert saved.status_code == 200, saved.content.decode()
    assert _node(template, process_admin, "start")["resubmit_to"] == "start"
    again = designer.get(_url(template, "start")).content.decode()
    assert 'name="resubmit_to" value="start" checked' in again


def test_manager_chain_can_stop_at_a_role(designer: Client, process_admin: User,
                                          template: FormTemplate) -> None:
    switched = designer.get(_url(template, "approver_1"),
                            {"name": "逐级审批", "rule_type": "manager_chain"}).content.decode()
    assert 'data-testid="rule-up-to-role"' in switched

    saved = designer.post(_url(template, "approver_1"), {
        "name": "逐级审批", "rule_type": "manager_chain", "up_to_level": "",
        "up_to_role": "process_admin", "mode": "sequential", "allowed_actions": ["approve"]})

    assert saved.status_code == 200, saved.content.decode()
    rule = _node(template, process_admin, "approver_1")["approver_rule"]
    assert (rule["type"], rule["up_to_role"], rule["up_to_level"]) == (
        "manager_chain", "process_admin", None)
    shown = designer.get(_url(template, "approver_1")).content.decode()
    assert 'value="process_admin" selected' in shown


def test_initiator_chooses_from_a_role_within_a_scope(
        designer: Client, process_admin: User, template: FormTemplate) -> None:
    picked = designer.get(_url(template, "approver_1"), {
        "name": "自选财务", "rule_type": "chosen_by_initiator",
        "choose_from": "role"}).content.decode()
    assert 'data-testid="rule-choose-role"' in picked
    assert 'data-testid="rule-choose-scope"' in picked
    assert 'data-testid="pick-people"' not in picked  # no member list for a role scope

    saved = designer.post(_url(template, "approver_1"), {
        "name": "自选财务", "rule_type": "chosen_by_initiator", "choose_from": "role",
        "role": "process_admin", "role_scope": "department", "multiple": "on",
        "mode": "any", "allowed_actions": ["approve"]})

    assert saved.status_code == 200, saved.content.decode()
    rule = _node(template, process_admin, "approver_1")["approver_rule"]
    assert (rule["type"], rule["from"], rule["role"], rule["scope"]) == (
        "chosen_by_initiator", "role", "process_admin", "department")
    assert rule["role_name"]  # named for the reasons shown to people


def test_quorum_inputs_appear_only_for_the_quorum_mode(
        designer: Client, process_admin: User, template: FormTemplate) -> None:
    url = _url(template, "approver_1")
    plain = designer.get(url).content.decode()
    switched = designer.get(url, {"name": "审批人", "rule_type": "manager",
                                  "mode": "quorum"}).content.decode()

    assert 'data-testid="quorum-inputs"' not in plain
    assert 'name="min_count"' not in plain
    assert 'data-testid="quorum-inputs"' in switched
    saved = designer.post(url, {"name": "审批人", "rule_type": "manager", "mode": "quorum",
                                "min_count": "2", "allowed_actions": ["approve", "reject"]})
    assert saved.status_code == 200, saved.content.decode()
    assert _node(template, process_admin, "approver_1")["quorum"]["min_count"] == 2
    assert 'name="min_count" value="2"' in designer.get(url).content.decode()


def test_a_branch_can_test_which_department_a_chosen_person_belongs_to(
        designer: Client, process_admin: User, template: FormTemplate,
        marketing: Department, alice: User, bob: User, dave: User) -> None:
    designer.post(reverse("web:flow-op", args=[template.pk]),
                  {"op": "insert", "kind": "condition_group", "after": "approver_1"},
                  HTTP_HX_REQUEST="true")
    drawer = designer.get(reverse("web:flow-branch", args=[template.pk, "branch_1"]))
    assert "经办人（所在部门）" in drawer.content.decode()

    saved = designer.post(reverse("web:flow-branch", args=[template.pk, "branch_1"]), {
        "name": "市场部经办", "rows": "1", "row-0-field": "f_owner.department",
        "row-0-op": "belongs_to", "row-0-value": str(marketing.pk)}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200, saved.content.decode()

    def taken(owner: User) -> str:
        result = design_services.simulate_draft(
            actor=process_admin, template_id=template.pk, initiator_id=alice.pk,
            form={"f_title": "x", "f_budget": "1", "f_owner": owner.pk})
        group = next(step for step in result.steps if step.kind == "condition_group")
        return group.branch_taken

    assert taken(bob) == "市场部经办"
    assert taken(dave) == "其他情况"
    assert not [f for f in design_services.lint_draft(actor=process_admin,
                                                      template_id=template.pk)
                if f.code in ("unknown_field", "wrong_type")]
