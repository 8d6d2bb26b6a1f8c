"""Moving tokens through the tree: entering nodes, opening/closing tasks, joins, re-entry.

`Work` is a private mutable copy of one `InstanceState` while a single command is applied.
Any exception discards it, so a refused command never leaves a half-applied state behind.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

from .definition import BranchRef, Definition, Exit
from .directory import Directory, WorkCalendar
from .effects import (
    CancelTimer,
    CloseTask,
    Effect,
    Event,
    Finish,
    NotifyCC,
    OpenTask,
    Outcome,
    ResumeTask,
    ScheduleTimer,
)
from .nodes import CcNode, ConditionGroup, Mode, ParallelGroup, RuleType, StartNode, TaskNode
from .resolve import Context, resolve_cc, resolve_task_node
from .route import choose_branch
from .state import (
    RECENT_LIMIT,
    ClosedTask,
    InstanceState,
    Join,
    NodeRun,
    Status,
    Task,
    TaskStatus,
    Timer,
)

FINISH_EVENTS = {Status.APPROVED: "workflow.instance.approved",
                 Status.REJECTED: "workflow.instance.rejected",
                 Status.WITHDRAWN: "workflow.instance.withdrawn",
                 Status.TERMINATED: "workflow.instance.terminated"}


class Work:
    """Scratch copy of the state plus the effects and events produced so far."""

    def __init__(self, definition: Definition, state: InstanceState, *, now: datetime,
                 directory: Directory, calendar: WorkCalendar) -> None:
        self.definition = definition
        self.directory = directory
        self.calendar = calendar
        self.now = now
        self.base = state
        self.status = state.status
        self.form = state.form
        self.counter = state.counter
        self.tasks = list(state.tasks)
        self.runs = list(state.runs)
        self.joins = {join.group_id: list(join.arrived) for join in state.joins}
        self.timers = list(state.timers)
        self.visited = set(state.visited)
        self.approved_by = set(state.approved_by)
        self.previous_approvers = state.previous_approvers
        self.participants = set(state.participants)
        self.next_approvers = state.next_approvers
        self.has_decision = state.has_decision
        self.last_urged_at = state.last_urged_at
        self.recent = list(state.recent)
        self.resume = state.resume
        self.effects: list[Effect] = []
        self.events: list[Event] = []

    def freeze(self) -> Outcome:
        state = replace(
            self.base, status=self.status, form=self.form, counter=self.counter,
            tasks=tuple(self.tasks), runs=tuple(self.runs),
            joins=tuple(Join(group, tuple(arrived)) for group, arrived in self.joins.items()),
            timers=tuple(self.timers), visited=frozenset(self.visited),
            approved_by=frozenset(self.approved_by),
            previous_approvers=self.previous_approvers,
            participants=frozenset(self.participants), next_approvers=self.next_approvers,
            has_decision=self.has_decision, last_urged_at=self.last_urged_at,
            recent=tuple(self.recent[-RECENT_LIMIT:]), resume=self.resume)
        return Outcome(state, tuple(self.effects), tuple(self.events))

    def context(self) -> Context:
        return Context(initiator_id=self.base.initiator_id, form=self.form,
                       chosen=self.base.chosen, next_approvers=self.next_approvers,
                       approved_by=frozenset(self.approved_by),
                       previous_approvers=self.previous_approvers)

    def name(self, user_id: int | None) -> str:
        return "系统" if user_id is None else self.directory.name_of(user_id)

    def new_task_id(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def find_task(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)

    def put_task(self, task: Task) -> None:
        for index, existing in enumerate(self.tasks):
            if existing.id == task.id:
                self.tasks[index] = task
                return
        self.tasks.append(task)

    def node_tasks(self, node_id: str) -> list[Task]:
        return [task for task in self.tasks if task.node_id == node_id]

    def find_run(self, node_id: str) -> NodeRun | None:
        return next((run for run in self.runs if run.node_id == node_id), None)

    def put_run(self, run: NodeRun) -> None:
        self.runs = [run if r.node_id == run.node_id else r for r in self.runs]

    def emit(self, event: Event) -> None:
        self.events.append(event)


def go(work: Work, target: Exit) -> None:
    """Move a token to `target`: a node, a parallel join, or the end of the route."""
    match target:
        case None:
            if not work.runs and not work.joins and work.status is Status.RUNNING:
                finish(work, Status.APPROVED)
        case BranchRef():
            arrive(work, target)
        case str():
            enter(work, target)


def enter(work: Work, node_id: str) -> None:
    node = work.definition.find(node_id)
    work.visited.add(node_id)
    match node:
        case TaskNode():
            _enter_task_node(work, node)
        case CcNode():
            resolution = resolve_cc(node, work.context(), work.directory)
            user_ids = tuple(c.user_id for c in resolution.assignees)
            if user_ids:
                work.participants.update(user_ids)
                work.effects.append(NotifyCC(node.id, user_ids))
                work.emit(Event("workflow.cc.sent", node_id=node.id, user_ids=user_ids))
            go(work, work.definition.exit_after(node.id))
        case ConditionGroup():
            branch, reason = choose_branch(node, work.context(), work.directory)
            work.emit(Event("workflow.branch.chosen", node_id=node.id, target=branch.id,
                            reason=reason))
            go(work, branch.child.id if branch.child else work.definition.exit_after(node.id))
        case ParallelGroup():
            work.joins[node.id] = []
            for lane in node.branches:
                go(work, lane.child.id if lane.child else BranchRef(node.id, lane.id))
        case StartNode():
            go(work, work.definition.exit_after(node.id))
        case None:
            raise KeyError(node_id)


def arrive(work: Work, ref: BranchRef) -> None:
    arrived = work.joins.setdefault(ref.group_id, [])
    if ref.branch_id not in arrived:
        arrived.append(ref.branch_id)
    if set(arrived) >= set(work.definition.parallel_branch_ids(ref.group_id)):
        del work.joins[ref.group_id]
        go(work, work.definition.exit_after(ref.group_id))


def needed_for(node: TaskNode, total: int) -> int:
    """Approvals a node needs out of `total` deciders under its mode."""
    match node.effective_mode:
        case Mode.ALL | Mode.SEQUENTIAL:
            return total
        case Mode.ANY:
            return 1
        case Mode.QUORUM:
            if node.min_count is not None:
                return min(node.min_count, total)
            return max(1, math.ceil(total * (node.min_percent or 100) / 100))


def _enter_task_node(work: Work, node: TaskNode) -> None:
    resolution = resolve_task_node(node, work.context(), work.directory)
    if node.rule.type is RuleType.CHOSEN_BY_PREVIOUS:
        work.next_approvers = ()
    total = len(resolution.assignees) + len(resolution.auto_approved)
    if total == 0:
        work.emit(Event("workflow.node.auto_approved", node_id=node.id, reason=resolution.note))
        go(work, work.definition.exit_after(node.id))
        return
    work.emit(Event("workflow.node.entered", node_id=node.id))
    auto_ids = tuple(c.user_id for c in resolution.auto_approved)
    for candidate in resolution.auto_approved:
        work.emit(Event("workflow.task.auto_approved", node_id=node.id,
                        user_ids=(candidate.user_id,), reason=candidate.reason))
    work.approved_by.update(auto_ids)
    work.runs.append(NodeRun(node.id, needed_for(node, total), len(auto_ids), auto_ids))
    if len(auto_ids) >= needed_for(node, total):
        complete_node(work, node.id)
        return
    previous: str | None = None
    for order, candidate in enumerate(resolution.assignees):
        waits = node.effective_mode is Mode.SEQUENTIAL and previous is not None
        task = Task(id=work.new_task_id(), node_id=node.id, assignee_id=candidate.user_id,
                    reason=candidate.reason, status=TaskStatus.WAITING, order=order,
                    after=(previous,) if waits and previous else ())
        work.tasks.append(task)
        work.participants.add(candidate.user_id)
        if not waits:
            open_task(work, task)
        previous = task.id


def open_task(work: Work, task: Task) -> Task:
    """Make a task actionable: OpenTask effect, due time, and the first overdue timer."""
    node = work.definition.task_node(task.node_id)
    due = _due_at(work, node)
    opened = replace(task, status=TaskStatus.OPEN, after=(), due_at=due)
    work.put_task(opened)
    work.effects.append(OpenTask(task.id, task.node_id, task.assignee_id, task.reason, due,
                                 task.added_by))
    if due is not None and node.deadline and node.deadline.on_due:
        schedule(work, opened, 0)
    return opened


def schedule(work: Work, task: Task, step: int, repeat: int = 0) -> None:
    """Arm rung `step` of the task's overdue ladder (its `repeat`-th repetition when > 0).

    A repetition that would already be due (the scheduler was down) moves to the first slot
    after `now` and the skipped slots count as used, so an outage never produces a burst and
    `max_repeats` still holds.
    """
    node = work.definition.task_node(task.node_id)
    if node.deadline is None or task.due_at is None or step >= len(node.deadline.on_due):
        return
    rung = node.deadline.on_due[step]
    due = task.due_at + timedelta(hours=rung.after_hours)
    if repeat:
        every = timedelta(hours=rung.repeat_every_hours or 1)
        due += every * repeat
        while due <= work.now and repeat < rung.max_repeats:
            repeat, due = repeat + 1, due + every
        if repeat > rung.max_repeats or due <= work.now:
            return
    key = f"{task.id}:{step}" + (f":r{repeat}" if repeat else "")
    timer = Timer(key, task.id, task.node_id, due, step, repeat)
    work.timers.append(timer)
    work.effects.append(ScheduleTimer(timer.key, timer.node_id, timer.task_id, due))


def close_task(work: Work, task: Task, status: TaskStatus, reason: str,
               by: int | None) -> None:
    """Remove a task from the state. Unless it was approved, tasks waiting on it that only
    exist because of it (its signers) are cancelled too."""
    if work.find_task(task.id) is None:
        return
    work.tasks = [t for t in work.tasks if t.id != task.id]
    if task.is_opened:
        work.effects.append(CloseTask(task.id, status, reason))
        work.recent.append(ClosedTask(task.id, by))
    for timer in [t for t in work.timers if t.task_id == task.id]:
        work.timers.remove(timer)
        work.effects.append(CancelTimer(timer.key))
    if status in (TaskStatus.APPROVED, TaskStatus.COMPLETED):
        return
    for other in list(work.tasks):
        is_dependent = task.id in other.after and other.signer is not None
        is_before_signer = other.id in task.after and other.signer is not None
        if is_dependent or is_before_signer:
            close_task(work, other, TaskStatus.CANCELLED, reason, by)


def release(work: Work, task_id: str) -> None:
    """A task was approved: tasks that waited only for it open (or resume)."""
    for task in list(work.tasks):
        if task_id not in task.after:
            continue
        remaining = tuple(t for t in task.after if t != task_id)
        if remaining:
            work.put_task(replace(task, after=remaining))
        elif task.status is TaskStatus.SUSPENDED:
            work.put_task(replace(task, status=TaskStatus.OPEN, after=()))
            work.effects.append(ResumeTask(task.id))
        else:
            open_task(work, task)


def wake(work: Work) -> None:
    """Open (or resume) every task that no longer waits for anything."""
    for task in list(work.tasks):
        if task.after:
            continue
        if task.status is TaskStatus.SUSPENDED:
            work.put_task(replace(task, status=TaskStatus.OPEN))
            work.effects.append(ResumeTask(task.id))
        elif task.status is TaskStatus.WAITING:
            open_task(work, task)


def rewire(work: Work, old_id: str, new_ids: tuple[str, ...]) -> None:
    """Tasks that waited for `old_id` wait for `new_ids` instead."""
    for task in list(work.tasks):
        if old_id in task.after:
            after = tuple(dict.fromkeys(
                [t for t in task.after if t != old_id] + [t for t in new_ids if t != task.id]))
            work.put_task(replace(task, after=after))


def record_approval(work: Work, task: Task, by: int | None) -> None:
    """Count an approval (or completion) of `task` and move on if the node is done."""
    run = work.find_run(task.node_id)
    if run is not None:
        work.put_run(replace(
            run, approvals=run.approvals + (1 if task.signer is None else 0),
            approvers=tuple(dict.fromkeys((*run.approvers, task.assignee_id)))))
    work.approved_by.add(task.assignee_id)
    release(work, task.id)
    check_node(work, task.node_id, by)


def check_node(work: Work, node_id: str, by: int | None) -> None:
    """Once the mode is satisfied the other assignees' tasks close; signers still decide."""
    run = work.find_run(node_id)
    if run is None:
        return
    if run.approvals >= run.needed:
        for task in work.node_tasks(node_id):
            if task.signer is None:
                close_task(work, task, TaskStatus.CANCELLED, "已由他人完成审批", by)
    if not work.node_tasks(node_id):
        complete_node(work, node_id)


def complete_node(work: Work, node_id: str) -> None:
    run = work.find_run(node_id)
    work.runs = [r for r in work.runs if r.node_id != node_id]
    approvers = run.approvers if run else ()
    work.previous_approvers = frozenset(approvers)
    work.emit(Event("workflow.node.completed", node_id=node_id, user_ids=approvers))
    go(work, work.definition.exit_after(node_id))


def drop_node(work: Work, node_id: str, status: TaskStatus, reason: str,
              by: int | None) -> None:
    for task in work.node_tasks(node_id):
        close_task(work, task, status, reason, by)
    work.runs = [r for r in work.runs if r.node_id != node_id]


def stop_everything(work: Work, reason: str, by: int | None) -> None:
    for run in list(work.runs):
        drop_node(work, run.node_id, TaskStatus.CANCELLED, reason, by)
    for task in list(work.tasks):
        close_task(work, task, TaskStatus.CANCELLED, reason, by)
    work.joins.clear()


def finish(work: Work, status: Status, *, actor_id: int | None = None, comment: str = "",
           reason: str = "") -> None:
    stop_everything(work, f"审批{status.label}", actor_id)
    work.status = status
    work.effects.append(Finish(status))
    work.emit(Event(FINISH_EVENTS[status], actor_id=actor_id, comment=comment, reason=reason))


def reentry_scope(work: Work, node_id: str) -> BranchRef | None:
    """The innermost parallel branch around `node_id` whose group is still running, if any.

    Re-entering a node restarts everything inside that scope and leaves the sibling branches
    of a running group alone; a group that already finished counts its other branches as done.
    """
    for ref in reversed(work.definition.branch_path(node_id)):
        if ref.group_id in work.joins or any(
                ref.group_id in {r.group_id for r in work.definition.branch_path(run.node_id)}
                for run in work.runs):
            return ref
    return None


def reenter(work: Work, node_id: str, reason: str, by: int | None) -> None:
    scope = reentry_scope(work, node_id)
    for run in list(work.runs):
        if work.definition.inside(run.node_id, scope):
            drop_node(work, run.node_id, TaskStatus.CANCELLED, reason, by)
    for group_id in list(work.joins):
        if work.definition.inside(group_id, scope) and (
                scope is None or group_id != scope.group_id):
            del work.joins[group_id]
    path = work.definition.branch_path(node_id)
    if scope is not None:
        arrived = work.joins.setdefault(scope.group_id, [])
        if scope.branch_id in arrived:
            arrived.remove(scope.branch_id)
    for ref in path[path.index(scope) + 1 if scope else 0:]:
        work.joins[ref.group_id] = [b for b in work.definition.parallel_branch_ids(ref.group_id)
                                    if b != ref.branch_id]
    enter(work, node_id)


def _due_at(work: Work, node: TaskNode) -> datetime | None:
    deadline = node.deadline
    if deadline is None:
        return None
    if work.base.is_urgent and deadline.urgent_hours:
        return work.now + timedelta(hours=deadline.urgent_hours)
    # 加急 without its own value halves the normal time, in the same unit.
    share = 0.5 if work.base.is_urgent else 1
    if deadline.hours:
        return work.now + timedelta(hours=deadline.hours * share)
    if deadline.working_hours:
        return work.calendar.add_working_hours(work.now, deadline.working_hours * share)
    if deadline.working_days:
        days = deadline.working_days * share
        return work.calendar.add_working_days(work.now, int(days) if days == int(days) else days)
    return None
