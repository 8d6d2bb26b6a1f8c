"""Admin commands need a process admin and a reason."""

import pytest

from sopflow.workflow.engine import (
    AddSigner,
    AdminReassign,
    AdminRestartFrom,
    AdminSkip,
    AdminTerminate,
    CloseTask,
    Command,
    Finish,
    IllegalCommand,
    NotAllowed,
    OpenTask,
    SignerPosition,
    Status,
    TaskStatus,
    advance,
)

from .builders import (
    ADMIN,
    BOB,
    CAROL,
    HR,
    T0,
    VINCE,
    approver,
    approves,
    assignees,
    definition,
    org,
    rejects,
    run_script,
    users,
)

ROUTE = definition(approver("a", users(BOB), name="经理审批"), approver("b", users(HR)))


@pytest.mark.parametrize("command", [
    AdminReassign("t1", ADMIN, CAROL, " "),
    AdminSkip("a", ADMIN, ""),
    AdminTerminate(ADMIN, ""),
    AdminRestartFrom("a", ADMIN, "  "),
])
def test_admin_command_without_a_reason_is_refused(command: Command) -> None:
    state = run_script(ROUTE).state

    with pytest.raises(NotAllowed, match="请填写操作原因"):
        advance(ROUTE, state, command, now=T0, directory=org())


@pytest.mark.parametrize("command", [
    AdminReassign("t1", BOB, CAROL, "原因"),
    AdminSkip("a", HR, "原因"),
    AdminTerminate(CAROL, "原因"),
    AdminRestartFrom("a", BOB, "原因"),
])
def test_admin_command_by_a_non_admin_is_refused(command: Command) -> None:
    state = run_script(ROUTE).state

    with pytest.raises(NotAllowed, match="只有流程管理员可以执行此操作"):
        advance(ROUTE, state, command, now=T0, directory=org())


def test_admin_reassigns_a_task() -> None:
    script = run_script(ROUTE, [AdminReassign("t1", ADMIN, CAROL, "王芳休假")])

    assert assignees(script.state) == [("a", CAROL)]
    assert script.outcomes[-1].effects == (
        CloseTask("t1", TaskStatus.TRANSFERRED, "管理员转交：王芳休假"),
        OpenTask("t2", "a", CAROL, "管理员转交：王芳休假"))
    event = script.outcomes[-1].events[0]
    assert (event.name, event.user_ids, event.reason) == (
        "workflow.task.reassigned", (BOB, CAROL), "王芳休假")


def test_admin_skips_an_active_node() -> None:
    script = run_script(ROUTE, [AdminSkip("a", ADMIN, "经理已口头同意")])

    assert assignees(script.state) == [("b", HR)]
    assert script.outcomes[-1].effects[0] == CloseTask("t1", TaskStatus.SKIPPED,
                                                       "管理员跳过：经理已口头同意")
    assert script.outcomes[-1].event_names()[0] == "workflow.node.skipped"


def test_admin_cannot_skip_a_node_that_is_not_active() -> None:
    with pytest.raises(IllegalCommand, match="该节点当前不在审批中"):
        run_script(ROUTE, [AdminSkip("b", ADMIN, "原因")])


def test_admin_terminates_the_item() -> None:
    script = run_script(ROUTE, [AdminTerminate(ADMIN, "重复提交")])

    assert script.state.status is Status.TERMINATED
    assert script.outcomes[-1].effects == (CloseTask("t1", TaskStatus.CANCELLED, "审批已终止"),
                                           Finish(Status.TERMINATED))
    assert script.outcomes[-1].events[0].to_dict() == {
        "name": "workflow.instance.terminated", "actor_id": ADMIN, "reason": "重复提交"}


def test_admin_restarts_a_rejected_item_from_a_node() -> None:
    script = run_script(ROUTE, [rejects(BOB), AdminRestartFrom("a", ADMIN, "误驳回")])

    assert script.state.status is Status.RUNNING
    assert assignees(script.state) == [("a", BOB)]
    assert script.outcomes[-1].event_names() == ("workflow.instance.restarted",
                                                 "workflow.node.entered")


def test_admin_cannot_restart_from_a_group_or_a_withdrawn_item() -> None:
    with pytest.raises(IllegalCommand, match="只能从审批或办理节点重新开始"):
        run_script(ROUTE, [AdminRestartFrom("start", ADMIN, "原因")])
    with pytest.raises(IllegalCommand, match="该审批已终止，不能重新开始"):
        run_script(ROUTE, [AdminTerminate(ADMIN, "原因"), AdminRestartFrom("a", ADMIN, "原因")])


def test_reassigning_a_task_waiting_for_before_signers_keeps_the_signers() -> None:
    script = run_script(ROUTE, [AddSigner("t1", BOB, (CAROL,), SignerPosition.BEFORE),
                                AdminReassign("t1", ADMIN, VINCE, "王芳休假"),
                                approves(CAROL)])

    assert assignees(script.state) == [("a", VINCE)]
    assert [e.task_id for e in script.effects if isinstance(e, OpenTask)] == ["t1", "t2", "t3"]
