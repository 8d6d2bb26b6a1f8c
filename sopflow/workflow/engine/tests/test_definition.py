"""Parsing, validation messages and the JSON round-trip of definitions."""

import json

import pytest

from sopflow.rules.conditions import Json
from sopflow.workflow.engine import Definition, DefinitionError, Mode
from sopflow.workflow.engine.nodes import (
    Action,
    ConditionGroup,
    DueAction,
    FieldAccess,
    NobodyPolicy,
    ParallelGroup,
    RuleType,
    TaskNode,
)

from .builders import (
    BOB,
    approver,
    branch,
    cc,
    condition_group,
    handler,
    lane,
    manager,
    parallel_group,
    raw_definition,
    role,
    users,
)

FULL = raw_definition(
    approver("head", {"type": "department_head", "level": 1}, name="部门负责人",
             mode="quorum", quorum={"min_percent": 60},
             policies={"nobody": "refuse", "initiator": "to_manager",
                       "same_approver": "auto_approve_consecutive"},
             field_permissions={"f_budget": "read", "f_note": "edit", "f_secret": "hidden"},
             require_comment_on_reject=True, require_signature_on_approve=True,
             allowed_actions=["approve", "reject"],
             deadline={"working_days": 2, "urgent_hours": 24,
                       "on_due": [{"after_hours": 0, "action": "notify",
                                   "notify": ["assignee", "manager"]},
                                  {"after_hours": 24, "action": "transfer"}],
                       "escalation": {"to": "manager", "levels": [1, 2]}}),
    condition_group(
        "rule",
        branch("big", {"all": [{"field": "f_budget", "op": "gt", "value": "50000"},
                               {"field": "initiator.department", "op": "belongs_to",
                                "value": [2]}]},
               approver("finance", role("finance", "company", "财务"), mode="any")),
        branch("other", {}),
    ),
    parallel_group("both", lane("a", handler("hr", users(8))), lane("b"),
                   child=cc("tell", manager(1))),
    withdraw_after_decision=True,
)


def test_full_definition_round_trips_through_json() -> None:
    parsed = Definition.from_dict(FULL)

    again = Definition.from_dict(json.loads(json.dumps(parsed.to_dict())))

    assert again == parsed
    assert again.to_dict() == parsed.to_dict()


def test_parsed_nodes_carry_every_setting() -> None:
    parsed = Definition.from_dict(FULL)

    head = parsed.task_node("head")
    assert (head.mode, head.min_percent, head.min_count) == (Mode.QUORUM, 60, None)
    assert (head.rule.type, head.rule.level) == (RuleType.DEPARTMENT_HEAD, 1)
    assert head.policies.nobody is NobodyPolicy.REFUSE
    assert head.access("f_note") is FieldAccess.EDIT
    assert head.access("f_unknown") is FieldAccess.READ
    assert head.allowed_actions == (Action.APPROVE, Action.REJECT)
    assert head.deadline is not None
    assert [s.action for s in head.deadline.on_due] == [DueAction.NOTIFY, DueAction.TRANSFER]
    assert head.deadline.extra == {"escalation": {"to": "manager", "levels": [1, 2]}}
    assert parsed.withdraw_after_decision is True
    assert [n.id for n in parsed.nodes()] == [
        "start", "head", "rule", "finance", "both", "hr", "tell"]
    assert isinstance(parsed.find("rule"), ConditionGroup)
    assert isinstance(parsed.find("both"), ParallelGroup)


def test_defaults_fill_in_for_a_minimal_node() -> None:
    parsed = Definition.from_dict(raw_definition(approver("a", users(BOB)), handler("h",
                                                                              users(BOB))))

    node = parsed.task_node("a")
    assert isinstance(node, TaskNode)
    assert (node.mode, node.deadline, node.require_comment_on_reject) == (Mode.ALL, None, False)
    assert node.allowed_actions == (Action.APPROVE, Action.REJECT, Action.RETURN,
                                    Action.TRANSFER, Action.ADD_SIGNER, Action.REMOVE_SIGNER)
    assert parsed.task_node("h").allowed_actions == (Action.COMPLETE, Action.RETURN,
                                                     Action.TRANSFER)


def test_manager_chain_is_always_sequential() -> None:
    parsed = Definition.from_dict(raw_definition(
        approver("chain", {"type": "manager_chain", "up_to_level": 3}, mode="any")))

    assert parsed.task_node("chain").effective_mode is Mode.SEQUENTIAL


def _with(node: dict[str, Json]) -> dict[str, Json]:
    return raw_definition(node)


@pytest.mark.parametrize(("case", "raw", "message"), [
    ("root is not start", {"type": "approver", "id": "a"}, "根节点必须是 start"),
    ("missing id", _with({"type": "approver", "name": "审核", "approver_rule": users(2)}),
     "节点“审核”缺少 id"),
    ("duplicate id", raw_definition(approver("a", users(2)), approver("a", users(2))),
     "节点“a”（a）：id 重复"),
    ("unknown type", _with({"type": "robot", "id": "r", "name": "机器人"}),
     "节点“机器人”（r）：未知的节点类型 'robot'"),
    ("missing rule", _with({"type": "approver", "id": "x", "name": "财务审核"}),
     "节点“财务审核”（x）：缺少 approver_rule"),
    ("empty users", _with(approver("x", users())), "指定成员不能为空"),
    ("role without name", _with(approver("x", {"type": "role"})), "缺少角色"),
    ("bad mode", _with(approver("x", users(2), mode="most")), "mode 的值 'most' 无效"),
    ("quorum without size", _with(approver("x", users(2), mode="quorum")),
     "需要 min_count 或 min_percent 之一"),
    ("quorum over 100%", _with(approver("x", users(2), mode="quorum",
                                       quorum={"min_percent": 120})), "超出范围"),
    ("bad policy", _with(approver("x", users(2), policies={"nobody": "panic"})),
     "nobody 的值 'panic' 无效"),
    ("bad field access", _with(approver("x", users(2), field_permissions={"f": "write"})),
     "字段 f 的权限 的值 'write' 无效"),
    ("handler cannot approve", _with(handler("h", users(2), allowed_actions=["approve"])),
     "handler 节点不能使用 approve"),
    ("approver cannot complete", _with(approver("x", users(2), allowed_actions=["complete"])),
     "approver 节点不能使用 complete"),
    ("chain without limit", _with(approver("x", {"type": "manager_chain"})),
     "需要 up_to_level 或 up_to_role"),
    ("manager level zero", _with(approver("x", manager(0))), "主管级别从 1 开始"),
    ("chosen list empty", _with(approver("x", {"type": "chosen_by_initiator", "from": "list"})),
     "自选范围缺少成员或角色"),
    ("one branch only", _with({"type": "condition_group", "id": "g", "name": "条件",
                               "branches": [{"id": "b", "condition": {}}]}),
     "节点“条件”（g）：至少需要两个分支"),
    ("default not last", _with(condition_group("g", branch("b1", {}), branch(
        "b2", {"field": "f", "op": "eq", "value": 1}))), "最后一个分支必须是“其他情况”"),
    ("branch without condition", _with(condition_group("g", branch("b1", {}), branch(
        "b2", {}), branch("b3", {}))), "分支“b1”缺少条件"),
    ("bad operator", _with(condition_group("g", branch(
        "b1", {"field": "f", "op": "like", "value": 1}), branch("b2", {}))),
     "分支“b1”的条件无效：unknown operator 'like'"),
    ("deadline steps out of order", _with(approver("x", users(2), deadline={"on_due": [
        {"after_hours": 5, "action": "notify"}, {"after_hours": 1, "action": "notify"}]})),
     "超时处理步骤必须按时间先后排列"),
    ("start nested", _with({"type": "start", "id": "s2", "name": "再发起"}), "start 只能是根节点"),
])
def test_invalid_definition_is_refused_with_a_message_naming_the_problem(
        case: str, raw: dict[str, Json], message: str) -> None:
    with pytest.raises(DefinitionError) as error:
        Definition.from_dict(raw)

    assert message in str(error.value)
