"""Definition building blocks: node types, approver rules, policies and deadlines (data only).

Parsing and structural validation live in `definition.py`; behaviour lives in `flow.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sopflow.rules.conditions import Json

from .values import JsonValue, plain_json


class NodeKind(StrEnum):
    START = "start"
    APPROVER = "approver"
    HANDLER = "handler"
    CC = "cc"
    CONDITION_GROUP = "condition_group"
    PARALLEL_GROUP = "parallel_group"


class Mode(StrEnum):
    ALL = "all"  # 会签: everyone must approve
    ANY = "any"  # 或签: the first approval decides
    SEQUENTIAL = "sequential"  # 依次: one after another, in the resolved order
    QUORUM = "quorum"  # at least min_count people or min_percent of them


class RuleType(StrEnum):
    USERS = "users"
    ROLE = "role"
    POSITION = "position"
    MANAGER = "manager"
    MANAGER_CHAIN = "manager_chain"
    DEPARTMENT_HEAD = "department_head"
    NAMED_DEPARTMENT_HEAD = "named_department_head"
    FORM_DEPARTMENT_HEAD = "form_department_head"
    FORM_USERS = "form_users"
    CHOSEN_BY_INITIATOR = "chosen_by_initiator"
    CHOSEN_BY_PREVIOUS = "chosen_by_previous"
    INITIATOR = "initiator"


class RoleScope(StrEnum):
    ALL = "all"
    COMPANY = "company"  # holders in the initiator's company
    DEPARTMENT = "department"  # holders whose scope covers the initiator's department


class ChoiceScope(StrEnum):
    EVERYONE = "everyone"
    LIST = "list"
    ROLE = "role"


class NobodyPolicy(StrEnum):
    AUTO_APPROVE = "auto_approve"
    TO_PROCESS_ADMIN = "to_process_admin"
    REFUSE = "refuse"


class InitiatorPolicy(StrEnum):
    AUTO_APPROVE = "auto_approve"
    TO_MANAGER = "to_manager"
    SELF = "self"


class SameApproverPolicy(StrEnum):
    AUTO_APPROVE_ALL = "auto_approve_all"
    AUTO_APPROVE_CONSECUTIVE = "auto_approve_consecutive"
    NEVER = "never"


class FieldAccess(StrEnum):
    READ = "read"
    EDIT = "edit"
    HIDDEN = "hidden"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    TRANSFER = "transfer"
    ADD_SIGNER = "add_signer"
    REMOVE_SIGNER = "remove_signer"
    COMPLETE = "complete"


class DueAction(StrEnum):
    NOTIFY = "notify"
    AUTO_APPROVE = "auto_approve"
    AUTO_REJECT = "auto_reject"
    TRANSFER = "transfer"


class NotifyTarget(StrEnum):
    ASSIGNEE = "assignee"
    MANAGER = "manager"  # the assignee's direct manager
    INITIATOR = "initiator"
    DEPARTMENT_HEAD = "department_head"  # heads of the assignee's department (or the parent's)
    USERS = "users"  # the step's `user_ids`


DEFAULT_ACTIONS: Mapping[NodeKind, tuple[Action, ...]] = {
    NodeKind.APPROVER: (Action.APPROVE, Action.REJECT, Action.RETURN, Action.TRANSFER,
                        Action.ADD_SIGNER, Action.REMOVE_SIGNER),
    NodeKind.HANDLER: (Action.COMPLETE, Action.RETURN, Action.TRANSFER),
}


@dataclass(frozen=True, slots=True)
class ApproverRule:
    """Who gets the node's tasks. Only the fields of the rule's `type` are meaningful.

    `level`: manager level (1 = direct manager) or, for `department_head`, how many departments
    above the initiator's own (0 = own department).
    """

    type: RuleType
    user_ids: tuple[int, ...] = ()
    role: str = ""
    role_name: str = ""
    role_scope: RoleScope = RoleScope.ALL
    position_id: int | None = None
    position_name: str = ""
    level: int = 1
    up_to_level: int | None = None
    up_to_role: str = ""
    department_id: int | None = None
    field: str = ""
    choose_from: ChoiceScope = ChoiceScope.EVERYONE
    multiple: bool = True

    def to_dict(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"type": self.type.value}
        match self.type:
            case RuleType.USERS:
                data["user_ids"] = list(self.user_ids)
            case RuleType.ROLE:
                data |= {"role": self.role, "role_name": self.role_name,
                         "scope": self.role_scope.value}
            case RuleType.POSITION:
                data |= {"position_id": self.position_id, "position_name": self.position_name}
            case RuleType.MANAGER | RuleType.DEPARTMENT_HEAD:
                data["level"] = self.level
            case RuleType.MANAGER_CHAIN:
                data |= {"up_to_level": self.up_to_level, "up_to_role": self.up_to_role}
            case RuleType.NAMED_DEPARTMENT_HEAD:
                data["department_id"] = self.department_id
            case RuleType.FORM_DEPARTMENT_HEAD | RuleType.FORM_USERS:
                data["field"] = self.field
            case RuleType.CHOSEN_BY_INITIATOR:
                data |= {"from": self.choose_from.value, "user_ids": list(self.user_ids),
                         "role": self.role, "role_name": self.role_name,
                         "scope": self.role_scope.value, "multiple": self.multiple}
            case RuleType.CHOSEN_BY_PREVIOUS | RuleType.INITIATOR:
                pass
        return data


@dataclass(frozen=True, slots=True)
class Policies:
    nobody: NobodyPolicy = NobodyPolicy.TO_PROCESS_ADMIN
    initiator: InitiatorPolicy = InitiatorPolicy.SELF
    same_approver: SameApproverPolicy = SameApproverPolicy.NEVER

    def to_dict(self) -> dict[str, JsonValue]:
        return {"nobody": self.nobody.value, "initiator": self.initiator.value,
                "same_approver": self.same_approver.value}


@dataclass(frozen=True, slots=True)
class DueStep:
    """One rung of the overdue ladder, `after_hours` after the task's due time (negative: a
    reminder before it). A `notify` rung may repeat every `repeat_every_hours`, at most
    `max_repeats` more times; `user_ids` are the named people of the `users` target."""

    after_hours: int
    action: DueAction
    notify: tuple[NotifyTarget, ...] = ()
    to_user_id: int | None = None  # transfer target; None means the assignee's manager
    user_ids: tuple[int, ...] = ()
    repeat_every_hours: int | None = None
    max_repeats: int = 0

    def to_dict(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {
            "after_hours": self.after_hours, "action": self.action.value,
            "notify": [target.value for target in self.notify], "to_user_id": self.to_user_id}
        # Optional keys are written only when set, so older stored definitions stay identical.
        if self.user_ids:
            data["user_ids"] = list(self.user_ids)
        if self.repeat_every_hours and self.max_repeats:
            data |= {"repeat_every_hours": self.repeat_every_hours,
                     "max_repeats": self.max_repeats}
        return data


@dataclass(frozen=True, slots=True)
class Deadline:
    """Time allowed per task: `hours` (clock hours), `working_hours` or `working_days` (on the
    company calendar). Urgent (加急) items get `urgent_hours` clock hours, or half the normal time
    when that is not set.

    Keys the engine does not use (e.g. a future `escalation` block) are kept verbatim in `extra`.
    """

    working_days: int | None = None
    hours: int | None = None
    urgent_hours: int | None = None
    on_due: tuple[DueStep, ...] = ()
    extra: Mapping[str, Json] = field(default_factory=dict)
    working_hours: int | None = None

    def to_dict(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"working_days": self.working_days, "hours": self.hours,
                                      "urgent_hours": self.urgent_hours,
                                      "on_due": [step.to_dict() for step in self.on_due]}
        if self.working_hours:
            data["working_hours"] = self.working_hours
        for key, value in self.extra.items():
            data[key] = plain_json(value)
        return data


@dataclass(frozen=True, slots=True)
class TaskNode:
    """An `approver` (approve/reject) or `handler` (办理: completes and fills its fields) node."""

    id: str
    name: str
    kind: NodeKind
    rule: ApproverRule
    mode: Mode = Mode.ALL
    min_count: int | None = None
    min_percent: int | None = None
    policies: Policies = Policies()
    field_permissions: tuple[tuple[str, FieldAccess], ...] = ()
    require_comment_on_reject: bool = False
    require_signature_on_approve: bool = False
    allowed_actions: tuple[Action, ...] = ()
    deadline: Deadline | None = None
    child: Node | None = None

    @property
    def effective_mode(self) -> Mode:
        """A continuous manager chain is always walked in order, whatever `mode` says."""
        return Mode.SEQUENTIAL if self.rule.type is RuleType.MANAGER_CHAIN else self.mode

    def allows(self, action: Action) -> bool:
        return action in self.allowed_actions

    def access(self, key: str) -> FieldAccess:
        for field_key, access in self.field_permissions:
            if field_key == key:
                return access
        return FieldAccess.READ


@dataclass(frozen=True, slots=True)
class CcNode:
    """Notifies the resolved people and continues at once; never blocks."""

    id: str
    name: str
    rule: ApproverRule
    child: Node | None = None


@dataclass(frozen=True, slots=True)
class ConditionBranch:
    id: str
    name: str
    condition: Mapping[str, Json]
    child: Node | None = None


@dataclass(frozen=True, slots=True)
class ConditionGroup:
    """Takes the first branch whose condition holds; the last branch is the default `{}`."""

    id: str
    name: str
    branches: tuple[ConditionBranch, ...]
    child: Node | None = None


@dataclass(frozen=True, slots=True)
class ParallelBranch:
    id: str
    name: str
    child: Node | None = None


@dataclass(frozen=True, slots=True)
class ParallelGroup:
    """Runs every branch; continues with `child` once all branches have reached their end."""

    id: str
    name: str
    branches: tuple[ParallelBranch, ...]
    child: Node | None = None


@dataclass(frozen=True, slots=True)
class StartNode:
    id: str
    name: str
    child: Node | None = None
    field_permissions: tuple[tuple[str, FieldAccess], ...] = ()


type Node = StartNode | TaskNode | CcNode | ConditionGroup | ParallelGroup


def kind_of(node: Node) -> NodeKind:
    match node:
        case StartNode():
            return NodeKind.START
        case TaskNode(kind=kind):
            return kind
        case CcNode():
            return NodeKind.CC
        case ConditionGroup():
            return NodeKind.CONDITION_GROUP
        case ParallelGroup():
            return NodeKind.PARALLEL_GROUP
