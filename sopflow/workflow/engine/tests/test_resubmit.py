"""Resubmitting after a return to the initiator: start over, or straight back to the returner."""

import pytest

from sopflow.workflow.engine import (
    INITIATOR,
    AdminRestartFrom,
    Definition,
    DefinitionError,
    NotAllowed,
    OpenTask,
    Resubmit,
    ResubmitTo,
    Return,
    Status,
)

from .builders import (
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    ERIN,
    HR,
    VINCE,
    Step,
    approver,
    approves,
    assignees,
    branch,
    condition_group,
    definition,
    lane,
    parallel_group,
    raw_definition,
    run_script,
    task_of,
)
from .builders import users as named


def route(**settings: str) -> Definition:
    return definition(approver("head", named(BOB), name="部门负责人"),
                      approver("finance", named(CAROL), name="财务审核"), **settings)


def returns(user_id: int, resubmit_to: ResubmitTo | None = None) -> Step:
    return lambda s: Return(task_of(s, user_id).id, user_id, INITIATOR, note="发票缺识别号",
                            reason_category="电子发票未上传", resubmit_to=resubmit_to)


FORM = {"invoice": "old.pdf", "amount": 500}
NEW = {"invoice": "new.pdf", "amount": 500}


def opened(script_outcome_effects: object) -> list[tuple[str, int]]:
    assert isinstance(script_outcome_effects, tuple)
    return [(e.node_id, e.assignee_id) for e in script_outcome_effects
            if isinstance(e, OpenTask)]


def test_default_is_returner_and_survives_the_json_round_trip() -> None:
    assert route().resubmit_to is ResubmitTo.RETURNER
    assert route().to_dict()["resubmit_to"] == "returner"
    start_over = route(resubmit_to="start")
    assert Definition.from_dict(start_over.to_dict()) == start_over
    assert start_over.to_dict()["resubmit_to"] == "start"
    with pytest.raises(DefinitionError, match="resubmit_to"):
        Definition.from_dict(raw_definition(approver("a", named(BOB)), resubmit_to="middle"))


def test_returner_goes_straight_back_to_the_node_that_returned_it() -> None:
    script = run_script(route(), [approves(BOB), returns(CAROL), Resubmit(ALICE, NEW),
                                  approves(CAROL)], form=FORM)

    returned = script.outcomes[2]
    assert returned.state.resume is not None
    assert returned.state.resume.node_id == "finance"
    assert returned.events[-1].target == "returner"
    resubmitted = script.outcomes[3]
    assert opened(resubmitted.effects) == [("finance", CAROL)]
    event = resubmitted.events[0]
    assert (event.name, event.node_id, event.target, event.reason) == (
        "workflow.instance.resubmitted", "finance", "returner", "直接回到“财务审核”")
    assert event.to_dict()["changed"] == {"invoice": ["old.pdf", "new.pdf"]}
    assert resubmitted.state.resume is None
    assert resubmitted.state.round == 2
    assert script.state.status is Status.APPROVED


def test_start_setting_runs_the_whole_route_again() -> None:
    script = run_script(route(resubmit_to="start"), [
        approves(BOB), returns(CAROL), Resubmit(ALICE, NEW), approves(BOB), approves(CAROL),
    ], form=FORM)

    assert script.outcomes[2].state.resume is None
    assert script.outcomes[2].events[-1].target == "start"
    event = script.outcomes[3].events[0]
    assert (event.target, event.reason) == ("start", "从头开始审批")
    assert opened(script.outcomes[3].effects) == [("head", BOB)]
    assert script.state.status is Status.APPROVED


@pytest.mark.parametrize(("setting", "override", "first"), [
    ("start", ResubmitTo.RETURNER, ("finance", CAROL)),
    ("returner", ResubmitTo.START, ("head", BOB)),
])
def test_a_return_may_override_the_definition(setting: str, override: ResubmitTo,
                                              first: tuple[str, int]) -> None:
    script = run_script(route(resubmit_to=setting),
                        [approves(BOB), returns(CAROL, override), Resubmit(ALICE, NEW)],
                        form=FORM)

    assert assignees(script.state) == [first]


def test_override_only_applies_to_a_return_to_the_initiator() -> None:
    with pytest.raises(NotAllowed, match="只有退回发起人时"):
        run_script(route(), [approves(BOB), lambda s: Return(
            task_of(s, CAROL).id, CAROL, "head", resubmit_to=ResubmitTo.START)])


def test_the_returning_node_resolves_its_assignees_again_from_the_new_form() -> None:
    picked = definition(approver("head", named(BOB)),
                        approver("payer", {"type": "form_users", "field": "payer"}))

    script = run_script(picked, [approves(BOB), returns(CAROL), Resubmit(ALICE, {"payer": ERIN})],
                        form={"payer": CAROL})

    assert assignees(script.state) == [("payer", ERIN)]


def big_or_small() -> Definition:
    return definition(
        approver("head", named(BOB)),
        condition_group("rule",
                        branch("big", {"field": "amount", "op": "gt", "value": 1000},
                               approver("vp", named(VINCE), name="分管领导")),
                        branch("small", {})),
        approver("finance", named(CAROL), name="财务审核"))


def test_falls_back_to_the_start_when_the_returner_is_no_longer_on_the_route() -> None:
    script = run_script(big_or_small(), [
        approves(BOB), returns(VINCE), Resubmit(ALICE, {"amount": 200}), approves(BOB),
        approves(CAROL),
    ], form={"amount": 5000})

    event = script.outcomes[3].events[0]
    assert (event.target, event.node_id) == ("start", None)
    assert event.reason == "修改后的表单不再经过“分管领导”，从头开始审批"
    assert opened(script.outcomes[3].effects) == [("head", BOB)]
    assert script.outcomes[3].state.visited == frozenset({"start", "head"})
    assert script.state.status is Status.APPROVED


def test_falls_back_when_the_new_route_adds_an_approver_nobody_asked_yet() -> None:
    script = run_script(big_or_small(), [
        approves(BOB), returns(CAROL), Resubmit(ALICE, {"amount": 5000}),
    ], form={"amount": 200})

    event = script.outcomes[3].events[0]
    assert (event.target, event.reason) == ("start", "修改后的表单需要经过“分管领导”，从头开始审批")
    assert assignees(script.state) == [("head", BOB)]


def test_stays_on_a_condition_branch_that_still_holds() -> None:
    script = run_script(big_or_small(), [
        approves(BOB), approves(VINCE), returns(CAROL), Resubmit(ALICE, {"amount": 4000}),
    ], form={"amount": 5000})

    assert script.outcomes[-1].events[0].target == "returner"
    assert assignees(script.state) == [("finance", CAROL)]


def two_lanes() -> Definition:
    return definition(approver("head", named(BOB)),
                      parallel_group("both", lane("a", approver("a1", named(VINCE))),
                                     lane("b", approver("b1", named(CAROL))),
                                     child=approver("after", named(HR))))


def test_returning_from_a_branch_reopens_it_and_the_siblings_still_running() -> None:
    script = run_script(two_lanes(), [
        approves(BOB), returns(VINCE), Resubmit(ALICE, NEW), approves(CAROL), approves(VINCE),
        approves(HR),
    ], form=FORM)

    resume = script.outcomes[2].state.resume
    assert resume is not None
    assert (resume.node_id, resume.nodes) == ("a1", ("a1", "b1"))
    assert opened(script.outcomes[3].effects) == [("a1", VINCE), ("b1", CAROL)]
    assert [(j.group_id, j.arrived) for j in script.outcomes[4].state.joins] == [("both", ("b",))]
    assert assignees(script.outcomes[5].state) == [("after", HR)]
    assert script.state.status is Status.APPROVED


def test_a_branch_that_had_finished_is_not_asked_again() -> None:
    script = run_script(two_lanes(), [
        approves(BOB), approves(CAROL), returns(VINCE), Resubmit(ALICE, NEW), approves(VINCE),
    ], form=FORM)

    assert opened(script.outcomes[4].effects) == [("a1", VINCE)]
    assert [(j.group_id, j.arrived) for j in script.outcomes[4].state.joins] == [("both", ("b",))]
    assert assignees(script.state) == [("after", HR)]


def test_start_over_from_a_branch_runs_everything_again() -> None:
    script = run_script(two_lanes(), [
        approves(BOB), approves(CAROL), returns(VINCE, ResubmitTo.START), Resubmit(ALICE, NEW),
    ], form=FORM)

    assert assignees(script.state) == [("head", BOB)]
    assert script.state.joins == ()


def test_admin_restart_of_a_returned_item_forgets_where_it_would_resume() -> None:
    script = run_script(route(), [
        approves(BOB), returns(CAROL),
        AdminRestartFrom("head", ADMIN, "重新审批"),
    ], form=FORM)

    assert script.state.resume is None
    assert assignees(script.state) == [("head", BOB)]
