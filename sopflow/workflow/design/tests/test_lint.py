from __future__ import annotations

import copy
from typing import Any

from sopflow.workflow.design import editing
from sopflow.workflow.design.lint import Finding, Level, has_errors, lint
from sopflow.workflow.engine import Definition

from .fixtures import ALICE, GONE, HEAD, SCHEMA, active_people, approver, org, s2_flow


def _lint(flow: dict[str, Any], initiators: list[int] | None = None) -> list[Finding]:
    directory = org()
    return lint(Definition.from_dict(flow), schema=SCHEMA, directory=directory,
                initiators=active_people(directory) if initiators is None else initiators)


def _codes(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.level.value, f.code, f.node_id) for f in findings}


def _only(flow: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {"type": "start", "id": "start", "name": "发起人", "child": after}


def _group(*branches: tuple[str, dict[str, Any], dict[str, Any] | None]) -> dict[str, Any]:
    return {"type": "condition_group", "id": "g", "name": "金额规则", "branches": [
        *({"id": bid, "name": bid, "condition": cond, "child": child}
          for bid, cond, child in branches),
        {"id": "other", "name": "其他情况", "condition": {}, "child": None}]}


def test_the_s2_flow_has_no_errors_only_warnings_about_the_org() -> None:
    findings = _lint(s2_flow())

    assert not has_errors(findings), [f.message for f in findings]
    assert {f.code for f in findings} == {
        "deadline_without_escalation", "nobody", "disabled_approver", "initiator_approves",
        "single_all_sign"}


def test_nobody_with_refuse_is_an_error_naming_the_node_and_initiators() -> None:
    rule = {"type": "role", "role": "legal", "role_name": "法务", "scope": "company"}
    flow = _only({}, approver("legal", "法务审核", rule, policies={"nobody": "refuse"}))

    findings = _lint(flow, initiators=[ALICE])

    assert [f.to_dict() for f in findings] == [{
        "level": "error", "code": "nobody", "node_id": "legal", "node_name": "法务审核",
        "message": "节点“法务审核”（legal）：张敏（市场部）发起时找不到审批人，将无法提交"}]


def test_nobody_with_a_fallback_is_a_warning() -> None:
    flow = _only({}, approver("boss", "三级主管", {"type": "manager", "level": 3}))

    findings = _lint(flow)

    nobody = [f for f in findings if f.code == "nobody"]
    assert len(nobody) == 1
    assert nobody[0].level is Level.WARNING
    assert nobody[0].message.startswith("节点“三级主管”（boss）：王总（华启科技）、赵副总（华启科技）")
    assert "将转交流程管理员" in nobody[0].message


def test_a_disabled_employee_in_the_rule_is_reported() -> None:
    rule = {"type": "role", "role": "finance", "role_name": "财务", "scope": "company"}
    flow = _only({}, approver("finance", "财务审核", rule, mode="any"))

    findings = _lint(flow, initiators=[ALICE])

    assert _codes(findings) == {("warning", "disabled_approver", "finance")}
    assert "孙离" in findings[0].message


def test_initiator_approving_their_own_item_is_reported_per_person() -> None:
    flow = _only({}, approver("head", "部门负责人", {"type": "department_head", "level": 0},
                              mode="any"))

    findings = _lint(flow, initiators=[ALICE, HEAD])

    assert _codes(findings) == {("warning", "initiator_approves", "head")}
    assert findings[0].message.startswith("节点“部门负责人”（head）：李强（市场部）发起时")


def test_initiator_policy_to_manager_silences_the_self_approval_warning() -> None:
    flow = _only({}, approver("head", "部门负责人", {"type": "department_head", "level": 0},
                              mode="any", policies={"initiator": "to_manager"}))

    assert _lint(flow, initiators=[ALICE, HEAD]) == []


def test_condition_on_a_missing_field_is_an_error() -> None:
    flow = _only({}, _group(("big", {"field": "f_cost", "op": "gt", "value": "1"}, None)))

    findings = _lint(flow)

    assert _codes(findings) == {("error", "unknown_field", "g")}
    assert findings[0].message == "节点“金额规则”（g）：分支“big”的条件使用了表单中不存在的字段 f_cost"


def test_condition_with_an_operator_of_the_wrong_type_is_an_error() -> None:
    flow = _only({}, _group(("big", {"field": "f_title", "op": "gt", "value": "1"}, None),
                            ("kind", {"field": "f_budget", "op": "gt", "value": "很多"}, None),
                            ("x", {"field": "f_kind", "op": "in", "value": ["nope"]}, None)))

    findings = _lint(flow)

    assert [f.code for f in findings] == ["wrong_type"] * 3
    assert "字段“活动名称”不能使用“大于”" in findings[0].message


def test_unset_branch_condition_is_an_error() -> None:
    draft = editing.insert_node(editing.empty_definition(), kind="condition_group",
                                after="start")

    findings = _lint(draft)

    assert _codes(findings) == {("error", "unset_condition", "condition_1")}
    assert "分支“条件1”还没有设置条件" in findings[0].message


def test_overlapping_branches_are_a_warning() -> None:
    flow = _only({}, _group(("a", {"field": "f_budget", "op": "gt", "value": "10000"}, None),
                            ("b", {"field": "f_budget", "op": "between",
                                   "value": ["5000", "20000"]}, None)))

    findings = _lint(flow)

    assert _codes(findings) == {("warning", "overlapping_branches", "g")}
    assert "分支“a”和“b”的条件有重叠" in findings[0].message


def test_impossible_branch_and_its_unreachable_nodes_are_errors() -> None:
    hidden = approver("ghost", "不可能的审批", {"type": "users", "user_ids": [HEAD]}, mode="any")
    condition = {"all": [{"field": "f_budget", "op": "gt", "value": "100"},
                         {"field": "f_budget", "op": "lt", "value": "50"}]}
    flow = _only({}, _group(("never", condition, hidden)))

    findings = _lint(flow, initiators=[ALICE])

    assert _codes(findings) == {("error", "impossible_branch", "g"),
                                ("error", "unreachable", "ghost")}


def test_a_branch_covered_by_an_earlier_one_is_never_reached() -> None:
    hidden = approver("ghost", "大额审批", {"type": "users", "user_ids": [HEAD]}, mode="any")
    flow = _only({}, _group(("big", {"field": "f_budget", "op": "gt", "value": "1000"}, None),
                            ("huge", {"field": "f_budget", "op": "gt", "value": "5000"}, hidden)))

    findings = _lint(flow, initiators=[ALICE])

    assert _codes(findings) == {("error", "shadowed_branch", "g"),
                                ("error", "unreachable", "ghost")}
    assert "分支“huge”被前面的分支“big”完全覆盖" in findings[0].message


def test_an_empty_parallel_branch_is_a_warning() -> None:
    flow = _only({}, {"type": "parallel_group", "id": "p", "name": "并行", "branches": [
        {"id": "l1", "name": "一", "child": approver("x", "审批", {"type": "users",
                                                               "user_ids": [HEAD]}, mode="any")},
        {"id": "l2", "name": "二", "child": None}]})

    assert _codes(_lint(flow, initiators=[ALICE])) == {("warning", "empty_branch", "p")}


def test_all_sign_with_one_possible_approver_is_a_warning() -> None:
    flow = _only({}, approver("mgr", "直属上级", {"type": "manager", "level": 1}, mode="all"))

    findings = _lint(flow, initiators=[ALICE])

    assert _codes(findings) == {("warning", "single_all_sign", "mgr")}


def test_deadline_without_any_escalation_is_an_error() -> None:
    flow = _only({}, approver("mgr", "直属上级", {"type": "manager", "level": 1}, mode="any",
                              deadline={"working_days": 2, "on_due": []}))

    findings = _lint(flow, initiators=[ALICE])

    assert _codes(findings) == {("error", "deadline_without_escalation", "mgr")}


def test_deadline_escalating_to_a_missing_manager_or_disabled_person_is_an_error() -> None:
    to_manager = {"working_days": 1, "on_due": [{"after_hours": 0, "action": "transfer"}]}
    to_gone = {"working_days": 1, "on_due": [
        {"after_hours": 0, "action": "transfer", "to_user_id": GONE}]}
    flow = _only({}, approver("top", "总经理", {"type": "department_head", "level": 1},
                              mode="any", deadline=to_manager, child=approver(
                                  "x", "x", {"type": "users", "user_ids": [HEAD]}, mode="any",
                                  deadline=copy.deepcopy(to_gone))))

    findings = _lint(flow, initiators=[ALICE])

    assert _codes(findings) == {("error", "deadline_without_escalation", "top"),
                                ("error", "deadline_without_escalation", "x")}
    messages = sorted(f.message for f in findings)
    assert "王总 没有上级" in messages[0] + messages[1]
    assert "孙离，但该员工不存在或已停用" in messages[0] + messages[1]


def test_form_rule_on_a_field_of_the_wrong_type_is_an_error() -> None:
    flow = _only({}, approver("pick", "表单人员", {"type": "form_users", "field": "f_dept"}))

    findings = _lint(flow)

    assert _codes(findings) == {("error", "wrong_type", "pick")}
