"""Parallel groups join when every branch ends; returns and restarts respect branch scope."""

import pytest

from sopflow.workflow.engine import (
    AdminRestartFrom,
    CloseTask,
    Definition,
    NotAllowed,
    Return,
    Status,
    TaskStatus,
)

from .builders import (
    ADMIN,
    BOB,
    CAROL,
    ERIN,
    HR,
    VINCE,
    approver,
    approves,
    assignees,
    branch,
    condition_group,
    definition,
    lane,
    parallel_group,
    rejects,
    run_script,
    task_of,
    users,
)


def two_lanes() -> Definition:
    return definition(parallel_group("both", lane("a", approver("a1", users(BOB))),
                                     lane("b", approver("b1", users(CAROL))),
                                     child=approver("after", users(HR))))


def test_both_branches_start_together() -> None:
    script = run_script(two_lanes())

    assert assignees(script.state) == [("a1", BOB), ("b1", CAROL)]
    assert script.state.active_nodes == ("a1", "b1")


def test_group_waits_until_every_branch_has_finished() -> None:
    one = run_script(two_lanes(), [approves(CAROL)])
    both = run_script(two_lanes(), [approves(CAROL), approves(BOB)])

    assert assignees(one.state) == [("a1", BOB)]
    assert [(j.group_id, j.arrived) for j in one.state.joins] == [("both", ("b",))]
    assert assignees(both.state) == [("after", HR)]
    assert both.state.joins == ()


def test_empty_branch_counts_as_finished_at_once() -> None:
    route = definition(parallel_group("g", lane("a", approver("a1", users(BOB))), lane("b")))

    script = run_script(route, [approves(BOB)])

    assert script.state.status is Status.APPROVED


def test_nested_groups_and_conditions_inside_branches_join_correctly() -> None:
    route = definition(parallel_group(
        "outer",
        lane("a", parallel_group("inner", lane("x", approver("x1", users(BOB))),
                                 lane("y", approver("y1", users(CAROL))))),
        lane("b", condition_group("c", branch("big", {"field": "n", "op": "gt", "value": 5},
                                              approver("big1", users(ERIN))),
                                  branch("small", {}, approver("small1", users(VINCE))))),
        child=approver("end", users(HR))))

    started = run_script(route, form={"n": 9})
    done = run_script(route, [approves(BOB), approves(ERIN), approves(CAROL)], form={"n": 9})

    assert assignees(started.state) == [("x1", BOB), ("y1", CAROL), ("big1", ERIN)]
    assert assignees(done.state) == [("end", HR)]


def test_rejection_in_one_branch_rejects_the_item_and_closes_the_other_branch() -> None:
    script = run_script(two_lanes(), [rejects(BOB)])

    assert script.state.status is Status.REJECTED
    assert CloseTask("t2", TaskStatus.CANCELLED, "审批已驳回") in script.outcomes[-1].effects
    assert (script.state.runs, script.state.joins) == ((), ())


def three_step_lanes() -> Definition:
    return definition(
        approver("head", users(VINCE)),
        parallel_group("g", lane("a", approver("a1", users(BOB)), approver("a2", users(CAROL))),
                       lane("b", approver("b1", users(ERIN)))),
        approver("end", users(HR)))


def test_return_inside_a_branch_reruns_that_branch_only() -> None:
    script = run_script(three_step_lanes(), [
        approves(VINCE), approves(BOB),
        lambda s: Return(task_of(s, CAROL).id, CAROL, "a1", note="请补充"),
    ])

    assert assignees(script.state) == [("b1", ERIN), ("a1", BOB)]
    assert script.state.status is Status.RUNNING


def test_return_to_a_node_before_the_group_restarts_every_branch() -> None:
    script = run_script(three_step_lanes(), [
        approves(VINCE), lambda s: Return(task_of(s, BOB).id, BOB, "head")])
    again = run_script(three_step_lanes(), [
        approves(VINCE), lambda s: Return(task_of(s, BOB).id, BOB, "head"), approves(VINCE)])

    assert assignees(script.state) == [("head", VINCE)]
    assert script.state.joins == ()
    assert CloseTask("t3", TaskStatus.CANCELLED, "已退回至“head”") in script.outcomes[-1].effects
    assert assignees(again.state) == [("a1", BOB), ("b1", ERIN)]


def test_return_into_a_sibling_branch_is_refused() -> None:
    with pytest.raises(NotAllowed, match="只能退回到之前经过的审批或办理节点"):
        run_script(three_step_lanes(), [
            approves(VINCE), approves(ERIN), approves(BOB),
            lambda s: Return(task_of(s, CAROL).id, CAROL, "b1")])


def test_return_to_a_node_not_yet_passed_is_refused() -> None:
    with pytest.raises(NotAllowed, match="只能退回到之前经过的审批或办理节点"):
        run_script(three_step_lanes(), [
            approves(VINCE), lambda s: Return(task_of(s, BOB).id, BOB, "end")])


def test_admin_restart_inside_a_finished_group_counts_sibling_branches_as_done() -> None:
    script = run_script(three_step_lanes(), [
        approves(VINCE), approves(BOB), approves(CAROL), approves(ERIN),
        AdminRestartFrom("a2", ADMIN, "张伟需要复核"),
    ])
    rejoined = run_script(three_step_lanes(), [
        approves(VINCE), approves(BOB), approves(CAROL), approves(ERIN),
        AdminRestartFrom("a2", ADMIN, "张伟需要复核"), approves(CAROL),
    ])

    assert assignees(script.state) == [("a2", CAROL)]
    assert [(j.group_id, j.arrived) for j in script.state.joins] == [("g", ("b",))]
    assert assignees(rejoined.state) == [("end", HR)]
