"""Simulation: the route one initiator's item would take, every person named with the reason,
and for every condition group which branch was taken and why the others were not.

Built on the engine's `preview_route`; branch explanations re-evaluate the same conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from sopflow.form_templates.schema.fields import Schema
from sopflow.rules.conditions import Json, evaluate
from sopflow.workflow.engine import (
    Definition,
    Directory,
    FormData,
    JsonValue,
    NodeKind,
    NotAllowed,
    RouteStep,
    membership,
    operand_resolver,
    preview_route,
)
from sopflow.workflow.engine.nodes import ConditionGroup

from .conditions import Operand, OperandKind, describe, leaves, operands_of
from .editing import KIND_LABELS

MODE_LABELS = {"all": "会签（需所有人同意）", "any": "或签（一人同意即可）",
               "sequential": "依次审批", "quorum": "按人数/比例通过"}


@dataclass(frozen=True, slots=True)
class BranchCheck:
    name: str
    taken: bool
    condition: str
    why: str  # "预算金额 = 200000，满足 大于 50000" / "不满足"


@dataclass(frozen=True, slots=True)
class SimulatedStep:
    node_id: str
    node_name: str
    kind: str
    kind_label: str
    mode_label: str = ""
    people: tuple[str, ...] = ()  # "发起人的直属上级：李强"
    skipped: tuple[str, ...] = ()
    note: str = ""
    blocked: str = ""
    branch_taken: str = ""
    branch_reason: str = ""
    branches: tuple[BranchCheck, ...] = ()
    lane: str = ""

    def to_dict(self) -> dict[str, JsonValue]:
        return {"node_id": self.node_id, "node_name": self.node_name, "kind": self.kind,
                "kind_label": self.kind_label, "mode": self.mode_label,
                "people": list(self.people), "skipped": list(self.skipped), "note": self.note,
                "blocked": self.blocked, "branch_taken": self.branch_taken,
                "branch_reason": self.branch_reason, "lane": self.lane,
                "branches": [{"name": b.name, "taken": b.taken, "condition": b.condition,
                              "why": b.why} for b in self.branches]}


@dataclass(frozen=True, slots=True)
class Simulation:
    initiator_id: int
    initiator_name: str
    steps: tuple[SimulatedStep, ...] = ()
    error: str = ""

    @property
    def blocked(self) -> bool:
        return bool(self.error) or any(step.blocked for step in self.steps)

    def to_dict(self) -> dict[str, JsonValue]:
        return {"initiator_id": self.initiator_id, "initiator_name": self.initiator_name,
                "error": self.error, "blocked": self.blocked,
                "steps": [step.to_dict() for step in self.steps]}


def simulate(definition: Definition, *, schema: Schema, directory: Directory, initiator_id: int,
             form: Mapping[str, object],
             chosen_approvers: Mapping[str, Sequence[int]] | None = None) -> Simulation:
    """Predict the route for `initiator_id` with sample `form` values (never raises for routing)."""
    name = directory.name_of(initiator_id)
    try:
        route = preview_route(definition, initiator_id=initiator_id, form=form,
                              directory=directory, chosen_approvers=chosen_approvers)
    except NotAllowed as error:
        return Simulation(initiator_id, name, error=str(error))
    operands = operands_of(schema)
    explain = _Explainer(operands, directory, initiator_id, FormData.from_mapping(form))
    steps = tuple(explain.step(definition, step) for step in route)
    return Simulation(initiator_id, name, steps)


def route_node_ids(simulation: Simulation) -> list[str]:
    """Ids of the task and CC nodes on the route, in order (what an item will visit)."""
    return [step.node_id for step in simulation.steps
            if step.kind in ("approver", "handler", "cc") and not step.note.startswith("找不到")]


class _Explainer:
    def __init__(self, operands: Mapping[str, Operand], directory: Directory, initiator_id: int,
                 form: FormData) -> None:
        self.operands = operands
        self.directory = directory
        self.resolve = operand_resolver(initiator_id, form, directory)
        self.belongs = membership(directory)

    def step(self, definition: Definition, step: RouteStep) -> SimulatedStep:
        kind = step.kind.value
        base = SimulatedStep(
            node_id=step.node_id, node_name=step.node_name, kind=kind,
            kind_label=KIND_LABELS.get(kind, kind),
            mode_label=MODE_LABELS.get(step.mode.value, "") if step.mode else "",
            people=tuple(f"{a.reason}：{a.name}" for a in step.assignees),
            skipped=tuple(f"{a.name}（{a.reason}）" for a in step.skipped),
            note=step.reason if step.kind is not NodeKind.CONDITION_GROUP else "",
            blocked=step.blocked, lane=step.parallel_branch_id)
        group = definition.find(step.node_id)
        if not isinstance(group, ConditionGroup):
            return base
        checks = tuple(self.branch(branch.name, branch.condition, branch.id == step.branch_id)
                       for branch in group.branches)
        taken = next((check for check in checks if check.taken), None)
        return replace(base, branch_taken=step.branch_name,
                       branch_reason=taken.why if taken else step.reason, branches=checks)

    def branch(self, name: str, condition: Mapping[str, Json], taken: bool) -> BranchCheck:
        text = describe(condition, self.operands, self.name_for)
        if not condition:
            why = "其他分支的条件都不满足，走默认分支" if taken else "前面已有分支满足条件"
            return BranchCheck(name, taken, text, why)
        parts = []
        for leaf in leaves(condition):
            key = str(leaf.get("field"))
            operand = self.operands.get(key)
            label = operand.label if operand else key
            actual = self.actual_text(key, operand)
            holds = evaluate(leaf, self.resolve, self.belongs)
            parts.append(f"{label}为 {actual}，{'满足' if holds else '不满足'}"
                         f"“{describe(leaf, self.operands, self.name_for)}”")
        why = "；".join(parts) if parts else ("条件成立" if evaluate(
            condition, self.resolve, self.belongs) else "条件不成立")
        if taken:
            why = f"{why}，走这个分支"
        return BranchCheck(name, taken, text, why)

    def actual_text(self, key: str, operand: Operand | None) -> str:
        value = self.resolve(key)
        if value is None or value == "" or value == []:
            return "空"
        if operand is not None and operand.kind is OperandKind.DEPARTMENT and isinstance(
                value, int):
            return self.directory.department_name(value)
        if operand is not None and operand.options:
            labels = dict(operand.options)
            items = value if isinstance(value, list) else [value]
            return "、".join(labels.get(str(item), str(item)) for item in items)
        return str(value)

    def name_for(self, kind: str, value: object) -> str:
        identifier = int(str(value)) if str(value).isdigit() else None
        if identifier is None:
            return str(value)
        namer: Callable[[int], str] = (self.directory.department_name if kind == "department"
                                       else self.directory.name_of if kind == "person"
                                       else str)
        return namer(identifier)
