"""Condition branches and the route preview shown to the initiator before submitting."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from sopflow.rules.conditions import evaluate

from .definition import Definition
from .directory import Directory
from .errors import NoApprover
from .nodes import (
    CcNode,
    ConditionBranch,
    ConditionGroup,
    Mode,
    Node,
    NodeKind,
    ParallelGroup,
    StartNode,
    TaskNode,
)
from .resolve import Candidate, Context, chosen_for, ids_in, resolve_cc, resolve_task_node
from .state import ChosenApprovers, Resumption
from .values import FormData, JsonValue


@dataclass(frozen=True, slots=True)
class RouteAssignee:
    user_id: int
    name: str
    reason: str
    is_auto_approved: bool = False


@dataclass(frozen=True, slots=True)
class RouteStep:
    """One node on the predicted route. `blocked` holds the refusal message, if any."""

    node_id: str
    node_name: str
    kind: NodeKind
    mode: Mode | None = None
    assignees: tuple[RouteAssignee, ...] = ()
    skipped: tuple[RouteAssignee, ...] = ()
    branch_id: str = ""
    branch_name: str = ""
    reason: str = ""
    parallel_branch_id: str = ""
    blocked: str = ""

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "node_id": self.node_id, "node_name": self.node_name, "kind": self.kind.value,
            "mode": self.mode.value if self.mode else None,
            "assignees": [_assignee_dict(a) for a in self.assignees],
            "skipped": [_assignee_dict(a) for a in self.skipped],
            "branch_id": self.branch_id, "branch_name": self.branch_name, "reason": self.reason,
            "parallel_branch_id": self.parallel_branch_id, "blocked": self.blocked,
        }


def preview_route(definition: Definition, *, initiator_id: int, form: Mapping[str, object],
                  directory: Directory,
                  chosen_approvers: Mapping[str, Sequence[int]] | None = None) -> list[RouteStep]:
    """The route the item would take if every approver approved, with named assignees and why.

    Branches are chosen from `form` as submitted. A node that would refuse submission is
    returned with `blocked` set rather than raised; `start` raises for it. Raises NotAllowed
    when `chosen_approvers` is out of range.
    """
    chosen = chosen_for(definition, chosen_approvers or {}, directory, initiator_id)
    context = Context(initiator_id=initiator_id, form=FormData.from_mapping(form), chosen=chosen)
    return _route(definition, context, directory)


def check_route(definition: Definition, initiator_id: int, form: FormData,
                chosen: tuple[ChosenApprovers, ...], directory: Directory) -> None:
    """Raise NoApprover for the first node on the predicted route that would refuse."""
    context = Context(initiator_id=initiator_id, form=form, chosen=chosen)
    for step in _route(definition, context, directory):
        if step.blocked:
            raise NoApprover(step.blocked)


def resume_problem(definition: Definition, initiator_id: int, form: FormData,
                   chosen: tuple[ChosenApprovers, ...], directory: Directory,
                   resume: Resumption, visited: frozenset[str]) -> str:
    """Why a resubmission cannot pick up at `resume` under the new form ("" when it can).

    It can when every node it would re-enter is still on the route, and every task node on
    the route that it would not run again was already passed in the returned round (a changed
    condition may route through an approver nobody asked yet).
    """
    context = Context(initiator_id=initiator_id, form=form, chosen=chosen)
    steps = _route(definition, context, directory)
    on_route = {step.node_id for step in steps}
    for node_id in resume.nodes:
        if node_id not in on_route:
            return f"修改后的表单不再经过“{_name(definition, node_id)}”，从头开始审批"
    for step in steps:
        if step.kind not in (NodeKind.APPROVER, NodeKind.HANDLER) or step.node_id in visited:
            continue
        if not any(node_id == step.node_id or definition.precedes(node_id, step.node_id)
                   for node_id in resume.nodes):
            return f"修改后的表单需要经过“{step.node_name}”，从头开始审批"
    return ""


def _name(definition: Definition, node_id: str) -> str:
    node = definition.find(node_id)
    return node.name if node else node_id


def _route(definition: Definition, context: Context, directory: Directory) -> list[RouteStep]:
    steps: list[RouteStep] = []
    _Preview(directory, steps).walk(definition.root, context, "")
    return steps


def choose_branch(group: ConditionGroup, context: Context,
                  directory: Directory) -> tuple[ConditionBranch, str]:
    """The first branch whose condition holds (the last one is the default) and why."""
    resolve = operand_resolver(context.initiator_id, context.form, directory)
    belongs = membership(directory)
    for branch in group.branches[:-1]:
        if evaluate(branch.condition, resolve, belongs):
            return branch, f"满足条件“{branch.name}”"
    default = group.branches[-1]
    return default, f"其他条件均不满足，走“{default.name}”"


PERSON_DEPARTMENT_SUFFIX = ".department"


def operand_resolver(initiator_id: int, form: FormData,
                     directory: Directory) -> Callable[[str], object]:
    """Operands: form field keys, `<person field>.department`, and initiator.id/department/
    position/roles.

    Person and department values stored as `{"id": n}` (or lists of them) resolve to the ids,
    so `in`/`not_in` compare ids rather than dict text. `f_owner.department` is the main
    department of each person in the person field `f_owner` (the operand "belongs to
    department" tests for a person field).
    """
    def resolve(name: str) -> object:
        match name:
            case "initiator.id":
                return initiator_id
            case "initiator.department":
                return directory.department_of(initiator_id)
            case "initiator.position":
                return directory.position_of(initiator_id)
            case "initiator.roles":
                return sorted(directory.roles_of(initiator_id))
            case _ if name.endswith(PERSON_DEPARTMENT_SUFFIX):
                people = ids_in(form.get(name.removesuffix(PERSON_DEPARTMENT_SUFFIX)))
                departments = (directory.department_of(person) for person in people)
                return [d for d in dict.fromkeys(departments) if d is not None]
            case _:
                return _plain_ids(form.get(name))
    return resolve


def membership(directory: Directory) -> Callable[[object, object], bool]:
    """`belongs_to`: a department id (or `{"id": n}`) equals the container or lies in its
    subtree."""
    def belongs(value: object, container: object) -> bool:
        department, parent = _as_id(value), _as_id(container)
        if department is None or parent is None:
            return False
        return department == parent or parent in directory.department_ancestors(department)
    return belongs


class _Preview:
    def __init__(self, directory: Directory, steps: list[RouteStep]) -> None:
        self.directory = directory
        self.steps = steps

    def walk(self, node: Node | None, context: Context, lane: str) -> Context:
        if node is None:
            return context
        match node:
            case StartNode():
                pass
            case TaskNode():
                context = self.task_step(node, context, lane)
            case CcNode():
                resolution = resolve_cc(node, context, self.directory)
                self.steps.append(RouteStep(node.id, node.name, NodeKind.CC,
                                            assignees=self.people(resolution.assignees),
                                            skipped=self.people(resolution.dropped),
                                            parallel_branch_id=lane))
            case ConditionGroup():
                branch, reason = choose_branch(node, context, self.directory)
                self.steps.append(RouteStep(node.id, node.name, NodeKind.CONDITION_GROUP,
                                            branch_id=branch.id, branch_name=branch.name,
                                            reason=reason, parallel_branch_id=lane))
                context = self.walk(branch.child, context, lane)
            case ParallelGroup():
                self.steps.append(RouteStep(node.id, node.name, NodeKind.PARALLEL_GROUP,
                                            parallel_branch_id=lane))
                for parallel_branch in node.branches:
                    context = self.walk(parallel_branch.child, context, parallel_branch.id)
        return self.walk(node.child, context, lane)

    def task_step(self, node: TaskNode, context: Context, lane: str) -> Context:
        try:
            resolution = resolve_task_node(node, context, self.directory, preview=True)
        except NoApprover as refusal:
            self.steps.append(RouteStep(node.id, node.name, node.kind, node.effective_mode,
                                        parallel_branch_id=lane, blocked=str(refusal)))
            return context
        people = (*self.people(resolution.assignees),
                  *self.people(resolution.auto_approved, auto=True))
        self.steps.append(RouteStep(node.id, node.name, node.kind, node.effective_mode,
                                    assignees=people, skipped=self.people(resolution.dropped),
                                    reason=resolution.note, parallel_branch_id=lane))
        deciders = frozenset(c.user_id for c in (*resolution.assignees,
                                                 *resolution.auto_approved))
        if not deciders:
            return context
        return replace(context, approved_by=context.approved_by | deciders,
                       previous_approvers=deciders)

    def people(self, found: Sequence[Candidate], auto: bool = False) -> tuple[RouteAssignee, ...]:
        return tuple(RouteAssignee(c.user_id, self.directory.name_of(c.user_id), c.reason, auto)
                     for c in found)


def _plain_ids(value: JsonValue) -> JsonValue:
    """`{"id": n}` becomes n, in a list too; every other value is returned as it is."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    if isinstance(value, list) and value and all(
            isinstance(item, dict) and "id" in item for item in value):
        return [item["id"] for item in value if isinstance(item, dict)]
    return value


def _as_id(value: object) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _assignee_dict(assignee: RouteAssignee) -> dict[str, JsonValue]:
    return {"user_id": assignee.user_id, "name": assignee.name, "reason": assignee.reason,
            "is_auto_approved": assignee.is_auto_approved}
