"""Tree operations on a draft definition (engine JSON): insert, delete, branches, settings.

Every operation copies the draft, changes the copy, validates it with `Definition.from_dict`
and returns the normalised JSON, or raises `EditError` with a Chinese message naming the node.
A condition branch whose condition is not set yet holds `UNSET_CONDITION` (never true), so a
draft is always a valid engine definition; the lint refuses to publish it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from sopflow.workflow.engine import Definition, DefinitionError
from sopflow.workflow.engine.values import JsonValue

type JsonDict = dict[str, JsonValue]
type NewKind = Literal["approver", "handler", "cc", "condition_group", "parallel_group"]

UNSET_CONDITION: Final[JsonDict] = {"not": {}}
NEW_KINDS: Final[tuple[NewKind, ...]] = (
    "approver", "handler", "cc", "condition_group", "parallel_group")
KIND_LABELS: Final[Mapping[str, str]] = {
    "start": "发起人", "approver": "审批人", "handler": "办理人", "cc": "抄送人",
    "condition_group": "条件分支", "parallel_group": "并行分支",
}
SETTING_KEYS_FIXED: Final = frozenset({"type", "id", "child", "branches"})


class EditError(ValueError):
    """An edit that cannot be applied; the message is Chinese and names the node."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a node or branch sits: its dict, the dict holding the pointer to it, and its group."""

    item: JsonDict
    holder: JsonDict | None  # the node or branch whose `child` is `item` (None for branches)
    group: JsonDict | None  # for a branch: its group


def empty_definition() -> JsonDict:
    """A flow with only the initiator: what a new template's designer starts from."""
    return Definition.from_dict({"type": "start", "id": "start", "name": "发起人"}).to_dict()


def normalise(draft: Mapping[str, object]) -> JsonDict:
    """Validate and return the normalised JSON; raises EditError naming the node."""
    try:
        return Definition.from_dict(draft).to_dict()
    except DefinitionError as error:
        raise EditError(str(error)) from None


def insert_node(draft: Mapping[str, object], *, kind: str, after: str = "",
                into_branch: str = "") -> JsonDict:
    """Insert a new node of `kind` right after node `after` or at the top of branch `into_branch`.

    After a branch group means after the whole group (where its branches meet again).
    """
    if kind not in NEW_KINDS:
        raise EditError(f"不能插入类型为 {kind!r} 的节点")
    data = _copy(draft)
    if bool(after) == bool(into_branch):
        raise EditError("请指定插入位置")
    holder = _find(data, into_branch or after)
    if holder is None:
        raise EditError(f"找不到插入位置 {into_branch or after}")
    if into_branch and (holder.group is None):
        raise EditError(f"{_label(holder.item)}不是分支")
    if after and holder.group is not None:
        raise EditError(f"{_label(holder.item)}是分支，请使用分支内的“+”")
    node = new_node(kind, _used_ids(data))  # type: ignore[arg-type, unused-ignore]  # checked against NEW_KINDS
    node["child"] = holder.item.get("child")
    holder.item["child"] = node
    return normalise(data)


def delete_node(draft: Mapping[str, object], node_id: str) -> JsonDict:
    """Remove a node (a group goes with all its branches); what followed it moves up."""
    data = _copy(draft)
    place = _find(data, node_id)
    if place is None or place.group is not None:
        raise EditError(f"找不到节点 {node_id}")
    if place.item.get("type") == "start":
        raise EditError(f"{_label(place.item)}：发起人节点不能删除")
    assert place.holder is not None  # noqa: S101  # only the root has no holder
    place.holder["child"] = place.item.get("child")
    return normalise(data)


def add_branch(draft: Mapping[str, object], group_id: str) -> JsonDict:
    """Add a branch: before the default branch of a condition group, at the end of a parallel one."""
    data = _copy(draft)
    place = _find(data, group_id)
    if place is None or place.item.get("type") not in ("condition_group", "parallel_group"):
        raise EditError(f"找不到分支组 {group_id}")
    branches = _branches(place.item)
    used = _used_ids(data)
    if place.item["type"] == "condition_group":
        number = len(branches)
        branch: JsonDict = {"id": _fresh_id("branch", used), "name": f"条件{number}",
                            "condition": copy.deepcopy(UNSET_CONDITION), "child": None}
        branches.insert(len(branches) - 1, branch)
    else:
        branches.append({"id": _fresh_id("lane", used), "name": f"分支{len(branches) + 1}",
                         "child": None})
    return normalise(data)


def delete_branch(draft: Mapping[str, object], branch_id: str) -> JsonDict:
    """Remove a branch and its nodes. The default branch stays; a group keeps two branches."""
    data = _copy(draft)
    place = _find(data, branch_id)
    if place is None or place.group is None:
        raise EditError(f"找不到分支 {branch_id}")
    group = place.group
    branches = _branches(group)
    if group.get("type") == "condition_group" and branches[-1] is place.item:
        raise EditError(f"{_label(group)}：默认分支“{place.item.get('name')}”不能删除")
    if len(branches) <= 2:
        raise EditError(f"{_label(group)}：至少需要两个分支；不需要分支时请删除整个分支组")
    branches.remove(place.item)
    return normalise(data)


def move_branch(draft: Mapping[str, object], branch_id: str, offset: int) -> JsonDict:
    """Move a branch earlier (-1) or later (+1). The default branch always stays last."""
    data = _copy(draft)
    place = _find(data, branch_id)
    if place is None or place.group is None:
        raise EditError(f"找不到分支 {branch_id}")
    branches = _branches(place.group)
    index = branches.index(place.item)
    target = index + offset
    last_movable = len(branches) - (2 if place.group.get("type") == "condition_group" else 1)
    if place.group.get("type") == "condition_group" and index == len(branches) - 1:
        raise EditError(f"{_label(place.group)}：默认分支“{place.item.get('name')}”必须在最后")
    if not 0 <= target <= last_movable:
        raise EditError(f"{_label(place.group)}：分支“{place.item.get('name')}”不能再移动了")
    branches.insert(target, branches.pop(index))
    return normalise(data)


def update_node(draft: Mapping[str, object], node_id: str,
                settings: Mapping[str, JsonValue]) -> JsonDict:
    """Replace a node's settings (name, approver rule, mode, policies …); structure is kept."""
    data = _copy(draft)
    place = _find(data, node_id)
    if place is None or place.group is not None:
        raise EditError(f"找不到节点 {node_id}")
    for key, value in settings.items():
        if key in SETTING_KEYS_FIXED:
            continue
        place.item[key] = copy.deepcopy(value)
    if not str(place.item.get("name") or "").strip():
        raise EditError(f"{_label(place.item)}：名称不能为空")
    return normalise(data)


def update_branch(draft: Mapping[str, object], branch_id: str, *, name: str,
                  condition: Mapping[str, JsonValue] | None = None) -> JsonDict:
    """Rename a branch and (for a non-default condition branch) set its condition."""
    data = _copy(draft)
    place = _find(data, branch_id)
    if place is None or place.group is None:
        raise EditError(f"找不到分支 {branch_id}")
    if not name.strip():
        raise EditError(f"{_label(place.group)}：分支名称不能为空")
    place.item["name"] = name.strip()
    if condition is not None and place.group.get("type") == "condition_group":
        if _branches(place.group)[-1] is place.item:
            if condition:
                raise EditError(f"{_label(place.group)}：默认分支“{name}”不能设置条件")
        else:
            place.item["condition"] = dict(condition) or copy.deepcopy(UNSET_CONDITION)
    return normalise(data)


def new_node(kind: NewKind, used: set[str]) -> JsonDict:
    """A node of `kind` with sensible defaults (the initiator's manager approves, and so on)."""
    node_id = _fresh_id(kind.split("_")[0], used)
    match kind:
        case "approver":
            return {"type": "approver", "id": node_id, "name": "审批人",
                    "approver_rule": {"type": "manager", "level": 1}, "child": None}
        case "handler":
            return {"type": "handler", "id": node_id, "name": "办理人",
                    "approver_rule": {"type": "manager", "level": 1}, "child": None}
        case "cc":
            return {"type": "cc", "id": node_id, "name": "抄送人",
                    "approver_rule": {"type": "manager", "level": 1}, "child": None}
        case "condition_group":
            return {"type": "condition_group", "id": node_id, "name": "条件分支", "branches": [
                {"id": _fresh_id("branch", used), "name": "条件1",
                 "condition": copy.deepcopy(UNSET_CONDITION), "child": None},
                {"id": _fresh_id("branch", used), "name": "其他情况", "condition": {},
                 "child": None}], "child": None}
        case "parallel_group":
            return {"type": "parallel_group", "id": node_id, "name": "并行分支", "branches": [
                {"id": _fresh_id("lane", used), "name": "分支1", "child": None},
                {"id": _fresh_id("lane", used), "name": "分支2", "child": None}], "child": None}


def is_unset(condition: object) -> bool:
    return condition == UNSET_CONDITION


def walk(data: JsonDict) -> Iterator[Place]:
    """Every node and branch of the draft, in pre-order (branches right after their group)."""
    yield from _walk(data, None)


def find(data: JsonDict, item_id: str) -> Place | None:
    return _find(data, item_id)


def node_label(item: Mapping[str, object]) -> str:
    return _label(item)


# --- helpers ------------------------------------------------------------------------------------

def _copy(draft: Mapping[str, object]) -> JsonDict:
    data = copy.deepcopy(dict(draft))
    if data.get("type") != "start":
        raise EditError("流程定义的根节点必须是发起人节点")
    return data  # type: ignore[return-value]  # plain JSON from the store or the API


def _walk(item: JsonDict, holder: JsonDict | None) -> Iterator[Place]:
    yield Place(item, holder, None)
    for branch in _branches(item):
        yield Place(branch, None, item)
        child = branch.get("child")
        if isinstance(child, dict):
            yield from _walk(child, branch)
    child = item.get("child")
    if isinstance(child, dict):
        yield from _walk(child, item)


def _find(data: JsonDict, item_id: str) -> Place | None:
    return next((place for place in _walk(data, None) if place.item.get("id") == item_id), None)


def _branches(item: Mapping[str, object]) -> list[JsonDict]:
    """The group's own branch list (mutating it edits the group); [] for other nodes."""
    branches = item.get("branches")
    if not isinstance(branches, list) or not all(isinstance(b, dict) for b in branches):
        return []
    return branches  # type: ignore[return-value, unused-ignore]  # checked above: a list of JSON objects


def _used_ids(data: JsonDict) -> set[str]:
    return {str(place.item.get("id")) for place in _walk(data, None)}


def _fresh_id(prefix: str, used: set[str]) -> str:
    number = 1
    while f"{prefix}_{number}" in used:
        number += 1
    node_id = f"{prefix}_{number}"
    used.add(node_id)
    return node_id


def _label(item: Mapping[str, object]) -> str:
    return f"节点“{item.get('name') or item.get('id')}”（{item.get('id')}）"
