"""The acceptance scenarios S1, S2, S3 and S8 played through the engine."""

from decimal import Decimal

import pytest

from sopflow.rules.conditions import Json
from sopflow.workflow.engine import (
    INITIATOR,
    CloseTask,
    Definition,
    Finish,
    NodeKind,
    NotifyCC,
    OpenTask,
    Resubmit,
    Return,
    Status,
    TaskStatus,
    preview_route,
    status_text,
)

from .builders import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    HR,
    IT,
    VINCE,
    approver,
    approves,
    assignees,
    branch,
    cc,
    completes,
    condition_group,
    definition,
    department_head,
    handler,
    manager,
    org,
    role,
    run_script,
    task_of,
    users,
)

OVER_50K: dict[str, Json] = {"field": "f_budget", "op": "gt", "value": "50000"}


def marketing_activity() -> Definition:
    return definition(
        approver("head", department_head(), name="部门负责人"),
        approver("leader", manager(2), name="分管领导"),
        condition_group(
            "budget_rule",
            branch("over_50k", OVER_50K,
                   approver("finance", role("finance", role_name="财务"), name="财务会签"),
                   name="预算超过5万"),
            branch("other", {}, name="其他情况"),
        ),
    )


def test_s2_large_budget_goes_head_then_leader_then_finance_co_sign() -> None:
    script = run_script(marketing_activity(), [approves(BOB), approves(VINCE)],
                        form={"f_budget": Decimal("200000")})

    assert assignees(script.state) == [("finance", CAROL), ("finance", ERIN)]
    assert script.state.active_nodes == ("finance",)

    finished = run_script(marketing_activity(),
                          [approves(BOB), approves(VINCE), approves(CAROL), approves(ERIN)],
                          form={"f_budget": Decimal("200000")})
    assert finished.state.status is Status.APPROVED
    assert [e.task_id for e in finished.effects if isinstance(e, OpenTask)] == [
        "t1", "t2", "t3", "t4"]
    assert finished.outcomes[-1].effects[-1] == Finish(Status.APPROVED)


def test_s2_finance_co_sign_waits_for_both_finance_people() -> None:
    script = run_script(marketing_activity(), [approves(BOB), approves(VINCE), approves(CAROL)],
                        form={"f_budget": "200000"})

    assert script.state.status is Status.RUNNING
    assert assignees(script.state) == [("finance", ERIN)]
    assert script.outcomes[-1].event_names() == ("workflow.task.approved",)


@pytest.mark.parametrize(("case", "budget"), [
    ("30,000 is below the line", "30000"),
    ("exactly 50,000 is not over 50,000", Decimal("50000.00")),
])
def test_no_finance_step_when_budget_is_not_over_50000(case: str, budget: object) -> None:
    script = run_script(marketing_activity(), [approves(BOB), approves(VINCE)],
                        form={"f_budget": budget})

    assert script.state.status is Status.APPROVED
    assert "finance" not in script.state.visited
    chosen = [e for e in script.events if e.name == "workflow.branch.chosen"]
    assert [(e.node_id, e.target) for e in chosen] == [("budget_rule", "other")]


def test_s2_preview_names_every_approver_with_the_reason() -> None:
    steps = preview_route(marketing_activity(), initiator_id=ALICE,
                          form={"f_budget": "200000"}, directory=org())

    assert [(s.node_id, s.kind) for s in steps] == [
        ("head", NodeKind.APPROVER), ("leader", NodeKind.APPROVER),
        ("budget_rule", NodeKind.CONDITION_GROUP), ("finance", NodeKind.APPROVER)]
    assert [(a.name, a.reason) for s in steps for a in s.assignees] == [
        ("王芳", "市场部负责人"), ("孙副总", "发起人的 2 级主管"),
        ("张伟", "角色：财务"), ("刘洋", "角色：财务")]
    assert (steps[2].branch_name, steps[2].reason) == ("预算超过5万", "满足条件“预算超过5万”")
    assert [a.name for a in steps[3].skipped] == ["离职者"]


def expense_claim() -> Definition:
    return definition(
        approver("head", department_head(), name="部门负责人"),
        approver("finance", users(CAROL), name="财务审核"),
    )


def test_s1_finance_returns_to_initiator_who_resubmits_and_finance_sees_the_diff() -> None:
    form = {"type": "差旅", "total": Decimal("3200.00"), "invoice": "old.pdf"}
    returned = run_script(expense_claim(), [
        approves(BOB),
        lambda s: Return(task_of(s, CAROL).id, CAROL, INITIATOR, note="发票缺购买方纳税人识别号",
                         reason_category="电子发票未上传"),
    ], form=form)

    assert returned.state.status is Status.RETURNED
    assert returned.state.tasks == ()
    event = returned.outcomes[-1].events[-1]
    assert (event.name, event.actor_id, event.reason, event.comment) == (
        "workflow.instance.returned", CAROL, "电子发票未上传", "发票缺购买方纳税人识别号")
    assert CloseTask("t2", TaskStatus.RETURNED, "电子发票未上传") in returned.outcomes[-1].effects

    script = run_script(expense_claim(), [
        approves(BOB),
        lambda s: Return(task_of(s, CAROL).id, CAROL, INITIATOR, note="发票缺购买方纳税人识别号",
                         reason_category="电子发票未上传"),
        Resubmit(ALICE, {**form, "invoice": "new.pdf"}),
        approves(CAROL),
    ], form=form)
    resubmitted = script.outcomes[3].events[0]
    assert resubmitted.name == "workflow.instance.resubmitted"
    assert resubmitted.to_dict()["changed"] == {"invoice": ["old.pdf", "new.pdf"]}
    # 直接回到退回的节点: finance gets a fresh task, the head is not asked again.
    assert (resubmitted.target, resubmitted.node_id, resubmitted.reason) == (
        "returner", "finance", "直接回到“财务审核”")
    assert [(e.node_id, e.assignee_id) for e in script.outcomes[3].effects
            if isinstance(e, OpenTask)] == [("finance", CAROL)]
    assert script.state.status is Status.APPROVED
    assert script.state.round == 2


def test_s3_manager_approves_then_hr_handler_completes_the_filing() -> None:
    leave = definition(
        approver("manager", manager(1), name="部门经理"),
        handler("hr", role("hr"), name="HR 备案", field_permissions={"hr_note": "edit"}),
    )

    script = run_script(leave, [approves(BOB), completes(HR, hr_note="已备案")],
                        form={"start": "2026-09-30", "end": "2026-10-10", "days": 4})

    assert script.state.status is Status.APPROVED
    assert script.state.form.get("hr_note") == "已备案"
    completed = [e for e in script.events if e.name == "workflow.task.completed"]
    assert [(e.actor_id, e.to_dict()["changed"]) for e in completed] == [
        (HR, {"hr_note": [None, "已备案"]})]
    assert CloseTask("t2", TaskStatus.COMPLETED, "") in script.effects


def test_s8_repair_request_notifies_the_head_and_opens_a_task_for_the_picked_repairer() -> None:
    repair = definition(
        cc("notify_head", department_head()),
        handler("repair", {"type": "chosen_by_initiator", "from": "list", "user_ids": [IT, DAVE]},
                name="IT 维修"),
    )

    submitted = run_script(repair, form={"description": "打印机卡纸", "photo": "p.jpg"},
                           chosen_approvers={"repair": [IT]})
    finished = run_script(repair, [completes(IT)], form={"description": "打印机卡纸"},
                          chosen_approvers={"repair": [IT]})

    assert submitted.outcomes[0].effects == (
        NotifyCC("notify_head", (BOB,)), OpenTask("t1", "repair", IT, "发起人自选"))
    assert submitted.state.participants == frozenset({ALICE, BOB, IT})
    assert finished.state.status is Status.APPROVED


def test_s1_status_reads_head_review_then_finance_review_then_approved() -> None:
    route = definition(approver("head", department_head(), name="部门负责人审核"),
                       approver("finance", users(CAROL), name="财务审核"),
                       approver("archive", users(ERIN), name="归档"))

    texts = [status_text(route, run_script(route, steps).state) for steps in (
        [], [approves(BOB)], [approves(BOB), approves(CAROL)],
        [approves(BOB), approves(CAROL), approves(ERIN)])]

    assert texts == ["部门负责人审核中", "财务审核中", "归档审批中", "已通过"]
