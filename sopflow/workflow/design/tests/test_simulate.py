from __future__ import annotations

import pytest

from sopflow.workflow.design.simulate import route_node_ids, simulate
from sopflow.workflow.engine import Definition

from .fixtures import ALICE, HEAD, SCHEMA, org, s2_flow


@pytest.mark.parametrize(("case", "budget", "finance"), [
    ("two hundred thousand goes to finance", "200000", True),
    ("thirty thousand skips finance", "30000", False),
    ("exactly fifty thousand skips finance (the rule is over 50,000)", "50000", False),
])
def test_s2_route_by_budget(case: str, budget: str, finance: bool) -> None:
    result = simulate(Definition.from_dict(s2_flow()), schema=SCHEMA, directory=org(),
                      initiator_id=ALICE, form={"f_budget": budget})

    expected = ["head", "vp", *(["finance"] if finance else []), "notify_hr"]
    assert route_node_ids(result) == expected
    assert not result.blocked


def test_simulation_names_every_approver_and_why() -> None:
    result = simulate(Definition.from_dict(s2_flow()), schema=SCHEMA, directory=org(),
                      initiator_id=ALICE, form={"f_budget": "200000"})

    people = {step.node_id: step.people for step in result.steps}
    assert people["head"] == ("市场部负责人：李强",)
    assert people["vp"] == ("发起人的 2 级主管：赵副总",)
    assert people["finance"] == ("角色：财务：钱芳",)
    assert people["notify_hr"] == ("角色：人事：吴红",)
    finance = next(step for step in result.steps if step.node_id == "finance")
    assert finance.skipped == ("孙离（账号已停用，已跳过）",)


def test_simulation_explains_which_branch_was_taken_and_why_not_the_others() -> None:
    result = simulate(Definition.from_dict(s2_flow()), schema=SCHEMA, directory=org(),
                      initiator_id=ALICE, form={"f_budget": "30000"})

    group = next(step for step in result.steps if step.node_id == "budget_rule")
    assert group.branch_taken == "其他情况"
    assert [(b.name, b.taken, b.why) for b in group.branches] == [
        ("预算超过5万", False, "预算金额为 30000，不满足“预算金额 大于 50000”"),
        ("其他情况", True, "其他分支的条件都不满足，走默认分支")]


def test_initiator_policy_is_explained_for_a_head_submitting() -> None:
    result = simulate(Definition.from_dict(s2_flow()), schema=SCHEMA, directory=org(),
                      initiator_id=HEAD, form={"f_budget": "1"})

    assert result.steps[0].people == ("发起人是审批人，转交其直属上级：赵副总",)
