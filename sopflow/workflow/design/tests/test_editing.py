from __future__ import annotations

import pytest

from sopflow.workflow.design import editing
from sopflow.workflow.design.editing import EditError
from sopflow.workflow.engine import Definition

from .fixtures import s2_flow


def _ids(data: dict) -> list[str]:  # type: ignore[type-arg]
    return [str(place.item["id"]) for place in editing.walk(data)]


def test_inserting_after_the_start_puts_the_new_node_first() -> None:
    draft = editing.empty_definition()

    result = editing.insert_node(draft, kind="approver", after="start")

    assert result["child"]["type"] == "approver"  # type: ignore[index]
    assert result["child"]["id"] == "approver_1"  # type: ignore[index]
    assert result["child"]["child"] is None  # type: ignore[index]
    assert Definition.from_dict(result).to_dict() == result


def test_inserting_between_two_nodes_keeps_what_followed() -> None:
    draft = editing.normalise(s2_flow())

    result = editing.insert_node(draft, kind="cc", after="head")

    assert _ids(result)[:4] == ["start", "head", "cc_1", "vp"]


def test_inserting_into_a_branch_goes_to_the_top_of_the_branch() -> None:
    draft = editing.normalise(s2_flow())

    result = editing.insert_node(draft, kind="handler", into_branch="over_50k")

    branch = result["child"]["child"]["child"]["branches"][0]  # type: ignore[index]
    assert branch["child"]["id"] == "handler_1"
    assert branch["child"]["child"]["id"] == "finance"


def test_a_new_condition_group_has_an_unset_branch_and_a_default_last() -> None:
    result = editing.insert_node(editing.empty_definition(), kind="condition_group",
                                 after="start")

    branches = result["child"]["branches"]  # type: ignore[index]
    assert [b["name"] for b in branches] == ["条件1", "其他情况"]
    assert branches[0]["condition"] == editing.UNSET_CONDITION
    assert branches[1]["condition"] == {}


def test_added_condition_branch_goes_before_the_default() -> None:
    draft = editing.normalise(s2_flow())

    result = editing.add_branch(draft, "budget_rule")

    names = [b["name"] for b in result["child"]["child"]["child"]["branches"]]  # type: ignore[index]
    assert names == ["预算超过5万", "条件2", "其他情况"]


def test_the_default_branch_cannot_be_deleted_and_the_message_names_the_group() -> None:
    draft = editing.add_branch(editing.normalise(s2_flow()), "budget_rule")

    with pytest.raises(EditError) as error:
        editing.delete_branch(draft, "other")

    assert error.value.message == "节点“预算规则”（budget_rule）：默认分支“其他情况”不能删除"


def test_the_default_branch_cannot_move_and_nothing_moves_past_it() -> None:
    draft = editing.add_branch(editing.normalise(s2_flow()), "budget_rule")

    with pytest.raises(EditError, match="默认分支“其他情况”必须在最后"):
        editing.move_branch(draft, "other", -1)
    with pytest.raises(EditError, match="不能再移动"):
        editing.move_branch(draft, "branch_1", +1)
    moved = editing.move_branch(draft, "branch_1", -1)

    names = [b["name"] for b in moved["child"]["child"]["child"]["branches"]]  # type: ignore[index]
    assert names == ["条件2", "预算超过5万", "其他情况"]


def test_a_group_keeps_two_branches() -> None:
    draft = editing.normalise(s2_flow())

    with pytest.raises(EditError, match="节点“预算规则”（budget_rule）：至少需要两个分支"):
        editing.delete_branch(draft, "over_50k")


def test_deleting_a_group_removes_its_branches_and_keeps_what_follows() -> None:
    draft = editing.normalise(s2_flow())

    result = editing.delete_node(draft, "budget_rule")

    assert _ids(result) == ["start", "head", "vp", "notify_hr"]


def test_the_start_node_cannot_be_deleted() -> None:
    with pytest.raises(EditError, match="发起人节点不能删除"):
        editing.delete_node(editing.empty_definition(), "start")


def test_invalid_settings_are_refused_naming_the_node() -> None:
    draft = editing.normalise(s2_flow())

    with pytest.raises(EditError) as error:
        editing.update_node(draft, "finance", {"approver_rule": {"type": "role"}})

    assert error.value.message == "节点“财务会签”（finance）：缺少角色"


def test_updating_a_node_changes_only_its_settings() -> None:
    draft = editing.normalise(s2_flow())

    result = editing.update_node(draft, "vp", {"name": "分管副总", "mode": "all",
                                               "child": None, "id": "x"})

    vp = result["child"]["child"]  # type: ignore[index]
    assert (vp["name"], vp["mode"], vp["id"]) == ("分管副总", "all", "vp")
    assert vp["child"]["id"] == "budget_rule"


def test_a_default_branch_refuses_a_condition() -> None:
    draft = editing.normalise(s2_flow())

    with pytest.raises(EditError, match="默认分支“其他情况”不能设置条件"):
        editing.update_branch(draft, "other", name="其他情况",
                              condition={"field": "f_budget", "op": "gt", "value": "1"})
