"""Builders for engine tests: a fixed org, definition JSON pieces and `run_script`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sopflow.rules.conditions import Json
from sopflow.workflow.engine import (
    Approve,
    Command,
    Complete,
    Definition,
    Effect,
    Event,
    InstanceState,
    Outcome,
    Reject,
    Task,
    advance,
    start,
)
from sopflow.workflow.engine.testing import Department, FakeDirectory, Person

T0 = datetime(2026, 9, 28, 9, 0, tzinfo=UTC)

# The cast (ids): alice submits; bob is her manager and head of 市场部; vince 分管领导 above bob;
# carol and erin are finance; ghost is a disabled finance account; hr handles 备案.
ALICE, BOB, CAROL, DAVE, ERIN, VINCE, CEO, HR, ADMIN, GHOST, FRANK, IT = range(1, 13)
HQ, MARKETING, FINANCE, HR_DEPT, MARKETING_TEAM, IT_DEPT = range(1, 7)
SALES_POSITION, REPAIR_POSITION = 501, 502

type RawNode = dict[str, Json]


def org() -> FakeDirectory:
    directory = FakeDirectory(admins=[ADMIN])
    for department in (
        Department(HQ, "总公司", None, [CEO]),
        Department(MARKETING, "市场部", HQ, [BOB]),
        Department(FINANCE, "财务部", HQ, [CAROL]),
        Department(HR_DEPT, "人力资源部", HQ, [HR]),
        Department(MARKETING_TEAM, "市场一组", MARKETING, [FRANK]),
        Department(IT_DEPT, "IT部", HQ, []),
    ):
        directory.add_department(department)
    for person in (
        Person(ALICE, "李娜", MARKETING, BOB, SALES_POSITION),
        Person(BOB, "王芳", MARKETING, VINCE),
        Person(CAROL, "张伟", FINANCE, CEO, roles={"finance"}),
        Person(DAVE, "赵强", IT_DEPT, CEO, REPAIR_POSITION),
        Person(ERIN, "刘洋", FINANCE, CAROL, roles={"finance"}),
        Person(VINCE, "孙副总", HQ, CEO, roles={"vp"}),
        Person(CEO, "周总", HQ, None, roles={"ceo"}),
        Person(HR, "吴敏", HR_DEPT, CEO, roles={"hr"}),
        Person(ADMIN, "管理员", HQ, CEO, roles={"process_admin"}),
        Person(GHOST, "离职者", FINANCE, CAROL, roles={"finance"}, is_active=False),
        Person(FRANK, "郑凯", MARKETING_TEAM, BOB, SALES_POSITION),
        Person(IT, "冯工", IT_DEPT, DAVE, REPAIR_POSITION),
    ):
        directory.add_person(person)
    return directory


# --- approver rules -------------------------------------------------------------------------

def users(*user_ids: int) -> RawNode:
    return {"type": "users", "user_ids": list(user_ids)}


def role(name: str, scope: str = "all", role_name: str = "") -> RawNode:
    return {"type": "role", "role": name, "scope": scope, "role_name": role_name}


def manager(level: int = 1) -> RawNode:
    return {"type": "manager", "level": level}


def department_head(level: int = 0) -> RawNode:
    return {"type": "department_head", "level": level}


# --- nodes ----------------------------------------------------------------------------------

def approver(node_id: str, rule: RawNode, *, name: str = "", mode: str = "all",
             child: RawNode | None = None, **settings: Json) -> RawNode:
    return {"type": "approver", "id": node_id, "name": name or node_id, "approver_rule": rule,
            "mode": mode, "child": child, **settings}


def handler(node_id: str, rule: RawNode, *, name: str = "", child: RawNode | None = None,
            **settings: Json) -> RawNode:
    return {"type": "handler", "id": node_id, "name": name or node_id, "approver_rule": rule,
            "child": child, **settings}


def cc(node_id: str, rule: RawNode, *, child: RawNode | None = None) -> RawNode:
    return {"type": "cc", "id": node_id, "name": node_id, "approver_rule": rule, "child": child}


def branch(branch_id: str, condition: RawNode, *nodes: RawNode, name: str = "") -> RawNode:
    return {"id": branch_id, "name": name or branch_id, "condition": condition,
            "child": chain(*nodes)}


def condition_group(node_id: str, *branches: RawNode, child: RawNode | None = None) -> RawNode:
    return {"type": "condition_group", "id": node_id, "name": node_id,
            "branches": list(branches), "child": child}


def lane(branch_id: str, *nodes: RawNode) -> RawNode:
    return {"id": branch_id, "name": branch_id, "child": chain(*nodes)}


def parallel_group(node_id: str, *lanes: RawNode, child: RawNode | None = None) -> RawNode:
    return {"type": "parallel_group", "id": node_id, "name": node_id, "branches": list(lanes),
            "child": child}


def chain(*nodes: RawNode) -> RawNode | None:
    """Link nodes one after another through `child` (the last keeps its own child)."""
    linked: RawNode | None = None
    for node in reversed(nodes):
        if linked is not None:
            node = {**node, "child": _append(node.get("child"), linked)}
        linked = node
    return linked


def raw_definition(*nodes: RawNode, **settings: Json) -> RawNode:
    return {"type": "start", "id": "start", "name": "发起人", "child": chain(*nodes),
            **settings}


def definition(*nodes: RawNode, **settings: Json) -> Definition:
    return Definition.from_dict(raw_definition(*nodes, **settings))


def _append(existing: Json, tail: RawNode) -> RawNode:
    if existing is None:
        return tail
    assert isinstance(existing, dict)
    return {**existing, "child": _append(existing.get("child"), tail)}


# --- running --------------------------------------------------------------------------------

type Step = Command | Callable[[InstanceState], Command]


@dataclass
class Script:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def state(self) -> InstanceState:
        return self.outcomes[-1].state

    @property
    def effects(self) -> list[Effect]:
        return [effect for outcome in self.outcomes for effect in outcome.effects]

    @property
    def events(self) -> list[Event]:
        return [event for outcome in self.outcomes for event in outcome.events]

    def event_names(self) -> list[str]:
        return [event.name for event in self.events]


def run_script(definition: Definition, steps: Sequence[Step] = (), *,
               directory: FakeDirectory | None = None, initiator_id: int = ALICE,
               form: Mapping[str, object] | None = None, now: datetime = T0,
               **start_options: object) -> Script:
    """Start, then apply each step one minute apart; assert the JSON round-trip every time."""
    directory = directory or org()
    outcome = start(definition, initiator_id=initiator_id, form=form or {}, now=now,
                    directory=directory, **start_options)  # type: ignore[arg-type]
    assert_round_trip(outcome.state)
    script = Script([outcome])
    for index, step in enumerate(steps, start=1):
        command = step(script.state) if callable(step) else step
        outcome = advance(definition, script.state, command, now=now + timedelta(minutes=index),
                          directory=directory)
        assert_round_trip(outcome.state)
        script.outcomes.append(outcome)
    return script


def assert_round_trip(state: InstanceState) -> None:
    import json

    encoded = json.dumps(state.to_dict(), ensure_ascii=False)
    assert InstanceState.from_dict(json.loads(encoded)) == state


def task_of(state: InstanceState, user_id: int) -> Task:
    """The user's single open task."""
    (task,) = [t for t in state.open_tasks() if t.assignee_id == user_id]
    return task


def approves(user_id: int, comment: str = "同意", **extra: object) -> Step:
    return lambda state: Approve(task_of(state, user_id).id, user_id, comment,
                                 **extra)  # type: ignore[arg-type]


def rejects(user_id: int, note: str = "不同意", category: str = "") -> Step:
    return lambda state: Reject(task_of(state, user_id).id, user_id, category, note)


def completes(user_id: int, **form_updates: object) -> Step:
    return lambda state: Complete(task_of(state, user_id).id, user_id, form_updates)


def assignees(state: InstanceState) -> list[tuple[str, int]]:
    """(node id, user id) of every open task, in task order."""
    return [(t.node_id, t.assignee_id) for t in state.open_tasks()]
