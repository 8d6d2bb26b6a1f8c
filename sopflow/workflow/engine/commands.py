"""Commands `advance` accepts. Each names its actor; the engine checks the actor may act.

An instance is started with `machine.start(...)`, not with a command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class SignerPosition(StrEnum):
    BEFORE = "before"  # 前加签: the signers decide first, then the task comes back to the actor
    AFTER = "after"  # 后加签: the signers decide after the actor approves
    PARALLEL = "parallel"  # 并加签: the signers decide alongside the actor


INITIATOR = "initiator"


class ResubmitTo(StrEnum):
    """Where a resubmission goes after the item was returned to the initiator."""

    START = "start"  # 从头开始审批: the whole route runs again
    RETURNER = "returner"  # 直接回到退回的节点: re-enter the node that returned it


@dataclass(frozen=True, slots=True)
class Approve:
    task_id: str
    actor_id: int
    comment: str = ""
    signature: str | None = None
    attachments: tuple[str, ...] = ()
    next_approvers: tuple[int, ...] = ()  # for a following node chosen by the previous approver


@dataclass(frozen=True, slots=True)
class Reject:
    task_id: str
    actor_id: int
    reason_category: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Return:
    """Send the item back: to the initiator (`to="initiator"`) or to an earlier node id."""

    task_id: str
    actor_id: int
    to: str = INITIATOR
    note: str = ""
    reason_category: str = ""
    checklist: tuple[str, ...] = ()
    # Only with `to="initiator"`: overrides the definition's `resubmit_to` for this return.
    resubmit_to: ResubmitTo | None = None


@dataclass(frozen=True, slots=True)
class Resubmit:
    actor_id: int
    form: Mapping[str, object]
    chosen_approvers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Withdraw:
    actor_id: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Transfer:
    task_id: str
    actor_id: int
    to_user_id: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class AddSigner:
    task_id: str
    actor_id: int
    user_ids: tuple[int, ...]
    position: SignerPosition = SignerPosition.PARALLEL
    comment: str = ""


@dataclass(frozen=True, slots=True)
class RemoveSigner:
    task_id: str  # the actor's own task at the node (open or waiting for before-signers)
    actor_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class Urge:
    actor_id: int


@dataclass(frozen=True, slots=True)
class Comment:
    actor_id: int
    text: str
    mentions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Complete:
    task_id: str
    actor_id: int
    form_updates: Mapping[str, object] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True, slots=True)
class AdminReassign:
    task_id: str
    admin_id: int
    to_user_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AdminSkip:
    node_id: str
    admin_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AdminTerminate:
    admin_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AdminRestartFrom:
    node_id: str
    admin_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer_key: str


type Command = (Approve | Reject | Return | Resubmit | Withdraw | Transfer | AddSigner
                | RemoveSigner | Urge | Comment | Complete | AdminReassign | AdminSkip
                | AdminTerminate | AdminRestartFrom | TimerFired)
