"""Deadlines: due times, the overdue ladder and idempotent timer firing."""

from datetime import datetime, timedelta

import pytest

from sopflow.rules.conditions import Json
from sopflow.workflow.engine import (
    Approve,
    CancelTimer,
    Definition,
    Notify,
    NotifyKind,
    Outcome,
    ScheduleTimer,
    Status,
    TimerFired,
    advance,
    start,
)

from .builders import (
    ALICE,
    BOB,
    CEO,
    HR,
    T0,
    VINCE,
    approver,
    assignees,
    definition,
    org,
    run_script,
    users,
)


def with_deadline(**deadline: Json) -> Definition:
    return definition(approver("a", users(BOB), deadline=deadline), approver("b", users(HR)))


def test_task_is_due_after_the_nodes_working_days() -> None:
    script = run_script(with_deadline(working_days=2, urgent_hours=24))

    assert script.state.tasks[0].due_at == T0 + timedelta(days=2)
    assert script.outcomes[0].effects[-1] == ScheduleTimer("t1:0", "a", "t1",
                                                          T0 + timedelta(days=2))


def test_urgent_item_uses_the_urgent_hours() -> None:
    script = run_script(with_deadline(working_days=2, urgent_hours=24), instance_urgent=True)

    assert script.state.tasks[0].due_at == T0 + timedelta(hours=24)


class WeekdaysOnly:
    def add_working_days(self, start: datetime, days: int) -> datetime:
        moment = start
        while days:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                days -= 1
        return moment


def test_working_days_come_from_the_calendar_port() -> None:
    friday = datetime(2026, 10, 16, 9, 0, tzinfo=T0.tzinfo)

    outcome = start(with_deadline(working_days=2), initiator_id=ALICE, form={}, now=friday,
                    directory=org(), calendar=WeekdaysOnly())

    assert outcome.state.tasks[0].due_at == friday + timedelta(days=4)


LADDER: list[Json] = [
    {"after_hours": 0, "action": "notify", "notify": ["assignee"]},
    {"after_hours": 24, "action": "notify", "notify": ["assignee", "manager"]},
]


def fire(definition: Definition, outcome: Outcome, key: str, hours: int) -> Outcome:
    return advance(definition, outcome.state, TimerFired(key),
                   now=T0 + timedelta(hours=hours), directory=org())


def test_overdue_ladder_reminds_the_assignee_then_tells_their_manager() -> None:
    route = with_deadline(hours=48, on_due=LADDER)
    started = run_script(route).outcomes[0]

    first = fire(route, started, "t1:0", 48)
    second = fire(route, first, "t1:1", 72)

    assert first.effects == (Notify(NotifyKind.OVERDUE, (BOB,), "t1", "a"),
                             ScheduleTimer("t1:1", "a", "t1", T0 + timedelta(hours=72)))
    assert second.effects == (Notify(NotifyKind.OVERDUE, (BOB, VINCE), "t1", "a"),)
    assert second.event_names() == ("workflow.task.overdue",)
    assert second.state.timers == ()


def test_firing_a_timer_twice_does_nothing_the_second_time() -> None:
    route = with_deadline(hours=48, on_due=LADDER)
    started = run_script(route).outcomes[0]

    first = fire(route, started, "t1:0", 48)
    again = fire(route, first, "t1:0", 49)

    assert again == Outcome(first.state)


def test_deciding_cancels_the_pending_timer() -> None:
    route = with_deadline(hours=48)
    started = run_script(route).outcomes[0]

    approved = advance(route, started.state, Approve("t1", BOB), now=T0, directory=org())
    late = fire(route, approved, "t1:0", 48)

    assert CancelTimer("t1:0") in approved.effects
    assert late == Outcome(approved.state)


@pytest.mark.parametrize(("case", "step", "status", "tasks"), [
    ("auto approve", {"after_hours": 0, "action": "auto_approve"}, Status.RUNNING, [("b", HR)]),
    ("auto reject", {"after_hours": 0, "action": "auto_reject"}, Status.REJECTED, []),
    ("transfer to the manager", {"after_hours": 0, "action": "transfer"}, Status.RUNNING,
     [("a", VINCE)]),
    ("transfer to a named user", {"after_hours": 0, "action": "transfer", "to_user_id": CEO},
     Status.RUNNING, [("a", CEO)]),
])
def test_due_action_runs_when_the_timer_fires(case: str, step: Json, status: Status,
                                              tasks: list[tuple[str, int]]) -> None:
    route = with_deadline(hours=8, on_due=[step])
    started = run_script(route).outcomes[0]

    fired = fire(route, started, "t1:0", 8)

    assert fired.state.status is status
    assert assignees(fired.state) == tasks
    assert fired.events != ()
