"""Approval modes: all (会签), any (或签), sequential (依次) and quorum."""

import pytest

from sopflow.workflow.engine import (
    Approve,
    CloseTask,
    Definition,
    IllegalCommand,
    Status,
    TaskStatus,
)
from sopflow.workflow.engine.flow import needed_for

from .builders import (
    BOB,
    CAROL,
    ERIN,
    HR,
    VINCE,
    approver,
    approves,
    assignees,
    definition,
    rejects,
    run_script,
    users,
)


def node(mode: str, *people: int, **quorum: int) -> Definition:
    extra = {"quorum": dict(quorum)} if quorum else {}
    return definition(approver("n", users(*people), mode=mode, **extra),  # type: ignore[arg-type]
                      approver("next", users(HR)))


def test_all_mode_waits_for_everyone() -> None:
    one = run_script(node("all", BOB, CAROL), [approves(BOB)])
    both = run_script(node("all", BOB, CAROL), [approves(BOB), approves(CAROL)])

    assert assignees(one.state) == [("n", CAROL)]
    assert assignees(both.state) == [("next", HR)]


def test_any_mode_first_approval_closes_the_other_tasks() -> None:
    script = run_script(node("any", BOB, CAROL), [approves(CAROL)])

    assert assignees(script.state) == [("next", HR)]
    assert script.outcomes[-1].effects[:2] == (
        CloseTask("t2", TaskStatus.APPROVED, ""),
        CloseTask("t1", TaskStatus.CANCELLED, "已由他人完成审批"))


def test_cancelled_task_tells_who_handled_it() -> None:
    with pytest.raises(IllegalCommand, match="该审批已被张伟处理"):
        run_script(node("any", BOB, CAROL), [approves(CAROL), Approve("t1", BOB)])


def test_sequential_mode_opens_one_task_at_a_time_in_order() -> None:
    steps = [run_script(node("sequential", BOB, CAROL, ERIN), list(prefix)) for prefix in (
        [], [approves(BOB)], [approves(BOB), approves(CAROL)])]

    assert [assignees(s.state) for s in steps] == [[("n", BOB)], [("n", CAROL)], [("n", ERIN)]]
    assert [t.status for t in steps[0].state.tasks] == [
        TaskStatus.OPEN, TaskStatus.WAITING, TaskStatus.WAITING]


def test_sequential_later_approver_cannot_act_before_their_turn() -> None:
    with pytest.raises(IllegalCommand, match="还没有轮到你处理"):
        run_script(node("sequential", BOB, CAROL), [Approve("t2", CAROL)])


def test_quorum_two_of_three_completes_on_the_second_approval() -> None:
    script = run_script(node("quorum", BOB, CAROL, ERIN, min_count=2),
                        [approves(BOB), approves(ERIN)])

    assert assignees(script.state) == [("next", HR)]
    assert CloseTask("t2", TaskStatus.CANCELLED, "已由他人完成审批") in script.effects


def test_quorum_sixty_percent_of_three_needs_two() -> None:
    one = run_script(node("quorum", BOB, CAROL, ERIN, min_percent=60), [approves(CAROL)])
    two = run_script(node("quorum", BOB, CAROL, ERIN, min_percent=60),
                     [approves(CAROL), approves(BOB)])

    assert one.state.runs[0].needed == 2
    assert assignees(one.state) == [("n", BOB), ("n", ERIN)]
    assert assignees(two.state) == [("next", HR)]


@pytest.mark.parametrize(("case", "mode", "total", "quorum", "needed"), [
    ("all", "all", 3, {}, 3),
    ("any", "any", 3, {}, 1),
    ("sequential", "sequential", 4, {}, 4),
    ("count below total", "quorum", 3, {"min_count": 2}, 2),
    ("count above total is capped", "quorum", 2, {"min_count": 5}, 2),
    ("60% of 5", "quorum", 5, {"min_percent": 60}, 3),
    ("60% of 3 rounds up", "quorum", 3, {"min_percent": 60}, 2),
    ("1% still needs one", "quorum", 3, {"min_percent": 1}, 1),
])
def test_needed_approvals_per_mode(case: str, mode: str, total: int, quorum: dict[str, int],
                                   needed: int) -> None:
    assert needed_for(node(mode, BOB, **quorum).task_node("n"), total) == needed


def test_quorum_survives_a_rejection_while_the_quorum_is_still_reachable() -> None:
    script = run_script(node("quorum", BOB, CAROL, ERIN, min_count=2), [rejects(BOB)])

    assert script.state.status is Status.RUNNING
    assert script.outcomes[-1].event_names() == ("workflow.task.rejected",)
    assert assignees(script.state) == [("n", CAROL), ("n", ERIN)]


def test_quorum_rejects_the_item_once_the_quorum_is_out_of_reach() -> None:
    script = run_script(node("quorum", BOB, CAROL, ERIN, min_count=2),
                        [rejects(BOB), rejects(CAROL)])

    assert script.state.status is Status.REJECTED
    assert script.state.tasks == ()
    assert CloseTask("t3", TaskStatus.CANCELLED, "审批已驳回") in script.outcomes[-1].effects


@pytest.mark.parametrize("mode", ["all", "any", "sequential"])
def test_a_single_rejection_rejects_the_item(mode: str) -> None:
    script = run_script(node(mode, BOB, CAROL, VINCE), [rejects(BOB, "预算不合理", "预算问题")])

    assert script.state.status is Status.REJECTED
    assert script.outcomes[-1].event_names() == ("workflow.task.rejected",
                                                 "workflow.instance.rejected")
    event = script.outcomes[-1].events[0]
    assert (event.actor_id, event.reason, event.comment) == (BOB, "预算问题", "预算不合理")
    assert script.state.tasks == ()
