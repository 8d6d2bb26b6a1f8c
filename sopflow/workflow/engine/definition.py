"""A parsed, validated workflow definition plus the flat index the engine walks.

`Definition.from_dict` is the only way in from JSON; it raises `DefinitionError` naming the node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sopflow.rules.conditions import ConditionError, Json, validate

from .commands import ResubmitTo
from .errors import DefinitionError
from .nodes import (
    DEFAULT_ACTIONS,
    Action,
    ApproverRule,
    CcNode,
    ChoiceScope,
    ConditionBranch,
    ConditionGroup,
    Deadline,
    DueAction,
    DueStep,
    FieldAccess,
    InitiatorPolicy,
    Mode,
    NobodyPolicy,
    Node,
    NodeKind,
    NotifyTarget,
    ParallelBranch,
    ParallelGroup,
    Policies,
    RoleScope,
    RuleType,
    SameApproverPolicy,
    StartNode,
    TaskNode,
    kind_of,
)
from .values import JsonValue, plain_json


@dataclass(frozen=True, slots=True)
class BranchRef:
    """One branch of a parallel group; a token reaching its end "arrives" at the group's join."""

    group_id: str
    branch_id: str


# Where a token goes next: a node id, the join of a parallel branch, or None for the end.
type Exit = str | BranchRef | None


@dataclass(frozen=True, slots=True)
class Definition:
    """One published version's route: a tree rooted at the start node."""

    root: StartNode
    withdraw_after_decision: bool = False
    # After a return to the initiator: re-enter the returning node (default) or start over.
    resubmit_to: ResubmitTo = ResubmitTo.RETURNER
    _graph: _Graph = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_graph", _Graph(self.root))

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Definition:
        """Parse and validate. Raises DefinitionError (message names the node) on any problem."""
        if not isinstance(data, Mapping) or data.get("type") != "start":
            raise DefinitionError("流程定义的根节点必须是 start 节点")
        parser = _Parser()
        child = parser.child(data)
        root = StartNode(id=parser.identity(data, "发起人")[0],
                         name=str(data.get("name") or "发起人"), child=child,
                         field_permissions=parser.permissions(data, "发起人"))
        return cls(root, withdraw_after_decision=parser.flag(data, "withdraw_after_decision",
                                                                 "发起人"),
                   resubmit_to=_enum(ResubmitTo, data.get("resubmit_to") or "returner",
                                     f"节点“{root.name}”（{root.id}）", "resubmit_to"))

    def to_dict(self) -> dict[str, JsonValue]:
        data = _node_to_dict(self.root)
        data["withdraw_after_decision"] = self.withdraw_after_decision
        data["resubmit_to"] = self.resubmit_to.value
        return data

    def find(self, node_id: str) -> Node | None:
        return self._graph.nodes.get(node_id)

    def task_node(self, node_id: str) -> TaskNode:
        node = self._graph.nodes[node_id]
        if not isinstance(node, TaskNode):
            raise KeyError(node_id)
        return node

    def nodes(self) -> tuple[Node, ...]:
        """Every node in pre-order (the order routes, effects and events use)."""
        return tuple(self._graph.nodes.values())

    def exit_after(self, node_id: str) -> Exit:
        """Where a token goes once the node (for groups: the whole group) is done."""
        return self._graph.exits[node_id]

    def branch_path(self, node_id: str) -> tuple[BranchRef, ...]:
        """Parallel branches enclosing the node, outermost first."""
        return self._graph.paths[node_id]

    def inside(self, node_id: str, scope: BranchRef | None) -> bool:
        return scope is None or scope in self._graph.paths[node_id]

    def parallel_branch_ids(self, group_id: str) -> tuple[str, ...]:
        group = self._graph.nodes[group_id]
        return tuple(branch.id for branch in group.branches) if isinstance(
            group, ParallelGroup) else ()

    def precedes(self, earlier: str, later: str) -> bool:
        """True when `later` can be reached by walking forward from `earlier`."""
        return later in self._graph.reachable(earlier) and earlier != later


class _Graph:
    """Flat index of the tree, built once per definition (private to this module's users)."""

    def __init__(self, root: StartNode) -> None:
        self.nodes: dict[str, Node] = {}
        self.exits: dict[str, Exit] = {}
        self.paths: dict[str, tuple[BranchRef, ...]] = {}
        self._reach: dict[str, frozenset[str]] = {}
        self._walk(root, None, ())

    def _walk(self, node: Node, after: Exit, path: tuple[BranchRef, ...]) -> None:
        self.nodes[node.id] = node
        self.paths[node.id] = path
        self.exits[node.id] = node.child.id if node.child else after
        match node:
            case ConditionGroup(branches=branches):
                for branch in branches:
                    if branch.child:
                        self._walk(branch.child, self.exits[node.id], path)
            case ParallelGroup(branches=parallel):
                for lane in parallel:
                    ref = BranchRef(node.id, lane.id)
                    if lane.child:
                        self._walk(lane.child, ref, (*path, ref))
            case _:
                pass
        if node.child:
            self._walk(node.child, after, path)

    def next_of(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        targets: list[Exit] = []
        match node:
            case ConditionGroup(branches=branches):
                targets = [b.child.id if b.child else self.exits[node_id] for b in branches]
            case ParallelGroup(branches=parallel):
                targets = [b.child.id if b.child else BranchRef(node_id, b.id) for b in parallel]
            case _:
                targets = [self.exits[node_id]]
        found: list[str] = []
        for target in targets:
            while isinstance(target, BranchRef):
                target = self.exits[target.group_id]
            if target is not None:
                found.append(target)
        return found

    def reachable(self, node_id: str) -> frozenset[str]:
        if node_id not in self._reach:
            seen: set[str] = set()
            stack = self.next_of(node_id)
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen.add(current)
                    stack.extend(self.next_of(current))
            self._reach[node_id] = frozenset(seen)
        return self._reach[node_id]


class _Parser:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    def identity(self, data: Mapping[str, object], fallback: str) -> tuple[str, str]:
        node_id = data.get("id")
        if not isinstance(node_id, str) or not node_id:
            raise DefinitionError(f"节点“{data.get('name') or fallback}”缺少 id")
        name = data.get("name") or node_id
        if not isinstance(name, str):
            raise DefinitionError(f"节点 {node_id} 的 name 必须是文本")
        if node_id in self.ids:
            raise DefinitionError(f"节点“{name}”（{node_id}）：id 重复")
        self.ids.add(node_id)
        return node_id, name

    def child(self, data: Mapping[str, object]) -> Node | None:
        raw = data.get("child")
        return None if raw is None else self.node(raw)

    def node(self, raw: object) -> Node:
        data = _mapping(raw, "节点必须是对象")
        node_id, name = self.identity(data, "未命名")
        label = f"节点“{name}”（{node_id}）"
        kind = data.get("type")
        match kind:
            case "approver" | "handler":
                return self.task_node(data, node_id, name, NodeKind(kind), label)
            case "cc":
                return CcNode(node_id, name, self.rule(data.get("approver_rule"), label),
                              self.child(data))
            case "condition_group":
                return ConditionGroup(node_id, name, self.condition_branches(data, label),
                                      self.child(data))
            case "parallel_group":
                return ParallelGroup(node_id, name, self.parallel_branches(data, label),
                                     self.child(data))
            case "start":
                raise DefinitionError(f"{label}：start 只能是根节点")
            case _:
                raise DefinitionError(f"{label}：未知的节点类型 {kind!r}")

    def task_node(self, data: Mapping[str, object], node_id: str, name: str, kind: NodeKind,
                  label: str) -> TaskNode:
        mode = _enum(Mode, data.get("mode", "all"), label, "mode")
        quorum = _mapping(data.get("quorum") or {}, f"{label}：quorum 必须是对象")
        min_count = _optional_int(quorum.get("min_count"), label, "quorum.min_count")
        min_percent = _optional_int(quorum.get("min_percent"), label, "quorum.min_percent")
        if mode is Mode.QUORUM:
            if (min_count is None) == (min_percent is None):
                raise DefinitionError(f"{label}：按比例/人数通过需要 min_count 或 min_percent 之一")
            if (min_count is not None and min_count < 1) or (
                    min_percent is not None and not 1 <= min_percent <= 100):
                raise DefinitionError(f"{label}：通过人数或比例超出范围")
        actions = self.actions(data, kind, label)
        return TaskNode(
            id=node_id, name=name, kind=kind, rule=self.rule(data.get("approver_rule"), label),
            mode=mode, min_count=min_count if mode is Mode.QUORUM else None,
            min_percent=min_percent if mode is Mode.QUORUM else None,
            policies=self.policies(data, label), field_permissions=self.permissions(data, label),
            require_comment_on_reject=self.flag(data, "require_comment_on_reject", label),
            require_signature_on_approve=self.flag(data, "require_signature_on_approve", label),
            allowed_actions=actions, deadline=self.deadline(data.get("deadline"), label),
            child=self.child(data))

    def rule(self, raw: object, label: str) -> ApproverRule:
        data = _mapping(raw, f"{label}：缺少 approver_rule")
        rule_type = _enum(RuleType, data.get("type"), label, "approver_rule.type")
        user_ids = _int_list(data.get("user_ids", []), label, "approver_rule.user_ids")
        role = str(data.get("role") or "")
        level = _optional_int(data.get("level"), label, "approver_rule.level")
        match rule_type:
            case RuleType.USERS if not user_ids:
                raise DefinitionError(f"{label}：指定成员不能为空")
            case RuleType.ROLE if not role:
                raise DefinitionError(f"{label}：缺少角色")
            case RuleType.POSITION if not isinstance(data.get("position_id"), int):
                raise DefinitionError(f"{label}：缺少岗位")
            case RuleType.MANAGER if level is not None and level < 1:
                raise DefinitionError(f"{label}：主管级别从 1 开始")
            case RuleType.DEPARTMENT_HEAD if level is not None and level < 0:
                raise DefinitionError(f"{label}：部门级别不能为负数")
            case RuleType.MANAGER_CHAIN if not (data.get("up_to_level") or data.get("up_to_role")):
                raise DefinitionError(f"{label}：连续多级主管需要 up_to_level 或 up_to_role")
            case RuleType.NAMED_DEPARTMENT_HEAD if not isinstance(data.get("department_id"), int):
                raise DefinitionError(f"{label}：缺少部门")
            case RuleType.FORM_DEPARTMENT_HEAD | RuleType.FORM_USERS if not data.get("field"):
                raise DefinitionError(f"{label}：缺少表单字段")
            case _:
                pass
        choose_from = _enum(ChoiceScope, data.get("from", "everyone"), label, "approver_rule.from")
        if rule_type is RuleType.CHOSEN_BY_INITIATOR and (
                (choose_from is ChoiceScope.LIST and not user_ids)
                or (choose_from is ChoiceScope.ROLE and not role)):
            raise DefinitionError(f"{label}：自选范围缺少成员或角色")
        up_to_level = _optional_int(data.get("up_to_level"), label, "approver_rule.up_to_level")
        default_level = 0 if rule_type is RuleType.DEPARTMENT_HEAD else 1
        return ApproverRule(
            type=rule_type, user_ids=user_ids, role=role,
            role_name=str(data.get("role_name") or ""),
            role_scope=_enum(RoleScope, data.get("scope", "all"), label, "approver_rule.scope"),
            position_id=_optional_int(data.get("position_id"), label, "position_id"),
            position_name=str(data.get("position_name") or ""),
            level=default_level if level is None else level, up_to_level=up_to_level,
            up_to_role=str(data.get("up_to_role") or ""),
            department_id=_optional_int(data.get("department_id"), label, "department_id"),
            field=str(data.get("field") or ""), choose_from=choose_from,
            multiple=self.flag(data, "multiple", label, default=True))

    def policies(self, data: Mapping[str, object], label: str) -> Policies:
        raw = _mapping(data.get("policies") or {}, f"{label}：policies 必须是对象")
        return Policies(
            nobody=_enum(NobodyPolicy, raw.get("nobody", "to_process_admin"), label, "nobody"),
            initiator=_enum(InitiatorPolicy, raw.get("initiator", "self"), label, "initiator"),
            same_approver=_enum(SameApproverPolicy, raw.get("same_approver", "never"), label,
                                "same_approver"))

    def permissions(self, data: Mapping[str, object],
                    label: str) -> tuple[tuple[str, FieldAccess], ...]:
        raw = _mapping(data.get("field_permissions") or {}, f"{label}：字段权限必须是对象")
        return tuple(sorted((str(key), _enum(FieldAccess, value, label, f"字段 {key} 的权限"))
                            for key, value in raw.items()))

    def actions(self, data: Mapping[str, object], kind: NodeKind,
                label: str) -> tuple[Action, ...]:
        raw = data.get("allowed_actions")
        if raw is None:
            return DEFAULT_ACTIONS[kind]
        if not isinstance(raw, list):
            raise DefinitionError(f"{label}：allowed_actions 必须是列表")
        actions = tuple(_enum(Action, item, label, "allowed_actions") for item in raw)
        wrong = {Action.APPROVE, Action.REJECT} if kind is NodeKind.HANDLER else {Action.COMPLETE}
        if wrong & set(actions):
            raise DefinitionError(f"{label}：{kind.value} 节点不能使用 "
                                  f"{', '.join(sorted(a.value for a in wrong & set(actions)))}")
        return actions

    def deadline(self, raw: object, label: str) -> Deadline | None:
        if raw is None:
            return None
        data = _mapping(raw, f"{label}：deadline 必须是对象")
        steps_raw = data.get("on_due")
        if steps_raw is None:
            steps_raw = [{"after_hours": 0, "action": "notify", "notify": ["assignee"]}]
        if not isinstance(steps_raw, list):
            raise DefinitionError(f"{label}：deadline.on_due 必须是列表")
        steps = tuple(self.due_step(item, label) for item in steps_raw)
        if any(later.after_hours < earlier.after_hours for earlier, later in zip(
                steps, steps[1:], strict=False)):
            raise DefinitionError(f"{label}：超时处理步骤必须按时间先后排列")
        known = {"working_days", "hours", "working_hours", "urgent_hours", "on_due"}
        return Deadline(
            working_days=_optional_int(data.get("working_days"), label, "working_days"),
            hours=_optional_int(data.get("hours"), label, "hours"),
            working_hours=_optional_int(data.get("working_hours"), label, "working_hours"),
            urgent_hours=_optional_int(data.get("urgent_hours"), label, "urgent_hours"),
            on_due=steps,
            extra={str(k): _json(v, label) for k, v in data.items() if k not in known})

    def due_step(self, raw: object, label: str) -> DueStep:
        data = _mapping(raw, f"{label}：超时处理步骤必须是对象")
        notify_raw = data.get("notify", [])
        if not isinstance(notify_raw, list):
            raise DefinitionError(f"{label}：notify 必须是列表")
        if data.get("max_repeats") and not data.get("repeat_every_hours"):
            raise DefinitionError(f"{label}：重复提醒需要设置间隔小时数（repeat_every_hours）")
        return DueStep(
            after_hours=_optional_int(data.get("after_hours"), label, "after_hours") or 0,
            action=_enum(DueAction, data.get("action"), label, "on_due.action"),
            notify=tuple(_enum(NotifyTarget, item, label, "notify") for item in notify_raw),
            to_user_id=_optional_int(data.get("to_user_id"), label, "to_user_id"),
            user_ids=_int_list(data.get("user_ids") or [], label, "user_ids"),
            repeat_every_hours=_optional_int(data.get("repeat_every_hours"), label,
                                             "repeat_every_hours"),
            max_repeats=_optional_int(data.get("max_repeats"), label, "max_repeats") or 0)

    def condition_branches(self, data: Mapping[str, object],
                           label: str) -> tuple[ConditionBranch, ...]:
        raw = _branch_list(data, label)
        last = raw[-1]
        if isinstance(last, Mapping) and last.get("condition"):
            raise DefinitionError(f"{label}：最后一个分支必须是“其他情况”（空条件）")
        branches: list[ConditionBranch] = []
        for index, item in enumerate(raw):
            branch = _mapping(item, f"{label}：分支必须是对象")
            branch_id, branch_name = self.identity(branch, "分支")
            condition = _mapping(branch.get("condition") or {}, f"{label}：条件必须是对象")
            if index < len(raw) - 1 and not condition:
                raise DefinitionError(f"{label}：分支“{branch_name}”缺少条件")
            condition_json = _json_mapping(condition, label)
            try:
                validate(condition_json)
            except ConditionError as error:
                raise DefinitionError(f"{label}：分支“{branch_name}”的条件无效：{error}") from None
            branches.append(ConditionBranch(branch_id, branch_name, condition_json,
                                            self.child(branch)))
        return tuple(branches)

    def parallel_branches(self, data: Mapping[str, object],
                          label: str) -> tuple[ParallelBranch, ...]:
        branches: list[ParallelBranch] = []
        for item in _branch_list(data, label):
            branch = _mapping(item, f"{label}：分支必须是对象")
            branch_id, branch_name = self.identity(branch, "分支")
            branches.append(ParallelBranch(branch_id, branch_name, self.child(branch)))
        return tuple(branches)

    def flag(self, data: Mapping[str, object], key: str, label: str,
             default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise DefinitionError(f"{label}：{key} 必须是 true 或 false")
        return value


def _node_to_dict(node: Node) -> dict[str, JsonValue]:
    data: dict[str, JsonValue] = {"type": kind_of(node).value, "id": node.id, "name": node.name}
    match node:
        case StartNode():
            data["field_permissions"] = {k: v.value for k, v in node.field_permissions}
        case TaskNode():
            data |= {
                "approver_rule": node.rule.to_dict(), "mode": node.mode.value,
                "quorum": {"min_count": node.min_count, "min_percent": node.min_percent},
                "policies": node.policies.to_dict(),
                "field_permissions": {k: v.value for k, v in node.field_permissions},
                "require_comment_on_reject": node.require_comment_on_reject,
                "require_signature_on_approve": node.require_signature_on_approve,
                "allowed_actions": [action.value for action in node.allowed_actions],
                "deadline": node.deadline.to_dict() if node.deadline else None,
            }
        case CcNode():
            data["approver_rule"] = node.rule.to_dict()
        case ConditionGroup():
            data["branches"] = [
                {"id": b.id, "name": b.name, "condition": plain_json(b.condition),
                 "child": _node_to_dict(b.child) if b.child else None} for b in node.branches]
        case ParallelGroup():
            data["branches"] = [
                {"id": b.id, "name": b.name,
                 "child": _node_to_dict(b.child) if b.child else None} for b in node.branches]
    data["child"] = _node_to_dict(node.child) if node.child else None
    return data


def _mapping(raw: object, message: str) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise DefinitionError(message)
    return raw


def _branch_list(data: Mapping[str, object], label: str) -> Sequence[object]:
    raw = data.get("branches")
    if not isinstance(raw, list) or len(raw) < 2:
        raise DefinitionError(f"{label}：至少需要两个分支")
    return raw


def _enum[E: StrEnum](enum: type[E], raw: object, label: str, key: str) -> E:
    try:
        return enum(str(raw))
    except ValueError:
        raise DefinitionError(f"{label}：{key} 的值 {raw!r} 无效") from None


def _optional_int(raw: object, label: str, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise DefinitionError(f"{label}：{key} 必须是整数")
    return raw


def _int_list(raw: object, label: str, key: str) -> tuple[int, ...]:
    if not isinstance(raw, list) or any(
            isinstance(item, bool) or not isinstance(item, int) for item in raw):
        raise DefinitionError(f"{label}：{key} 必须是整数列表")
    return tuple(raw)


def _json(raw: object, label: str) -> Json:
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    if isinstance(raw, Mapping):
        return _json_mapping(raw, label)
    if isinstance(raw, list):
        return [_json(item, label) for item in raw]
    raise DefinitionError(f"{label}：含有无法保存为 JSON 的值")


def _json_mapping(raw: Mapping[str, object], label: str) -> dict[str, Json]:
    return {str(key): _json(value, label) for key, value in raw.items()}
