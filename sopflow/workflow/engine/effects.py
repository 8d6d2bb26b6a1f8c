"""What `advance` returns: the new state, effects (data for the persistence side) and events.

Effects only mention tasks that were opened: a queued (waiting) task gets no row until it opens.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum

from .state import InstanceState, Status, TaskStatus
from .values import FieldChange, JsonValue


class NotifyKind(StrEnum):
    URGE = "urge"
    MENTION = "mention"
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"  # a reminder rung before the due time


@dataclass(frozen=True, slots=True)
class OpenTask:
    task_id: str
    node_id: str
    assignee_id: int
    reason: str
    due_at: datetime | None = None
    added_by: int | None = None


@dataclass(frozen=True, slots=True)
class CloseTask:
    task_id: str
    status: TaskStatus
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SuspendTask:
    """The task stays but cannot be acted on until its before-signers have approved."""

    task_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ResumeTask:
    task_id: str


@dataclass(frozen=True, slots=True)
class NotifyCC:
    node_id: str
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Notify:
    kind: NotifyKind
    user_ids: tuple[int, ...]
    task_id: str | None = None
    node_id: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleTimer:
    key: str
    node_id: str
    task_id: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: str


@dataclass(frozen=True, slots=True)
class Finish:
    status: Status


type Effect = (OpenTask | CloseTask | SuspendTask | ResumeTask | NotifyCC | Notify
               | ScheduleTimer | CancelTimer | Finish)


@dataclass(frozen=True, slots=True)
class Event:
    """A fact with a dotted past-tense name; empty fields are left out of `to_dict`.

    `reason` is a system reason or a rejection/return category, `target` a return target,
    chosen branch id or transfer recipient, `changes` a form diff.
    """

    name: str
    actor_id: int | None = None
    node_id: str | None = None
    task_id: str | None = None
    user_ids: tuple[int, ...] = ()
    comment: str = ""
    reason: str = ""
    target: str = ""
    changes: tuple[FieldChange, ...] = ()
    attachments: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    signature: str = ""

    def to_dict(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"name": self.name}
        for key in ("actor_id", "node_id", "task_id", "comment", "reason", "target",
                    "signature"):
            value = getattr(self, key)
            if value not in (None, ""):
                data[key] = value
        if self.user_ids:
            data["user_ids"] = list(self.user_ids)
        if self.attachments:
            data["attachments"] = list(self.attachments)
        if self.checklist:
            data["checklist"] = list(self.checklist)
        if self.changes:
            data["changed"] = {c.key: [c.old, c.new] for c in self.changes}
        return data


@dataclass(frozen=True, slots=True)
class Outcome:
    state: InstanceState
    effects: tuple[Effect, ...] = ()
    events: tuple[Event, ...] = ()

    def event_names(self) -> tuple[str, ...]:
        return tuple(event.name for event in self.events)


def effect_to_dict(effect: Effect) -> dict[str, JsonValue]:
    """JSON form of an effect: its fields plus `"type"` (the class name)."""
    data: dict[str, JsonValue] = {"type": type(effect).__name__}
    for item in fields(effect):
        name = item.name
        value = getattr(effect, name)
        if isinstance(value, datetime):
            data[name] = value.isoformat()
        elif isinstance(value, tuple):
            data[name] = list(value)
        elif isinstance(value, StrEnum):
            data[name] = value.value
        else:
            data[name] = value
    return data
