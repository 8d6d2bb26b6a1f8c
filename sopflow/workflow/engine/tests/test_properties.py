"""Invariants over random small definitions driven by random command sequences."""

from datetime import timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sopflow.rules.conditions import Json
from sopflow.workflow.engine import (
    INITIATOR,
    AddSigner,
    AdminReassign,
    AdminSkip,
    Approve,
    CloseTask,
    Command,
    Comment,
    Complete,
    Definition,
    IllegalCommand,
    InstanceState,
    NoApprover,
    NotAllowed,
    OpenTask,
    Reject,
    RemoveSigner,
    Resubmit,
    ResubmitTo,
    Return,
    SignerPosition,
    Status,
    TimerFired,
    Transfer,
    Urge,
    Withdraw,
    advance,
    start,
)
from sopflow.workflow.engine.nodes import NodeKind

from .builders import (
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    ERIN,
    GHOST,
    HR,
    T0,
    VINCE,
    assert_round_trip,
    org,
)

PEOPLE = [BOB, CAROL, ERIN, VINCE, HR, GHOST, ALICE]
ACTIVE = [BOB, CAROL, ERIN, VINCE, HR, ADMIN]
FINISHED = {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.TERMINATED}

type Raw = dict[str, Json]

rules: st.SearchStrategy[Raw] = st.one_of(
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True).map(
        lambda ids: {"type": "users", "user_ids": list(ids)}),
    st.integers(1, 4).map(lambda level: {"type": "manager", "level": level}),
    st.just({"type": "role", "role": "finance"}),
    st.just({"type": "initiator"}),
)
modes: st.SearchStrategy[Raw] = st.one_of(
    st.sampled_from([{"mode": "all"}, {"mode": "any"}, {"mode": "sequential"}]),
    st.integers(1, 3).map(lambda n: {"mode": "quorum", "quorum": {"min_count": n}}),
    st.integers(1, 100).map(lambda p: {"mode": "quorum", "quorum": {"min_percent": p}}),
)
policies: st.SearchStrategy[Raw] = st.fixed_dictionaries({
    "nobody": st.sampled_from(["auto_approve", "to_process_admin"]),
    "initiator": st.sampled_from(["auto_approve", "to_manager", "self"]),
    "same_approver": st.sampled_from(["auto_approve_all", "auto_approve_consecutive", "never"]),
})
deadlines: st.SearchStrategy[Raw | None] = st.one_of(st.none(), st.sampled_from([
    {"hours": 8, "on_due": [{"after_hours": 0, "action": "notify", "notify": ["assignee"]}]},
    {"hours": 8, "on_due": [{"after_hours": 0, "action": "auto_approve"}]},
    {"hours": 8, "on_due": [{"after_hours": 0, "action": "transfer"}]},
]))


@st.composite
def task_nodes(draw: st.DrawFn) -> Raw:
    kind = draw(st.sampled_from(["approver", "approver", "handler"]))
    node: Raw = {"type": kind, "approver_rule": draw(rules), **draw(modes),
                 "policies": draw(policies), "deadline": draw(deadlines)}
    if kind == "handler":
        node["field_permissions"] = {"note": "edit"}
    return node


def chains(depth: int) -> st.SearchStrategy[list[Raw]]:
    cc_nodes: st.SearchStrategy[Raw] = rules.map(lambda rule: {"type": "cc",
                                                               "approver_rule": rule})
    leaf = st.one_of(task_nodes(), task_nodes(), cc_nodes)
    if depth == 0:
        return st.lists(leaf, min_size=1, max_size=2)
    groups: st.SearchStrategy[Raw] = st.one_of(
        st.tuples(st.integers(0, 9), chains(depth - 1), chains(depth - 1)).map(
            lambda t: {"type": "condition_group", "branches": [
                {"condition": {"field": "amount", "op": "gt", "value": t[0]}, "child": t[1]},
                {"condition": {}, "child": t[2]}]}),
        st.tuples(chains(depth - 1), st.one_of(st.just([]), chains(depth - 1))).map(
            lambda t: {"type": "parallel_group", "branches": [{"child": t[0]},
                                                              {"child": t[1]}]}),
    )
    return st.lists(st.one_of(leaf, groups), min_size=1, max_size=3)


def build(nodes: list[Raw]) -> Raw:
    ids = count(1)

    def link(chain: list[Raw]) -> Raw | None:
        linked: Raw | None = None
        for raw in reversed([name(dict(n)) for n in chain]):
            raw["child"] = linked
            linked = raw
        return linked

    def name(raw: Raw) -> Raw:
        raw["id"] = raw["name"] = f"n{next(ids)}"
        if "branches" in raw:
            branches: list[Json] = []
            raw_branches = raw["branches"]
            assert isinstance(raw_branches, list)
            for b in raw_branches:
                assert isinstance(b, dict)
                child = b.get("child")
                assert isinstance(child, list)
                branches.append({**b, "id": f"b{next(ids)}", "child": link(child)})
            raw["branches"] = branches
        return raw

    return {"type": "start", "id": "start", "child": link(nodes)}


def rare_commands(state: InstanceState) -> list[Command]:
    """Instance-level commands, drawn now and then so that most runs get deep into the route."""
    found: list[Command] = [Urge(ALICE), Withdraw(ALICE), Comment(ALICE, "进度如何？")]
    found.extend(AdminSkip(run.node_id, ADMIN, "测试跳过") for run in state.runs)
    found.extend(AdminReassign(task.id, ADMIN, ACTIVE[index % 5], "测试转交")
                 for index, task in enumerate(state.tasks))
    found.extend(RemoveSigner(task.id, task.added_by, task.assignee_id)
                 for task in state.tasks if task.added_by is not None)
    return found


def decisions(definition: Definition, state: InstanceState) -> list[Command]:
    found: list[Command] = [TimerFired(timer.key) for timer in state.timers]
    if state.status is Status.RETURNED:
        found.append(Resubmit(ALICE, {"amount": 3}))
        found.append(Resubmit(ALICE, {"amount": 300}))
    for task in state.open_tasks():
        actor = task.assignee_id
        node = definition.task_node(task.node_id)
        if node.kind is NodeKind.HANDLER:
            found += [Complete(task.id, actor, {"note": "done"})] * 4
        else:
                found += [Approve(task.id, actor)] * 4 + [Reject(task.id, actor, note="不行")]
        found.append(Return(task.id, actor, INITIATOR))
        found.append(Return(task.id, actor, INITIATOR, resubmit_to=ResubmitTo.START))
        found.extend(Return(task.id, actor, node_id) for node_id in sorted(state.visited))
        others = [u for u in ACTIVE if u != actor]
        found.append(Transfer(task.id, actor, others[len(state.visited) % len(others)]))
        found.extend(AddSigner(task.id, actor, (others[0],), position)
                     for position in SignerPosition)
    return found


def check_invariants(state: InstanceState) -> None:
    directory = org()
    assert_round_trip(state)
    assert all(directory.is_active(task.assignee_id) for task in state.open_tasks())
    if state.status is Status.RUNNING:
        assert state.open_tasks() or state.timers
        assert state.runs
    if state.status in FINISHED or state.status is Status.RETURNED:
        assert (state.tasks, state.runs, state.joins, state.timers) == ((), (), (), ())
    assert len({task.id for task in state.tasks}) == len(state.tasks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nodes=chains(2), amount=st.integers(0, 10), data=st.data())
def test_random_routes_keep_their_invariants(nodes: list[Raw], amount: int,
                                              data: st.DataObject) -> None:
    definition = Definition.from_dict(build(nodes))
    assert Definition.from_dict(definition.to_dict()) == definition
    directory = org()
    try:
        outcome = start(definition, initiator_id=ALICE, form={"amount": amount}, now=T0,
                        directory=directory)
    except NoApprover:
        return
    assert outcome.events
    check_invariants(outcome.state)
    opened = {e.task_id for e in outcome.effects if isinstance(e, OpenTask)}
    closed: set[str] = set()
    state = outcome.state
    for step in range(12):
        if state.status in FINISHED:
            break
        options = decisions(definition, state)
        if not options or data.draw(st.integers(0, 4), label="rare") == 0:
            options = rare_commands(state) + options
        command = data.draw(st.sampled_from(options), label=f"step {step}")
        now = T0 + timedelta(hours=2 * step + 1)
        try:
            outcome = advance(definition, state, command, now=now, directory=directory)
        except (NotAllowed, IllegalCommand, NoApprover):
            continue
        assert advance(definition, state, command, now=now, directory=directory) == outcome
        if outcome.state != state:
            assert outcome.events
        for effect in outcome.effects:
            if isinstance(effect, OpenTask):
                assert effect.task_id not in opened
                opened.add(effect.task_id)
            if isinstance(effect, CloseTask):
                assert effect.task_id in opened
                assert effect.task_id not in closed
                closed.add(effect.task_id)
        state = outcome.state
        check_invariants(state)
    still_open = {t.id for t in state.tasks if t.is_opened}
    assert still_open == opened - closed
