from __future__ import annotations

from sopflow.workflow.design import editing
from sopflow.workflow.design.versions import diff, movability
from sopflow.workflow.engine import Definition

from .fixtures import s2_flow


def test_diff_lists_added_removed_and_edited_nodes() -> None:
    old = editing.normalise(s2_flow())
    new = editing.update_node(editing.delete_node(old, "notify_hr"), "vp", {"mode": "all"})
    new = editing.insert_node(new, kind="cc", after="head")

    result = diff(Definition.from_dict(old), Definition.from_dict(new))

    assert [c.node_id for c in result.added] == ["cc_1"]
    assert [c.node_name for c in result.removed] == ["抄送人事"]
    assert [(c.node_id, c.changed) for c in result.edited] == [("vp", ("多人审批方式",))]
    assert result.summary() == "新增 抄送人; 删除 抄送人事; 修改 分管领导审批（多人审批方式）".replace("; ", "；")


def test_branch_condition_changes_show_on_the_group() -> None:
    old = editing.normalise(s2_flow())
    new = editing.update_branch(old, "over_50k", name="预算超过10万",
                                condition={"field": "f_budget", "op": "gt", "value": "100000"})

    result = diff(Definition.from_dict(old), Definition.from_dict(new))

    assert [(c.node_id, c.changed) for c in result.edited] == [("budget_rule", ("分支条件",))]


def test_an_item_waiting_on_a_node_that_still_exists_can_move() -> None:
    new = Definition.from_dict(editing.insert_node(editing.normalise(s2_flow()), kind="cc",
                                                   after="vp"))
    state = {"runs": [{"node_id": "vp"}], "tasks": [{"node_id": "vp"}], "joins": []}

    result = movability(state, new)

    assert (result.can_move, result.nodes) == (True, ("分管领导审批",))


def test_an_item_on_a_deleted_node_cannot_move() -> None:
    new = Definition.from_dict(editing.delete_node(editing.normalise(s2_flow()), "budget_rule"))
    state = {"runs": [{"node_id": "finance"}], "tasks": [{"node_id": "finance"}]}

    result = movability(state, new)

    assert (result.can_move, result.reason) == (False, "当前节点 finance 在新版本中已删除")
