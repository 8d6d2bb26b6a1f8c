"""The running instance's state: small, frozen, JSON round-trippable.

Only undecided tasks live here. Closed tasks leave the state as `CloseTask` effects, so the
stored state does not grow with the number of completed steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .commands import SignerPosition
from .values import FormData, JsonValue

RECENT_LIMIT = 20


class Status(StrEnum):
    RUNNING = "running"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    TERMINATED = "terminated"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {Status.RUNNING: "审批中", Status.APPROVED: "已通过", Status.REJECTED: "已驳回",
                  Status.RETURNED: "已退回", Status.WITHDRAWN: "已撤回",
                  Status.TERMINATED: "已终止"}


class TaskStatus(StrEnum):
    WAITING = "waiting"  # queued behind other tasks; never opened, so no task row exists yet
    OPEN = "open"
    SUSPENDED = "suspended"  # opened, then paused while before-signers decide
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    COMPLETED = "completed"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Task:
    """One person's share of a node. `after`: task ids that must be approved before it opens."""

    id: str
    node_id: str
    assignee_id: int
    reason: str
    status: TaskStatus = TaskStatus.OPEN
    order: int = 0
    added_by: int | None = None
    signer: SignerPosition | None = None
    after: tuple[str, ...] = ()
    due_at: datetime | None = None

    @property
    def is_opened(self) -> bool:
        """True when a task row exists on the persistence side (it was opened at least once)."""
        return self.status in (TaskStatus.OPEN, TaskStatus.SUSPENDED)


@dataclass(frozen=True, slots=True)
class NodeRun:
    """An active task node: approvals counted so far against the number its mode needs."""

    node_id: str
    needed: int
    approvals: int = 0
    approvers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Join:
    """A parallel group in progress and the branches that have reached their end."""

    group_id: str
    arrived: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Timer:
    key: str
    task_id: str
    node_id: str
    due_at: datetime
    step: int
    repeat: int = 0  # how many times this rung already repeated


@dataclass(frozen=True, slots=True)
class ChosenApprovers:
    node_id: str
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ClosedTask:
    """A recently closed task and who decided it, for "该审批已被王芳处理" messages."""

    task_id: str
    by_user_id: int | None


@dataclass(frozen=True, slots=True)
class Resumption:
    """Where a returned item picks up when it is resubmitted (`resubmit_to: returner`).

    `node_id` returned it to the initiator; `nodes` were active at that moment (the node and,
    inside parallel groups, the sibling branches still running) and `joins` the parallel
    groups in progress with the branches that had already ended.
    """

    node_id: str
    nodes: tuple[str, ...]
    joins: tuple[Join, ...] = ()

    def to_dict(self) -> dict[str, JsonValue]:
        return {"node_id": self.node_id, "nodes": list(self.nodes),
                "joins": [{"group_id": j.group_id, "arrived": list(j.arrived)}
                          for j in self.joins]}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Resumption:
        return cls(_str(data["node_id"]), tuple(_str(n) for n in _list(data.get("nodes"))),
                   _joins(data.get("joins")))


@dataclass(frozen=True, slots=True)
class InstanceState:
    """Everything `advance` needs about one instance; see the module docstring on size."""

    status: Status
    initiator_id: int
    form: FormData
    submitted_at: datetime
    is_urgent: bool = False
    round: int = 1
    counter: int = 0
    tasks: tuple[Task, ...] = ()
    runs: tuple[NodeRun, ...] = ()
    joins: tuple[Join, ...] = ()
    timers: tuple[Timer, ...] = ()
    visited: frozenset[str] = frozenset()
    approved_by: frozenset[int] = frozenset()
    previous_approvers: frozenset[int] = frozenset()
    participants: frozenset[int] = frozenset()
    chosen: tuple[ChosenApprovers, ...] = ()
    next_approvers: tuple[int, ...] = ()
    has_decision: bool = False
    last_urged_at: datetime | None = None
    recent: tuple[ClosedTask, ...] = ()
    resume: Resumption | None = None  # set while returned, when resubmitting resumes

    @property
    def active_nodes(self) -> tuple[str, ...]:
        return tuple(run.node_id for run in self.runs)

    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.status is TaskStatus.OPEN)

    def find_task(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "status": self.status.value, "initiator_id": self.initiator_id,
            "form": self.form.to_dict(), "submitted_at": self.submitted_at.isoformat(),
            "is_urgent": self.is_urgent, "round": self.round, "counter": self.counter,
            "tasks": [_task_to_dict(task) for task in self.tasks],
            "runs": [{"node_id": r.node_id, "needed": r.needed, "approvals": r.approvals,
                      "approvers": list(r.approvers)} for r in self.runs],
            "joins": [{"group_id": j.group_id, "arrived": list(j.arrived)} for j in self.joins],
            "timers": [{"key": t.key, "task_id": t.task_id, "node_id": t.node_id,
                        "due_at": t.due_at.isoformat(), "step": t.step,
                        **({"repeat": t.repeat} if t.repeat else {})} for t in self.timers],
            "visited": _sorted(self.visited), "approved_by": _sorted(self.approved_by),
            "previous_approvers": _sorted(self.previous_approvers),
            "participants": _sorted(self.participants),
            "chosen": {c.node_id: list(c.user_ids) for c in self.chosen},
            "next_approvers": list(self.next_approvers), "has_decision": self.has_decision,
            "last_urged_at": self.last_urged_at.isoformat() if self.last_urged_at else None,
            "recent": [[c.task_id, c.by_user_id] for c in self.recent],
            "resume": self.resume.to_dict() if self.resume else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> InstanceState:
        """Inverse of `to_dict`. Raises ValueError/KeyError on data `to_dict` did not write."""
        form = data["form"]
        chosen = data.get("chosen") or {}
        if not isinstance(form, Mapping) or not isinstance(chosen, Mapping):
            raise ValueError("form and chosen must be objects")
        return cls(
            status=Status(_str(data["status"])), initiator_id=_int(data["initiator_id"]),
            form=FormData.from_mapping(form),
            submitted_at=datetime.fromisoformat(_str(data["submitted_at"])),
            is_urgent=bool(data.get("is_urgent", False)), round=_int(data.get("round", 1)),
            counter=_int(data.get("counter", 0)),
            tasks=tuple(_task_from_dict(_map(item)) for item in _list(data.get("tasks"))),
            runs=tuple(NodeRun(_str(r["node_id"]), _int(r["needed"]), _int(r["approvals"]),
                               _ints(r["approvers"]))
                       for r in map(_map, _list(data.get("runs")))),
            joins=_joins(data.get("joins")),
            timers=tuple(Timer(_str(t["key"]), _str(t["task_id"]), _str(t["node_id"]),
                               datetime.fromisoformat(_str(t["due_at"])), _int(t["step"]),
                               _int(t.get("repeat", 0)))
                         for t in map(_map, _list(data.get("timers")))),
            visited=frozenset(_str(item) for item in _list(data.get("visited"))),
            approved_by=frozenset(_ints(data.get("approved_by"))),
            previous_approvers=frozenset(_ints(data.get("previous_approvers"))),
            participants=frozenset(_ints(data.get("participants"))),
            chosen=tuple(ChosenApprovers(str(key), _ints(value)) for key, value in chosen.items()),
            next_approvers=_ints(data.get("next_approvers")),
            has_decision=bool(data.get("has_decision", False)),
            last_urged_at=_datetime(data.get("last_urged_at")),
            recent=tuple(ClosedTask(_str(pair[0]), None if pair[1] is None else _int(pair[1]))
                         for pair in map(_list, _list(data.get("recent")))),
            resume=None if data.get("resume") is None else Resumption.from_dict(
                _map(data.get("resume"))),
        )


def _joins(value: object) -> tuple[Join, ...]:
    return tuple(Join(_str(j["group_id"]), tuple(_str(b) for b in _list(j["arrived"])))
                 for j in map(_map, _list(value)))


def _task_to_dict(task: Task) -> dict[str, JsonValue]:
    return {"id": task.id, "node_id": task.node_id, "assignee_id": task.assignee_id,
            "reason": task.reason, "status": task.status.value, "order": task.order,
            "added_by": task.added_by, "signer": task.signer.value if task.signer else None,
            "after": list(task.after),
            "due_at": task.due_at.isoformat() if task.due_at else None}


def _task_from_dict(data: Mapping[str, object]) -> Task:
    added_by = data.get("added_by")
    signer = data.get("signer")
    return Task(id=_str(data["id"]), node_id=_str(data["node_id"]),
                assignee_id=_int(data["assignee_id"]), reason=_str(data["reason"]),
                status=TaskStatus(_str(data["status"])), order=_int(data.get("order", 0)),
                added_by=None if added_by is None else _int(added_by),
                signer=None if signer is None else SignerPosition(_str(signer)),
                after=tuple(_str(item) for item in _list(data.get("after"))),
                due_at=_datetime(data.get("due_at")))


def _sorted(items: frozenset[str] | frozenset[int]) -> list[JsonValue]:
    return list(sorted(items))


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _ints(value: object) -> tuple[int, ...]:
    return tuple(_int(item) for item in _list(value))


def _list(value: object) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {value!r}")
    return value


def _map(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected an object, got {value!r}")
    return value


def _datetime(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(_str(value))
