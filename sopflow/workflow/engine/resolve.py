"""Approver rules and per-node policies: who gets a node's tasks, and the human reason why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .definition import Definition
from .directory import Directory
from .errors import NoApprover, NotAllowed
from .nodes import (
    ApproverRule,
    CcNode,
    ChoiceScope,
    InitiatorPolicy,
    NobodyPolicy,
    RoleScope,
    RuleType,
    SameApproverPolicy,
    TaskNode,
)
from .state import ChosenApprovers
from .values import FormData, JsonValue

CHAIN_LIMIT = 20  # a reporting line longer than this is treated as malformed org data


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """Who gets tasks, who counts as approved already, who was skipped, and a note on fallbacks.

    Empty `assignees` and `auto_approved` mean the node passes by itself (`note` says why).
    """

    assignees: tuple[Candidate, ...] = ()
    auto_approved: tuple[Candidate, ...] = ()
    dropped: tuple[Candidate, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Context:
    """What resolution needs besides the rule: the initiator, the form and the history."""

    initiator_id: int
    form: FormData
    chosen: tuple[ChosenApprovers, ...] = ()
    next_approvers: tuple[int, ...] = ()
    approved_by: frozenset[int] = frozenset()
    previous_approvers: frozenset[int] = frozenset()


def resolve_task_node(node: TaskNode, context: Context, directory: Directory, *,
                      preview: bool = False) -> Resolution:
    """Apply the rule, drop disabled users, then the initiator, same-approver and nobody policies.

    Raises NoApprover when nobody is found and the policy is `refuse` (or no process admin is
    available for `to_process_admin`). With `preview`, a node chosen by the previous approver
    resolves to nobody with an explanatory note instead of applying the nobody policy.
    """
    found = candidates(node.id, node.rule, context, directory)
    active = [c for c in found if directory.is_active(c.user_id)]
    dropped = tuple(Candidate(c.user_id, "账号已停用，已跳过") for c in found if c not in active)
    if preview and node.rule.type is RuleType.CHOSEN_BY_PREVIOUS and not active:
        return Resolution(dropped=dropped, note="由上一步审批人在审批时指定")
    assignees, auto = _initiator_policy(node, active, context, directory)
    assignees, auto = _same_approver_policy(node, assignees, auto, context)
    if assignees or auto:
        return Resolution(tuple(assignees), tuple(auto), dropped)
    match node.policies.nobody:
        case NobodyPolicy.AUTO_APPROVE:
            return Resolution(dropped=dropped, note="找不到审批人，自动通过")
        case NobodyPolicy.TO_PROCESS_ADMIN:
            admins = [a for a in _unique(directory.process_admins()) if directory.is_active(a)]
            if admins:
                return Resolution(tuple(Candidate(a, "找不到审批人，转交流程管理员")
                                        for a in admins), (), dropped)
            raise NoApprover(f"节点“{node.name}”找不到审批人，也没有可用的流程管理员，无法提交")
        case NobodyPolicy.REFUSE:
            raise NoApprover(f"节点“{node.name}”找不到审批人，无法提交")


def resolve_cc(node: CcNode, context: Context, directory: Directory) -> Resolution:
    """CC recipients: the rule's active people; nobody found simply means nobody is notified."""
    found = candidates(node.id, node.rule, context, directory)
    active = tuple(c for c in found if directory.is_active(c.user_id))
    dropped = tuple(Candidate(c.user_id, "账号已停用，已跳过") for c in found if c not in active)
    return Resolution(active, (), dropped)


def candidates(node_id: str, rule: ApproverRule, context: Context,
               directory: Directory) -> list[Candidate]:
    """The rule's people in a stable order, without duplicates, before any policy."""
    initiator = context.initiator_id
    found: list[Candidate] = []
    match rule.type:
        case RuleType.USERS:
            found = [Candidate(u, "指定成员") for u in rule.user_ids]
        case RuleType.ROLE:
            reason = f"角色：{rule.role_name or rule.role}"
            found = [Candidate(u, reason) for u in _role_holders(rule, initiator, directory)]
        case RuleType.POSITION:
            reason = f"岗位：{rule.position_name or rule.position_id}"
            position = rule.position_id if rule.position_id is not None else -1
            found = [Candidate(u, reason) for u in directory.holders_of_position(position)]
        case RuleType.MANAGER:
            manager = directory.manager_of(initiator, rule.level)
            found = [] if manager is None else [Candidate(manager, manager_reason(rule.level))]
        case RuleType.MANAGER_CHAIN:
            found = _manager_chain(rule, initiator, directory)
        case RuleType.DEPARTMENT_HEAD:
            found = _department_heads(_department_above(initiator, rule.level, directory),
                                      directory)
        case RuleType.NAMED_DEPARTMENT_HEAD:
            found = _department_heads(rule.department_id, directory)
        case RuleType.FORM_DEPARTMENT_HEAD:
            departments = ids_in(context.form.get(rule.field))
            found = _department_heads(departments[0] if departments else None, directory)
        case RuleType.FORM_USERS:
            found = [Candidate(u, "表单中选择的人员") for u in ids_in(context.form.get(rule.field))]
        case RuleType.CHOSEN_BY_INITIATOR:
            chosen = next((c.user_ids for c in context.chosen if c.node_id == node_id), ())
            found = [Candidate(u, "发起人自选") for u in chosen]
        case RuleType.CHOSEN_BY_PREVIOUS:
            found = [Candidate(u, "上一步审批人指定") for u in context.next_approvers]
        case RuleType.INITIATOR:
            found = [Candidate(initiator, "发起人本人")]
    return _unique_candidates(found)


def chosen_for(definition: Definition, chosen: Mapping[str, Sequence[int]],
               directory: Directory, initiator_id: int) -> tuple[ChosenApprovers, ...]:
    """Validate the initiator's picks: only for 自选 nodes, only from the allowed range.

    Raises NotAllowed naming the node when a pick is out of range or not expected.
    """
    result: list[ChosenApprovers] = []
    for node_id, raw_ids in sorted(chosen.items()):
        node = definition.find(node_id)
        user_ids = tuple(dict.fromkeys(int(u) for u in raw_ids))
        if not isinstance(node, (TaskNode, CcNode)) or (
                node.rule.type is not RuleType.CHOSEN_BY_INITIATOR):
            raise NotAllowed(f"节点 {node_id} 不需要发起人选择审批人")
        rule = node.rule
        if not rule.multiple and len(user_ids) > 1:
            raise NotAllowed(f"节点“{node.name}”只能选择一位审批人")
        allowed: set[int] | None = None
        if rule.choose_from is ChoiceScope.LIST:
            allowed = set(rule.user_ids)
        elif rule.choose_from is ChoiceScope.ROLE:
            allowed = set(_role_holders(rule, initiator_id, directory))
        if allowed is not None and not set(user_ids) <= allowed:
            raise NotAllowed(f"节点“{node.name}”只能从指定范围中选择审批人")
        if user_ids:
            result.append(ChosenApprovers(node_id, user_ids))
    return tuple(result)


def manager_reason(level: int) -> str:
    return "发起人的直属上级" if level == 1 else f"发起人的 {level} 级主管"


def ids_in(value: JsonValue) -> list[int]:
    """User or department ids held by a person/department field: an id, a list, or {"id": n}."""
    items = value if isinstance(value, list) else [value]
    found: list[int] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("id")
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            found.append(item)
        elif isinstance(item, str) and item.strip().isdigit():
            found.append(int(item))
    return list(dict.fromkeys(found))


def _role_holders(rule: ApproverRule, initiator: int, directory: Directory) -> list[int]:
    company = directory.company_of(initiator) if rule.role_scope is not RoleScope.ALL else None
    department = (directory.department_of(initiator)
                  if rule.role_scope is RoleScope.DEPARTMENT else None)
    return directory.holders_of_role(rule.role, company_id=company, department_id=department)


def _manager_chain(rule: ApproverRule, initiator: int, directory: Directory) -> list[Candidate]:
    limit = min(rule.up_to_level or CHAIN_LIMIT, CHAIN_LIMIT)
    chain: list[Candidate] = []
    for level in range(1, limit + 1):
        manager = directory.manager_of(initiator, level)
        if manager is None:
            break
        chain.append(Candidate(manager, manager_reason(level)))
        if rule.up_to_role and rule.up_to_role in directory.roles_of(manager):
            break
    return chain


def _department_above(user_id: int, level: int, directory: Directory) -> int | None:
    department = directory.department_of(user_id)
    if department is None or level == 0:
        return department
    ancestors = directory.department_ancestors(department)
    return ancestors[level - 1] if level <= len(ancestors) else None


def _department_heads(department: int | None, directory: Directory) -> list[Candidate]:
    if department is None:
        return []
    reason = f"{directory.department_name(department)}负责人"
    return [Candidate(head, reason) for head in directory.heads_of(department)]


def _initiator_policy(node: TaskNode, found: list[Candidate], context: Context,
                      directory: Directory) -> tuple[list[Candidate], list[Candidate]]:
    initiator = context.initiator_id
    if all(c.user_id != initiator for c in found):
        return found, []
    others = [c for c in found if c.user_id != initiator]
    match node.policies.initiator:
        case InitiatorPolicy.SELF:
            return found, []
        case InitiatorPolicy.AUTO_APPROVE:
            return others, [Candidate(initiator, "发起人本人，自动通过")]
        case InitiatorPolicy.TO_MANAGER:
            manager = directory.manager_of(initiator, 1)
            if manager is None or not directory.is_active(manager) or any(
                    c.user_id == manager for c in others):
                return others, []
            index = next(i for i, c in enumerate(found) if c.user_id == initiator)
            replacement = Candidate(manager, "发起人是审批人，转交其直属上级")
            return [*others[:index], replacement, *others[index:]], []


def _same_approver_policy(node: TaskNode, found: list[Candidate], auto: list[Candidate],
                          context: Context) -> tuple[list[Candidate], list[Candidate]]:
    match node.policies.same_approver:
        case SameApproverPolicy.NEVER:
            return found, auto
        case SameApproverPolicy.AUTO_APPROVE_ALL:
            earlier, reason = context.approved_by, "此前已审批，自动通过"
        case SameApproverPolicy.AUTO_APPROVE_CONSECUTIVE:
            earlier, reason = context.previous_approvers, "上一节点已审批，自动通过"
    keep = [c for c in found if c.user_id not in earlier]
    return keep, auto + [Candidate(c.user_id, reason) for c in found if c.user_id in earlier]


def _unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _unique_candidates(found: list[Candidate]) -> list[Candidate]:
    seen: set[int] = set()
    unique: list[Candidate] = []
    for candidate in found:
        if candidate.user_id not in seen:
            seen.add(candidate.user_id)
            unique.append(candidate)
    return unique
