"""The JSON edge: state, effects, events and route steps as the Django side stores them."""

from datetime import timedelta
from decimal import Decimal

import pytest

from sopflow.workflow.engine import (
    CloseTask,
    InstanceState,
    NodeKind,
    OpenTask,
    TaskStatus,
    effect_to_dict,
    preview_route,
)

from .builders import (
    ALICE,
    BOB,
    CAROL,
    HR,
    T0,
    approver,
    cc,
    definition,
    lane,
    manager,
    org,
    parallel_group,
    run_script,
    users,
)


def test_state_stores_decimal_and_dates_as_strings() -> None:
    script = run_script(definition(approver("a", users(BOB))),
                        form={"amount": Decimal("3200.00"), "day": T0.date(), "lines": ({"x": 1},)})

    data = script.state.to_dict()

    assert data["form"] == {"amount": "3200.00", "day": "2026-09-28", "lines": [{"x": 1}]}
    assert data["submitted_at"] == "2026-09-28T09:00:00+00:00"
    assert data["tasks"] == [{"id": "t1", "node_id": "a", "assignee_id": BOB,
                              "reason": "指定成员", "status": "open", "order": 0,
                              "added_by": None, "signer": None, "after": [], "due_at": None}]


def test_state_from_foreign_data_is_refused() -> None:
    data = run_script(definition(approver("a", users(BOB)))).state.to_dict()

    with pytest.raises(ValueError, match="expected an integer"):
        InstanceState.from_dict({**data, "initiator_id": "1"})


def test_effects_serialise_with_their_type_name() -> None:
    opened = OpenTask("t1", "a", BOB, "指定成员", T0 + timedelta(days=2))

    assert effect_to_dict(opened) == {
        "type": "OpenTask", "task_id": "t1", "node_id": "a", "assignee_id": BOB,
        "reason": "指定成员", "due_at": "2026-09-30T09:00:00+00:00", "added_by": None}
    assert effect_to_dict(CloseTask("t1", TaskStatus.APPROVED)) == {
        "type": "CloseTask", "task_id": "t1", "status": "approved", "reason": ""}


def test_preview_marks_parallel_branches_and_cc_recipients() -> None:
    route = definition(cc("tell", manager(1)),
                       parallel_group("g", lane("x", approver("x1", users(CAROL))),
                                      lane("y", approver("y1", users(HR)))))

    steps = preview_route(route, initiator_id=ALICE, form={}, directory=org())

    assert [(s.node_id, s.kind, s.parallel_branch_id) for s in steps] == [
        ("tell", NodeKind.CC, ""), ("g", NodeKind.PARALLEL_GROUP, ""),
        ("x1", NodeKind.APPROVER, "x"), ("y1", NodeKind.APPROVER, "y")]
    assert [a.user_id for a in steps[0].assignees] == [BOB]
    assert steps[2].to_dict()["assignees"] == [
        {"user_id": CAROL, "name": "张伟", "reason": "指定成员", "is_auto_approved": False}]
