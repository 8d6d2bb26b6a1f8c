"""Per-node policies: nobody found, initiator is an approver, same approver; disabled users."""

import pytest

from sopflow.workflow.engine import NoApprover, OpenTask, Status

from .builders import (
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    GHOST,
    approver,
    approves,
    assignees,
    definition,
    manager,
    org,
    run_script,
    users,
)

NOBODY = manager(4)  # Alice's reporting line ends at the third level


def test_nobody_found_auto_approves_the_node_when_policy_says_so() -> None:
    script = run_script(definition(approver("top", NOBODY, policies={"nobody": "auto_approve"}),
                                   approver("next", users(CAROL))))

    auto = [e for e in script.events if e.name == "workflow.node.auto_approved"]
    assert [(e.node_id, e.reason) for e in auto] == [("top", "找不到审批人，自动通过")]
    assert assignees(script.state) == [("next", CAROL)]


def test_nobody_found_goes_to_process_admins_when_policy_says_so() -> None:
    script = run_script(definition(approver("top", NOBODY,
                                            policies={"nobody": "to_process_admin"})))

    assert script.outcomes[0].effects == (OpenTask("t1", "top", ADMIN, "找不到审批人，转交流程管理员"),)


def test_submission_is_refused_when_nobody_is_found_and_policy_is_refuse() -> None:
    route = definition(approver("ok", users(BOB)),
                       approver("finance", NOBODY, name="财务审核", policies={"nobody": "refuse"}))

    with pytest.raises(NoApprover) as error:
        run_script(route)

    assert str(error.value) == "节点“财务审核”找不到审批人，无法提交"


def test_submission_is_refused_when_no_process_admin_can_take_the_task() -> None:
    directory = org()
    directory.admins = []

    with pytest.raises(NoApprover, match="也没有可用的流程管理员"):
        run_script(definition(approver("top", NOBODY, name="高层")), directory=directory)


def test_disabled_users_are_dropped_and_never_get_tasks() -> None:
    script = run_script(definition(approver("n", users(GHOST, CAROL))))

    assert assignees(script.state) == [("n", CAROL)]


def test_only_disabled_users_means_nobody_found() -> None:
    script = run_script(definition(approver("n", users(GHOST))))

    assert assignees(script.state) == [("n", ADMIN)]


@pytest.mark.parametrize(("case", "policy", "expected_tasks", "auto_approved"), [
    ("initiator approves herself", "self", [("n", ALICE), ("n", CAROL)], []),
    ("initiator is approved automatically", "auto_approve", [("n", CAROL)], [ALICE]),
    ("initiator's manager takes over", "to_manager", [("n", BOB), ("n", CAROL)], []),
])
def test_initiator_policy_when_the_initiator_is_an_approver(
        case: str, policy: str, expected_tasks: list[tuple[str, int]],
        auto_approved: list[int]) -> None:
    script = run_script(definition(approver("n", users(ALICE, CAROL),
                                            policies={"initiator": policy})))

    assert assignees(script.state) == expected_tasks
    auto = [e.user_ids for e in script.events if e.name == "workflow.task.auto_approved"]
    assert auto == [(user,) for user in auto_approved]
    assert script.state.runs[0].needed == 2
    assert script.state.runs[0].approvals == len(auto_approved)


def test_initiator_auto_approval_alone_completes_an_initiator_only_node() -> None:
    script = run_script(definition(approver("self", {"type": "initiator"},
                                            policies={"initiator": "auto_approve"})))

    assert script.state.status is Status.APPROVED


def test_manager_replacement_reason_explains_the_policy() -> None:
    script = run_script(definition(approver("n", users(ALICE),
                                            policies={"initiator": "to_manager"})))

    assert script.state.open_tasks()[0].reason == "发起人是审批人，转交其直属上级"


@pytest.mark.parametrize(("case", "policy", "route", "expected_tasks"), [
    ("all: approved two nodes earlier", "auto_approve_all", [BOB, CAROL, BOB], []),
    ("consecutive: approved in the node just before", "auto_approve_consecutive",
     [CAROL, BOB, BOB], []),
    ("consecutive: not the node just before", "auto_approve_consecutive", [BOB, CAROL, BOB],
     [("c", BOB)]),
    ("never", "never", [CAROL, BOB, BOB], [("c", BOB)]),
])
def test_same_approver_policy(case: str, policy: str, route: list[int],
                              expected_tasks: list[tuple[str, int]]) -> None:
    first, second, third = route
    flow = definition(approver("a", users(first)), approver("b", users(second)),
                      approver("c", users(third), policies={"same_approver": policy}))

    script = run_script(flow, [approves(first), approves(second)])

    assert assignees(script.state) == expected_tasks
    assert script.state.status is (Status.RUNNING if expected_tasks else Status.APPROVED)
