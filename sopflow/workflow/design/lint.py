"""Publish-time checks of a draft flow against the form and the current org chart.

`lint(draft, schema=…, directory=…, initiators=…)` returns findings; errors block publishing,
warnings are shown and can be accepted. Every message starts with the node it is about.
Approver rules are resolved for every possible initiator (every active employee), so "nobody",
"a disabled employee" and "the initiator approves their own item" are found per person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sopflow.form_templates.schema.fields import FieldType, Schema
from sopflow.rules.conditions import Json
from sopflow.workflow.engine import Context, Definition, Directory, FormData, candidates
from sopflow.workflow.engine.nodes import (
    CcNode,
    ConditionGroup,
    DueAction,
    InitiatorPolicy,
    Mode,
    NobodyPolicy,
    Node,
    NotifyTarget,
    ParallelGroup,
    RuleType,
    TaskNode,
)

from .conditions import (
    NO_VALUE_OPS,
    Operand,
    OperandKind,
    Region,
    as_decimal,
    leaves,
    operands_of,
    region,
    region_is_empty,
    region_within,
    regions_overlap,
)
from .editing import is_unset
from .messages import join, message, operator_label

FORM_RULES = frozenset({RuleType.FORM_USERS, RuleType.FORM_DEPARTMENT_HEAD,
                        RuleType.CHOSEN_BY_INITIATOR, RuleType.CHOSEN_BY_PREVIOUS})
SHOWN_PEOPLE = 3


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    code: str
    node_id: str
    node_name: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def to_dict(self) -> dict[str, str]:
        return {"level": self.level.value, "code": self.code, "node_id": self.node_id,
                "node_name": self.node_name, "message": self.message}


def lint(definition: Definition, *, schema: Schema, directory: Directory,
         initiators: Sequence[int], language: str = "zh-hans") -> list[Finding]:
    """All findings for the flow, errors first, each naming its node, in `language`."""
    checker = _Checker(definition, schema, _Memo(directory), list(initiators), language)
    checker.run()
    return sorted(checker.findings, key=lambda f: f.level is not Level.ERROR)


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(finding.is_error for finding in findings)


class _Checker:
    def __init__(self, definition: Definition, schema: Schema, directory: _Memo,
                 initiators: list[int], language: str) -> None:
        self.definition = definition
        self.language = language
        self.schema = schema
        self.directory = directory
        self.initiators = initiators
        self.operands = operands_of(schema)
        self.findings: list[Finding] = []
        self.dead: set[str] = set()

    def run(self) -> None:
        for node in self.definition.nodes():
            match node:
                case ConditionGroup():
                    self.condition_group(node)
                case ParallelGroup():
                    for lane in node.branches:
                        if lane.child is None:
                            self.add(Level.WARNING, "empty_branch", node, branch=lane.name)
                case TaskNode():
                    self.people(node)
                    self.task_settings(node)
                case CcNode():
                    self.people(node)
                case _:
                    pass
        for node in self.definition.nodes():
            if node.id in self.dead:
                self.add(Level.ERROR, "unreachable", node)

    def add(self, level: Level, code: str, node: Node, entry: str = "", **args: object) -> None:
        """Record a finding; its text is catalogue `entry` (default: the code) in the language."""
        text = message(entry or code, self.language, **args)
        self.findings.append(Finding(level, code, node.id, node.name, message(
            "lint.prefix", self.language, name=node.name, id=node.id, text=text)))

    # --- conditions ----------------------------------------------------------------------------

    def condition_group(self, group: ConditionGroup) -> None:
        earlier: list[tuple[str, Region]] = []
        for branch in group.branches[:-1]:
            if is_unset(branch.condition):
                self.add(Level.ERROR, "unset_condition", group, branch=branch.name)
                continue
            valid = self.leaves_ok(group, branch.name, branch.condition)
            found = region(branch.condition, self.operands) if valid else None
            if found is None:
                continue
            if region_is_empty(found):
                self.add(Level.ERROR, "impossible_branch", group, branch=branch.name)
                self.mark_dead(branch.child)
                continue
            cover = next((name for name, other in earlier if region_within(found, other)), None)
            if cover is not None:
                self.add(Level.ERROR, "shadowed_branch", group, branch=branch.name, cover=cover)
                self.mark_dead(branch.child)
                continue
            for name, other in earlier:
                if regions_overlap(found, other):
                    self.add(Level.WARNING, "overlapping_branches", group, first=name,
                             branch=branch.name)
            earlier.append((branch.name, found))

    def leaves_ok(self, group: ConditionGroup, branch: str,
                  condition: Mapping[str, Json]) -> bool:
        ok = True
        for leaf in leaves(condition):
            key, op = str(leaf.get("field")), str(leaf.get("op"))
            operand = self.operands.get(key)
            if operand is None:
                self.add(Level.ERROR, "unknown_field", group, "unknown_field.condition",
                         branch=branch, key=key)
                ok = False
                continue
            allowed = [op_ for op_, _ in operand.operators]
            if op not in allowed:
                self.add(Level.ERROR, "wrong_type", group, "wrong_type.operator", branch=branch,
                         label=operand.label, op=operator_label(op, self.language))
                ok = False
            elif not _value_fits(operand, op, leaf.get("value")):
                self.add(Level.ERROR, "wrong_type", group, "wrong_type.value", branch=branch,
                         label=operand.label, value=repr(leaf.get("value")))
                ok = False
        return ok

    def mark_dead(self, node: Node | None) -> None:
        while node is not None:
            self.dead.add(node.id)
            if isinstance(node, (ConditionGroup, ParallelGroup)):
                for branch in node.branches:
                    self.mark_dead(branch.child)
            node = node.child

    # --- people --------------------------------------------------------------------------------

    def people(self, node: TaskNode | CcNode) -> None:
        rule = node.rule
        if rule.type in FORM_RULES:
            self.form_rule(node)
            return
        nobody: list[int] = []
        disabled: set[int] = set()
        themselves: list[int] = []
        most = 0
        for initiator in self.initiators:
            context = Context(initiator_id=initiator, form=FormData())
            found = [c.user_id for c in candidates(node.id, rule, context, self.directory)]
            active = [u for u in found if self.directory.is_active(u)]
            disabled |= set(found) - set(active)
            most = max(most, len(active))
            if not active:
                nobody.append(initiator)
            elif initiator in active:
                themselves.append(initiator)
        if nobody:
            self.nobody(node, nobody)
        if disabled:
            names = join((self.directory.name_of(u) for u in sorted(disabled)), self.language)
            self.add(Level.WARNING, "disabled_approver", node, names=names)
        if themselves and isinstance(node, TaskNode) and (
                node.policies.initiator is InitiatorPolicy.SELF):
            self.add(Level.WARNING, "initiator_approves", node, who=self.who(themselves))
        if isinstance(node, TaskNode) and node.mode is Mode.ALL and self.initiators and (
                most == 1 and rule.type is not RuleType.MANAGER_CHAIN):
            self.add(Level.WARNING, "single_all_sign", node)

    def nobody(self, node: TaskNode | CcNode, initiators: list[int]) -> None:
        who = self.who(initiators)
        if isinstance(node, CcNode):
            self.add(Level.WARNING, "nobody", node, "nobody.cc", who=who)
        elif node.policies.nobody is NobodyPolicy.REFUSE:
            self.add(Level.ERROR, "nobody", node, "nobody.refuse", who=who)
        else:
            fallback = ("nobody.auto_approve" if node.policies.nobody is NobodyPolicy.AUTO_APPROVE
                        else "nobody.to_process_admin")
            self.add(Level.WARNING, "nobody", node, fallback, who=who)

    def who(self, initiators: list[int]) -> str:
        shown = []
        for user_id in initiators[:SHOWN_PEOPLE]:
            department = self.directory.department_of(user_id)
            name = self.directory.name_of(user_id)
            shown.append(message("lint.who", self.language, name=name,
                                 department=self.directory.department_name(department))
                         if department else name)
        more = (message("lint.more", self.language, count=len(initiators))
                if len(initiators) > SHOWN_PEOPLE else "")
        return join(shown, self.language) + more

    def form_rule(self, node: TaskNode | CcNode) -> None:
        rule = node.rule
        if rule.type in (RuleType.FORM_USERS, RuleType.FORM_DEPARTMENT_HEAD):
            field = self.schema.field(rule.field)
            wanted = (FieldType.PERSON if rule.type is RuleType.FORM_USERS
                      else FieldType.DEPARTMENT)
            if field is None:
                self.add(Level.ERROR, "unknown_field", node, "unknown_field.rule",
                         key=rule.field)
            elif field.type is not wanted:
                self.add(Level.ERROR, "wrong_type", node,
                         "wrong_type.rule_person" if wanted is FieldType.PERSON
                         else "wrong_type.rule_department", label=field.label)
        if rule.type is RuleType.CHOSEN_BY_INITIATOR and rule.user_ids:
            gone = [u for u in rule.user_ids if not self.directory.is_active(u)]
            if gone:
                names = join((self.directory.name_of(u) for u in gone), self.language)
                self.add(Level.WARNING, "disabled_approver", node, "disabled_approver.chosen",
                         names=names)

    def task_settings(self, node: TaskNode) -> None:
        for key, _access in node.field_permissions:
            if self.schema.field(key) is None:
                self.add(Level.WARNING, "unknown_field", node, "unknown_field.permission",
                         key=key)
        deadline = node.deadline
        if deadline is None:
            return
        if not deadline.on_due:
            self.add(Level.ERROR, "deadline_without_escalation", node)
            return
        for step in deadline.on_due:
            if step.action is DueAction.TRANSFER and step.to_user_id is not None and (
                    not self.directory.is_active(step.to_user_id)):
                self.add(Level.ERROR, "deadline_without_escalation", node,
                         "deadline_without_escalation.inactive",
                         name=self.directory.name_of(step.to_user_id))
            needs_manager = (step.action is DueAction.TRANSFER and step.to_user_id is None) or (
                step.action is DueAction.NOTIFY and NotifyTarget.MANAGER in step.notify)
            if needs_manager:
                lonely = self.assignees_without_manager(node)
                if lonely:
                    names = join((self.directory.name_of(u) for u in lonely[:SHOWN_PEOPLE]),
                                 self.language)
                    # A transfer with nobody to receive it leaves the item stuck: an error.
                    # A reminder that reaches nobody is only a warning.
                    level = Level.ERROR if step.action is DueAction.TRANSFER else Level.WARNING
                    self.add(level, "deadline_without_escalation", node,
                             "deadline_without_escalation.transfer_manager"
                             if step.action is DueAction.TRANSFER
                             else "deadline_without_escalation.notify_manager", names=names)

    def assignees_without_manager(self, node: TaskNode) -> list[int]:
        if node.rule.type in FORM_RULES:
            return []
        found: set[int] = set()
        for initiator in self.initiators:
            context = Context(initiator_id=initiator, form=FormData())
            found |= {c.user_id for c in candidates(node.id, node.rule, context, self.directory)}
        return sorted(u for u in found if self.directory.is_active(u)
                      and self.directory.manager_of(u, 1) is None)


def _value_fits(operand: Operand, op: str, value: object) -> bool:
    if op in NO_VALUE_OPS:
        return True
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or any(item is None or item == "" for item in items):
        return False
    match operand.kind:
        case OperandKind.NUMBER:
            return all(as_decimal(item) is not None for item in items) and (
                op != "between" or len(items) == 2)
        case OperandKind.CHOICE:
            known = {option for option, _ in operand.options}
            return not known or all(str(item) in known for item in items)
        case OperandKind.PERSON | OperandKind.DEPARTMENT | OperandKind.POSITION:
            return all(isinstance(item, int) or str(item).isdigit() for item in items)
        case _:
            return True


class _Memo:
    """Directory answers memoised for one lint run (the same questions repeat per initiator)."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self.name_of = cache(directory.name_of)
        self.is_active = cache(directory.is_active)
        self.manager_of = cache(directory.manager_of)
        self.department_of = cache(directory.department_of)
        self.department_name = cache(directory.department_name)
        self.company_of = cache(directory.company_of)
        self.position_of = cache(directory.position_of)
        self._ancestors = cache(lambda d: tuple(directory.department_ancestors(d)))
        self._heads = cache(lambda d: tuple(directory.heads_of(d)))
        self._positions = cache(lambda p: tuple(directory.holders_of_position(p)))
        self._roles = cache(lambda u: frozenset(directory.roles_of(u)))
        self._role_holders = cache(
            lambda role, company, department: tuple(directory.holders_of_role(
                role, company_id=company, department_id=department)))

    def department_ancestors(self, department_id: int) -> list[int]:
        return list(self._ancestors(department_id))

    def heads_of(self, department_id: int) -> list[int]:
        return list(self._heads(department_id))

    def holders_of_position(self, position_id: int) -> list[int]:
        return list(self._positions(position_id))

    def roles_of(self, user_id: int) -> set[str]:
        return set(self._roles(user_id))

    def holders_of_role(self, role: str, *, company_id: int | None,
                        department_id: int | None) -> list[int]:
        return list(self._role_holders(role, company_id, department_id))

    def process_admins(self) -> list[int]:
        return self._directory.process_admins()
