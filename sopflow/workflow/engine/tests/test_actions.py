"""Task and instance actions: guards, transfer, signers, withdraw, urge, comment, resubmit."""

from datetime import timedelta

import pytest

from sopflow.workflow.engine import (
    INITIATOR,
    AddSigner,
    Approve,
    CloseTask,
    Comment,
    Complete,
    IllegalCommand,
    NotAllowed,
    Notify,
    NotifyKind,
    OpenTask,
    Reject,
    RemoveSigner,
    Resubmit,
    ResumeTask,
    Return,
    SignerPosition,
    Status,
    SuspendTask,
    TaskStatus,
    Transfer,
    Urge,
    Withdraw,
    advance,
)
from sopflow.workflow.engine.state import RECENT_LIMIT

from .builders import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    GHOST,
    HR,
    T0,
    VINCE,
    approver,
    approves,
    assignees,
    branch,
    condition_group,
    definition,
    handler,
    org,
    rejects,
    run_script,
    task_of,
    users,
)

SIMPLE = definition(approver("n", users(BOB), name="经理审批"), approver("next", users(HR)))


@pytest.mark.parametrize(("case", "command", "error", "message"), [
    ("someone else's task", Approve("t1", CAROL), NotAllowed, "你不是该节点的审批人"),
    ("unknown task", Approve("t9", BOB), IllegalCommand, "该审批已处理或不存在"),
    ("handler action on an approver node", Complete("t1", BOB), NotAllowed, "该操作在此节点不可用"),
    ("withdraw by someone else", Withdraw(BOB), NotAllowed, "只有发起人可以撤回"),
    ("urge by someone else", Urge(BOB), NotAllowed, "只有发起人可以催办"),
    ("resubmit while running", Resubmit(ALICE, {}), IllegalCommand, "只有被退回的审批可以重新提交"),
    ("comment by an outsider", Comment(DAVE, "我也看看"), NotAllowed, "只有审批参与人可以评论"),
    ("empty comment", Comment(ALICE, "  "), NotAllowed, "评论内容不能为空"),
    ("transfer to oneself", Transfer("t1", BOB, BOB), NotAllowed, "不能转交给自己"),
    ("transfer to a disabled user", Transfer("t1", BOB, GHOST), NotAllowed, "离职者的账号已停用"),
    ("add no signer", AddSigner("t1", BOB, ()), NotAllowed, "请选择加签人"),
    ("add oneself as signer", AddSigner("t1", BOB, (BOB,)), NotAllowed, "不能给自己加签"),
    ("remove a signer nobody added", RemoveSigner("t1", BOB, CAROL), NotAllowed,
     "只能减签自己加签且尚未处理的人员"),
])
def test_invalid_command_is_refused_and_nothing_changes(
        case: str, command: object, error: type[Exception], message: str) -> None:
    state = run_script(SIMPLE).state

    with pytest.raises(error, match=message):
        advance(SIMPLE, state, command, now=T0, directory=org())  # type: ignore[arg-type]

    assert run_script(SIMPLE).state == state


def test_finished_item_refuses_decisions() -> None:
    script = run_script(SIMPLE, [rejects(BOB)])

    with pytest.raises(IllegalCommand, match="该审批已驳回，不能再处理"):
        advance(SIMPLE, script.state, Approve("t1", BOB), now=T0, directory=org())


def test_double_approval_says_it_was_already_handled_by_the_actor() -> None:
    script = run_script(SIMPLE, [approves(BOB)])

    with pytest.raises(IllegalCommand, match="该审批已被王芳处理"):
        advance(SIMPLE, script.state, Approve("t1", BOB), now=T0, directory=org())


def test_disabled_action_is_refused() -> None:
    route = definition(approver("n", users(BOB), allowed_actions=["approve", "reject"]))

    with pytest.raises(NotAllowed, match="该操作在此节点不可用"):
        run_script(route, [lambda s: Transfer(task_of(s, BOB).id, BOB, CAROL)])


def test_reject_needs_a_note_when_the_node_requires_one() -> None:
    route = definition(approver("n", users(BOB), require_comment_on_reject=True))

    with pytest.raises(NotAllowed, match="驳回时必须填写意见"):
        run_script(route, [lambda s: Reject(task_of(s, BOB).id, BOB, "预算问题", " ")])
    assert run_script(route, [rejects(BOB, "预算过高")]).state.status is Status.REJECTED


def test_approve_needs_a_signature_when_the_node_requires_one() -> None:
    route = definition(approver("n", users(BOB), require_signature_on_approve=True))

    with pytest.raises(NotAllowed, match="此节点审批需要手写签名"):
        run_script(route, [approves(BOB)])
    signed = run_script(route, [approves(BOB, signature="sig-1", attachments=("a.pdf",))])
    event = signed.outcomes[-1].events[0]
    assert (event.signature, event.attachments) == ("sig-1", ("a.pdf",))


def test_handler_can_edit_only_its_editable_fields() -> None:
    route = definition(handler("h", users(HR), field_permissions={"note": "edit",
                                                                  "amount": "read"}))

    with pytest.raises(NotAllowed, match="字段“amount”在此节点不可编辑"):
        run_script(route, [lambda s: Complete(task_of(s, HR).id, HR, {"amount": 1})])
    with pytest.raises(NotAllowed, match="该操作在此节点不可用"):
        run_script(route, [approves(HR)])


def test_transfer_hands_the_task_to_someone_else() -> None:
    script = run_script(SIMPLE, [lambda s: Transfer(task_of(s, BOB).id, BOB, CAROL, "我出差")])

    assert assignees(script.state) == [("n", CAROL)]
    assert script.outcomes[-1].effects == (
        CloseTask("t1", TaskStatus.TRANSFERRED, "王芳转交"), OpenTask("t2", "n", CAROL, "王芳转交"))
    event = script.outcomes[-1].events[0]
    assert (event.name, event.user_ids, event.target, event.comment) == (
        "workflow.task.transferred", (CAROL,), "t2", "我出差")


def test_transfer_to_someone_already_on_the_node_is_refused() -> None:
    route = definition(approver("n", users(BOB, CAROL)))

    with pytest.raises(NotAllowed, match="张伟已是该节点的审批人"):
        run_script(route, [lambda s: Transfer(task_of(s, BOB).id, BOB, CAROL)])


def test_parallel_signer_must_approve_alongside_the_actor() -> None:
    add = AddSigner("t1", BOB, (CAROL,), SignerPosition.PARALLEL, "请一起看")

    added = run_script(SIMPLE, [add])
    actor_done = run_script(SIMPLE, [add, approves(BOB)])
    both_done = run_script(SIMPLE, [add, approves(BOB), approves(CAROL)])

    assert assignees(added.state) == [("n", BOB), ("n", CAROL)]
    assert added.state.find_task("t2").added_by == BOB  # type: ignore[union-attr]
    assert assignees(actor_done.state) == [("n", CAROL)]
    assert assignees(both_done.state) == [("next", HR)]


def test_before_signer_decides_first_then_the_task_returns_to_the_actor() -> None:
    add = AddSigner("t1", BOB, (CAROL,), SignerPosition.BEFORE)

    added = run_script(SIMPLE, [add])
    signed = run_script(SIMPLE, [add, approves(CAROL)])
    finished = run_script(SIMPLE, [add, approves(CAROL), approves(BOB)])

    assert assignees(added.state) == [("n", CAROL)]
    assert added.outcomes[-1].effects == (OpenTask("t2", "n", CAROL, "王芳加签", added_by=BOB),
                                          SuspendTask("t1", "等待张伟先审批"))
    with pytest.raises(IllegalCommand, match="请等待加签人审批后再处理"):
        advance(SIMPLE, added.state, Approve("t1", BOB), now=T0, directory=org())
    assert ResumeTask("t1") in signed.outcomes[-1].effects
    assert assignees(signed.state) == [("n", BOB)]
    assert assignees(finished.state) == [("next", HR)]


def test_after_signer_opens_once_the_actor_approved() -> None:
    add = AddSigner("t1", BOB, (CAROL, ERIN), SignerPosition.AFTER)

    added = run_script(SIMPLE, [add])
    actor_done = run_script(SIMPLE, [add, approves(BOB)])

    assert assignees(added.state) == [("n", BOB)]
    assert [(t.assignee_id, t.status) for t in added.state.tasks] == [
        (BOB, TaskStatus.OPEN), (CAROL, TaskStatus.WAITING), (ERIN, TaskStatus.WAITING)]
    assert assignees(actor_done.state) == [("n", CAROL), ("n", ERIN)]


def test_after_signer_comes_before_the_next_person_of_a_sequential_node() -> None:
    route = definition(approver("n", users(BOB, VINCE), mode="sequential"))

    script = run_script(route, [AddSigner("t1", BOB, (CAROL,), SignerPosition.AFTER),
                                approves(BOB)])

    assert assignees(script.state) == [("n", CAROL)]
    assert [t.after for t in script.state.tasks if t.assignee_id == VINCE] == [("t3",)]


def test_actor_removes_their_undecided_signer() -> None:
    script = run_script(SIMPLE, [AddSigner("t1", BOB, (CAROL,), SignerPosition.BEFORE),
                                 RemoveSigner("t1", BOB, CAROL)])

    assert assignees(script.state) == [("n", BOB)]
    assert script.outcomes[-1].effects == (CloseTask("t2", TaskStatus.CANCELLED, "王芳减签"),
                                           ResumeTask("t1"))
    assert script.outcomes[-1].event_names() == ("workflow.signer.removed",)


def test_removing_the_last_pending_signer_completes_the_node() -> None:
    script = run_script(SIMPLE, [AddSigner("t1", BOB, (CAROL,)), approves(BOB),
                                 RemoveSigner("t1", BOB, CAROL)])

    assert assignees(script.state) == [("next", HR)]


def test_only_the_adding_actor_may_remove_a_signer() -> None:
    route = definition(approver("n", users(BOB, VINCE)))

    with pytest.raises(NotAllowed, match="只能减签自己加签且尚未处理的人员"):
        run_script(route, [AddSigner("t1", BOB, (CAROL,)), RemoveSigner("t2", VINCE, CAROL)])


def test_withdraw_before_any_decision_ends_the_item() -> None:
    script = run_script(SIMPLE, [Withdraw(ALICE, "填错了")])

    assert script.state.status is Status.WITHDRAWN
    assert script.outcomes[-1].effects[0] == CloseTask("t1", TaskStatus.CANCELLED, "审批已撤回")
    assert script.outcomes[-1].event_names() == ("workflow.instance.withdrawn",)


def test_withdraw_after_a_decision_is_refused_unless_the_definition_allows_it() -> None:
    allowing = definition(approver("n", users(BOB)), approver("next", users(HR)),
                          withdraw_after_decision=True)

    with pytest.raises(NotAllowed, match="已有审批人处理，不能撤回"):
        run_script(SIMPLE, [approves(BOB), Withdraw(ALICE)])
    assert run_script(allowing, [approves(BOB), Withdraw(ALICE)]).state.status is (
        Status.WITHDRAWN)


def test_withdraw_is_allowed_while_returned() -> None:
    script = run_script(SIMPLE, [lambda s: Return(task_of(s, BOB).id, BOB), Withdraw(ALICE)])

    assert script.state.status is Status.WITHDRAWN


def test_urge_notifies_open_assignees_at_most_once_an_hour() -> None:
    route = definition(approver("n", users(BOB, CAROL)))
    state = run_script(route).state

    first = advance(route, state, Urge(ALICE), now=T0, directory=org())
    with pytest.raises(NotAllowed, match="每小时只能催办一次，请 1 分钟后再试"):
        advance(route, first.state, Urge(ALICE), now=T0 + timedelta(minutes=59),
                directory=org())
    later = advance(route, first.state, Urge(ALICE), now=T0 + timedelta(hours=1),
                    directory=org())

    assert first.effects == (Notify(NotifyKind.URGE, (BOB, CAROL)),)
    assert first.state.last_urged_at == T0
    assert later.event_names() == ("workflow.instance.urged",)


def test_participants_comment_any_time_and_mentions_are_notified() -> None:
    finished = run_script(SIMPLE, [rejects(BOB)])

    outcome = advance(SIMPLE, finished.state, Comment(BOB, "请补充发票后重新提交", (DAVE,)),
                      now=T0, directory=org())
    reply = advance(SIMPLE, outcome.state, Comment(DAVE, "收到"), now=T0, directory=org())

    assert outcome.effects == (Notify(NotifyKind.MENTION, (DAVE,)),)
    assert outcome.events[0].to_dict() == {"name": "workflow.comment.added", "actor_id": BOB,
                                           "comment": "请补充发票后重新提交", "user_ids": [DAVE]}
    assert reply.event_names() == ("workflow.comment.added",)


def test_return_to_an_earlier_node_reopens_it() -> None:
    route = definition(approver("a", users(BOB)), approver("b", users(CAROL)),
                       approver("c", users(ERIN)))

    script = run_script(route, [approves(BOB), approves(CAROL),
                                lambda s: Return(task_of(s, ERIN).id, ERIN, "a", note="重新核对",
                                                 checklist=("核对金额",))])

    assert assignees(script.state) == [("a", BOB)]
    returned = script.outcomes[-1].events[0]
    assert returned.to_dict() == {"name": "workflow.task.returned", "actor_id": ERIN,
                                  "node_id": "c", "task_id": "t3", "comment": "重新核对",
                                  "target": "a", "checklist": ["核对金额"]}


def test_resubmit_is_only_for_the_initiator() -> None:
    with pytest.raises(NotAllowed, match="只有发起人可以重新提交"):
        run_script(SIMPLE, [lambda s: Return(task_of(s, BOB).id, BOB, INITIATOR),
                            Resubmit(BOB, {})])


def test_resubmit_recomputes_the_route_from_the_new_form() -> None:
    route = definition(condition_group(
        "g", branch("big", {"field": "amount", "op": "gt", "value": 100},
                    approver("boss", users(VINCE))),
        branch("small", {}, approver("manager", users(BOB)))))

    script = run_script(route, [lambda s: Return(task_of(s, VINCE).id, VINCE, INITIATOR),
                                Resubmit(ALICE, {"amount": 50})], form={"amount": 500})

    assert assignees(script.state) == [("manager", BOB)]
    assert script.outcomes[-1].events[0].to_dict()["changed"] == {"amount": [500, 50]}
    assert script.state.visited == frozenset({"start", "g", "manager"})


def test_state_does_not_grow_with_the_number_of_steps() -> None:
    route = definition(approver("a", users(BOB)), approver("b", users(CAROL)))
    cycle = [approves(BOB), lambda s: Return(task_of(s, CAROL).id, CAROL, "a")]

    short = run_script(route, cycle * 2)
    long = run_script(route, cycle * 30)

    assert (len(long.state.tasks), len(long.state.runs), len(long.state.timers)) == (1, 1, 0)
    assert len(long.state.recent) == RECENT_LIMIT
    assert long.state.approved_by == short.state.approved_by == frozenset({BOB})
    assert long.state.visited == short.state.visited
    assert long.state.counter == 61
