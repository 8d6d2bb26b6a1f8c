"""Comparing two versions of a flow, and which running items may move to a newer version.

An item can move when every node it is active in (open tasks, counted runs, parallel joins,
timers) exists in the new version with the same type, and each join's group still has the
branches that already arrived. Moving is done all-or-nothing by `services.migrate_instances`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sopflow.workflow.engine import Definition
from sopflow.workflow.engine.nodes import ParallelGroup, kind_of
from sopflow.workflow.engine.values import JsonValue

from .editing import KIND_LABELS, walk

_STRUCTURE = frozenset({"child", "branches"})
SETTING_LABELS = {
    "name": "名称", "approver_rule": "审批人", "mode": "多人审批方式", "quorum": "通过人数",
    "policies": "处理策略", "field_permissions": "字段权限", "deadline": "处理时限",
    "require_comment_on_reject": "驳回须填意见", "require_signature_on_approve": "同意须签名",
    "allowed_actions": "可用操作", "conditions": "分支条件", "type": "类型",
    "withdraw_after_decision": "审批后可撤回", "resubmit_to": "退回后重新提交",
}


@dataclass(frozen=True, slots=True)
class NodeChange:
    node_id: str
    node_name: str
    kind_label: str
    changed: tuple[str, ...] = ()  # readable names of the settings that changed


@dataclass(frozen=True, slots=True)
class VersionDiff:
    added: tuple[NodeChange, ...] = ()
    removed: tuple[NodeChange, ...] = ()
    edited: tuple[NodeChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.edited)

    def summary(self) -> str:
        parts = [f"新增 {c.node_name}" for c in self.added]
        parts += [f"删除 {c.node_name}" for c in self.removed]
        parts += [f"修改 {c.node_name}（{'、'.join(c.changed)}）" for c in self.edited]
        return "；".join(parts) or "没有变化"

    def to_dict(self) -> dict[str, JsonValue]:
        def rows(changes: tuple[NodeChange, ...]) -> JsonValue:
            return [{"node_id": c.node_id, "node_name": c.node_name, "kind": c.kind_label,
                     "changed": list(c.changed)} for c in changes]
        return {"added": rows(self.added), "removed": rows(self.removed),
                "edited": rows(self.edited), "summary": self.summary()}


def diff(old: Definition | None, new: Definition) -> VersionDiff:
    """Nodes added, removed and edited (settings, or the conditions of a group's branches)."""
    before = _settings(old) if old is not None else {}
    after = _settings(new)
    added = tuple(_change(new, node_id) for node_id in after if node_id not in before)
    removed = tuple(_change(old, node_id) for node_id in before
                    if node_id not in after and old is not None)
    edited = []
    for node_id, settings in after.items():
        previous = before.get(node_id)
        if previous is None or previous == settings:
            continue
        keys = sorted({*previous, *settings} - {"id"},
                      key=lambda k: list(SETTING_LABELS).index(k) if k in SETTING_LABELS else 99)
        changed = tuple(SETTING_LABELS.get(k, k) for k in keys
                        if previous.get(k) != settings.get(k))
        edited.append(_change(new, node_id, changed))
    return VersionDiff(added, removed, tuple(edited))


@dataclass(frozen=True, slots=True)
class Movability:
    can_move: bool
    reason: str = ""
    nodes: tuple[str, ...] = field(default=())


def movability(state: Mapping[str, object], new: Definition) -> Movability:
    """Whether a running item (its engine state JSON) can continue on `new`, and why not."""
    active: list[tuple[str, str]] = []
    for key, kind in (("runs", "task"), ("tasks", "task"), ("timers", "task")):
        items = state.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                active.append((str(item.get("node_id")), kind))
    joins = state.get("joins")
    for join in joins if isinstance(joins, list) else []:
        if isinstance(join, Mapping):
            active.append((str(join.get("group_id")), "join"))
            group = new.find(str(join.get("group_id")))
            arrived = join.get("arrived")
            if isinstance(group, ParallelGroup) and isinstance(arrived, list) and not (
                    {str(b) for b in arrived} <= {b.id for b in group.branches}):
                return Movability(False, f"并行分支“{group.name}”的分支已变化")
    names = []
    for node_id, kind in dict.fromkeys(active):
        node = new.find(node_id)
        if node is None:
            return Movability(False, f"当前节点 {node_id} 在新版本中已删除")
        if kind == "join" and not isinstance(node, ParallelGroup):
            return Movability(False, f"节点“{node.name}”在新版本中不再是并行分支")
        if kind == "task" and kind_of(node).value not in ("approver", "handler"):
            return Movability(False, f"节点“{node.name}”在新版本中不再是审批或办理节点")
        names.append(node.name)
    return Movability(True, "", tuple(dict.fromkeys(names)))


def _settings(definition: Definition) -> dict[str, dict[str, JsonValue]]:
    """Each node's own settings by id (children left out; a group's branch conditions in)."""
    found: dict[str, dict[str, JsonValue]] = {}
    for place in walk(definition.to_dict()):
        if place.group is not None:
            continue
        settings = {k: v for k, v in place.item.items() if k not in _STRUCTURE}
        branches = place.item.get("branches")
        if isinstance(branches, list):
            settings["conditions"] = [
                {"id": b.get("id"), "name": b.get("name"), "condition": b.get("condition")}
                for b in branches if isinstance(b, dict)]
        found[str(place.item.get("id"))] = settings
    return found


def _change(definition: Definition | None, node_id: str,
            changed: tuple[str, ...] = ()) -> NodeChange:
    node = definition.find(node_id) if definition is not None else None
    if node is None:
        return NodeChange(node_id, node_id, "", changed)
    return NodeChange(node_id, node.name, KIND_LABELS.get(kind_of(node).value, ""), changed)
