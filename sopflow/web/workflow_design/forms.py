"""Turning the designer's drawer forms (POST data) into engine JSON, and back for display.

No validation of meaning happens here: `editing` validates every change and names the node.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from sopflow.workflow.design.conditions import NO_VALUE_OPS, Operand, OperandKind, build_and

RULE_TYPES = [
    ("manager", _("发起人的上级")), ("manager_chain", _("连续多级上级")),
    ("department_head", _("部门负责人")), ("named_department_head", _("指定部门的负责人")),
    ("users", _("指定成员")), ("role", _("角色")), ("position", _("岗位")),
    ("form_users", _("表单中的人员")), ("form_department_head", _("表单中部门的负责人")),
    ("chosen_by_initiator", _("发起人自选")), ("chosen_by_previous", _("上一步审批人指定")),
    ("initiator", _("发起人本人")),
]
MODES = [("all", _("会签（需所有人同意）")), ("any", _("或签（一人同意即可）")),
         ("sequential", _("依次审批")), ("quorum", _("按人数/比例通过"))]
NOBODY = [("to_process_admin", _("转交流程管理员")), ("auto_approve", _("自动通过")),
          ("refuse", _("不允许提交"))]
INITIATOR = [("self", _("由发起人自己审批")), ("auto_approve", _("自动通过")),
             ("to_manager", _("转交发起人的直属上级"))]
SAME_APPROVER = [("never", _("不自动通过")), ("auto_approve_all", _("此前审批过则自动通过")),
                 ("auto_approve_consecutive", _("与上一节点相同则自动通过"))]
ACTIONS = [("approve", _("同意")), ("reject", _("驳回")), ("return", _("退回")), ("transfer", _("转交")),
           ("add_signer", _("加签")), ("remove_signer", _("减签")), ("complete", _("办理完成"))]
ROLE_SCOPES = [("company", _("本公司")), ("department", _("覆盖发起人部门")), ("all", _("全部"))]
ACCESS = [("read", _("只读")), ("edit", _("可编辑")), ("hidden", _("隐藏"))]
CHOOSE_FROM = [("everyone", _("全公司")), ("list", _("下面选择的成员")), ("role", _("某个角色的成员"))]
MODE_SHORT = {"all": _("会签"), "any": _("或签"), "sequential": _("依次"),
              "quorum": _("按人")}  # the mode in a node card's one-line summary
# Whom an overdue task's escalation notifies (engine `NotifyTarget`s; "users" = `user_ids`).
ESCALATION_TARGETS = [("manager", _("审批人的上级")), ("department_head", _("部门负责人")),
                      ("users", _("指定人员"))]
TASK_ACCESS_DEFAULT = "read"  # approvers see the form; edit/hidden are the exceptions
START_ACCESS_DEFAULT = "edit"  # the initiator fills the form; read/hidden are the exceptions


def rule_from_post(data: QueryDict) -> dict[str, Any]:
    """The approver rule chosen in the drawer, with only its type's parameters."""
    rule_type = data.get("rule_type") or "manager"
    rule: dict[str, Any] = {"type": rule_type}
    match rule_type:
        case "users":
            rule["user_ids"] = _ints(data.getlist("user_ids"))
        case "role":
            rule |= {"role": data.get("role", ""), "role_name": data.get("role_name", ""),
                     "scope": data.get("role_scope") or "company"}
        case "position":
            rule |= {"position_id": _int(data.get("position_id")),
                     "position_name": data.get("position_name", "")}
        case "manager" | "department_head":
            rule["level"] = _int(data.get("level")) if data.get("level") else (
                1 if rule_type == "manager" else 0)
        case "manager_chain":
            rule |= {"up_to_level": _int(data.get("up_to_level")),
                     "up_to_role": data.get("up_to_role", "")}
            if not rule["up_to_level"] and not rule["up_to_role"]:
                rule["up_to_level"] = 2
        case "named_department_head":
            rule["department_id"] = _int(data.get("department_id"))
        case "form_users" | "form_department_head":
            rule["field"] = data.get("rule_field", "")
        case "chosen_by_initiator":
            choose_from = data.get("choose_from") or "everyone"
            rule |= {"from": choose_from, "multiple": data.get("multiple") == "on"}
            if choose_from == "list":
                rule["user_ids"] = _ints(data.getlist("user_ids"))
            elif choose_from == "role":
                rule |= {"role": data.get("role", ""), "role_name": data.get("role_name", ""),
                         "scope": data.get("role_scope") or "company"}
    return rule


def node_settings_from_post(data: QueryDict, node: dict[str, Any],
                            field_keys: list[str]) -> dict[str, Any]:
    """Settings of a task, CC, group or start node from its drawer form."""
    settings: dict[str, Any] = {"name": (data.get("name") or "").strip()}
    kind = node.get("type")
    if kind == "start":
        settings["withdraw_after_decision"] = data.get("withdraw_after_decision") == "on"
        settings["resubmit_to"] = ("start" if data.get("resubmit_to") == "start"
                                   else "returner")
        settings["field_permissions"] = _permissions(data, field_keys, START_ACCESS_DEFAULT)
        return settings
    if kind in ("cc", "approver", "handler"):
        settings["approver_rule"] = rule_from_post(data)
    if kind not in ("approver", "handler"):
        return settings
    mode = data.get("mode") or "all"
    settings |= {
        "mode": mode,
        "quorum": {"min_count": _int(data.get("min_count")) if mode == "quorum" else None,
                   "min_percent": _int(data.get("min_percent")) if mode == "quorum" else None},
        "policies": {"nobody": data.get("nobody") or "to_process_admin",
                     "initiator": data.get("initiator") or "self",
                     "same_approver": data.get("same_approver") or "never"},
        "field_permissions": _permissions(data, field_keys, TASK_ACCESS_DEFAULT),
        "require_comment_on_reject": data.get("require_comment_on_reject") == "on",
        "require_signature_on_approve": data.get("require_signature_on_approve") == "on",
        "allowed_actions": data.getlist("allowed_actions"),
        "deadline": deadline_from_post(data),
    }
    return settings


def deadline_from_post(data: QueryDict) -> dict[str, Any] | None:
    if data.get("deadline_on") != "on":
        return None
    steps: list[dict[str, Any]] = []
    if _int(data.get("remind_before")):
        steps.append({"after_hours": -(_int(data.get("remind_before")) or 0),
                      "action": "notify", "notify": ["assignee"]})
    if data.get("remind_assignee") == "on":
        steps.append({"after_hours": 0, "action": "notify", "notify": ["assignee"]})
    if data.get("notify_manager_after"):
        # Whom the escalation tells: the assignee's manager, the department head, named people
        # (the manager when nothing is ticked, as before the choice existed).
        user_ids = _ints(data.getlist("notify_user_ids"))
        targets = [t for t, _label in ESCALATION_TARGETS if t in data.getlist("notify_targets")
                   or (t == "users" and user_ids)] or ["manager"]
        manager: dict[str, Any] = {"after_hours": _int(data.get("notify_manager_after")) or 0,
                                   "action": "notify", "notify": targets}
        if "users" in targets:
            manager["user_ids"] = user_ids
        if _int(data.get("manager_repeats")) and _int(data.get("manager_repeat_hours")):
            manager |= {"max_repeats": _int(data.get("manager_repeats")),
                        "repeat_every_hours": _int(data.get("manager_repeat_hours"))}
        steps.append(manager)
    if data.get("escalate_action"):
        steps.append({"after_hours": _int(data.get("escalate_after")) or 0,
                      "action": data.get("escalate_action"),
                      "to_user_id": _int(data.get("escalate_to"))})
    steps.sort(key=lambda step: step["after_hours"])
    deadline = {"working_days": _int(data.get("working_days")), "hours": _int(data.get("hours")),
                "urgent_hours": _int(data.get("urgent_hours")), "on_due": steps}
    if _int(data.get("working_hours")):
        deadline["working_hours"] = _int(data.get("working_hours"))
    return deadline


def deadline_for_form(deadline: dict[str, Any] | None) -> dict[str, Any]:
    """The drawer's deadline inputs for a stored deadline."""
    if not deadline:
        return {"on": False}
    found: dict[str, Any] = {"on": True, **{k: deadline.get(k) for k in (
        "working_days", "hours", "working_hours", "urgent_hours")}}
    for step in deadline.get("on_due") or []:
        if step.get("action") == "notify" and "assignee" in (step.get("notify") or []):
            if (step.get("after_hours") or 0) < 0:
                found["remind_before"] = -step["after_hours"]
            else:
                found["remind_assignee"] = True
        elif step.get("action") == "notify":
            found |= {"notify_manager_after": step.get("after_hours"),
                      "notify_targets": list(step.get("notify") or []),
                      "notify_user_ids": list(step.get("user_ids") or []),
                      "manager_repeats": step.get("max_repeats"),
                      "manager_repeat_hours": step.get("repeat_every_hours")}
        else:
            found |= {"escalate_action": step.get("action"),
                      "escalate_after": step.get("after_hours"),
                      "escalate_to": step.get("to_user_id")}
    return found


def rows_from_post(data: QueryDict) -> list[dict[str, Any]]:
    """The condition rows (field / operator / value) as typed, including incomplete ones."""
    rows = []
    for index in range(_int(data.get("rows")) or 0):
        if data.get(f"row-{index}-remove"):
            continue
        rows.append({"field": data.get(f"row-{index}-field", ""),
                     "op": data.get(f"row-{index}-op", ""),
                     "values": data.getlist(f"row-{index}-value")})
    if data.get("add_row"):
        rows.append({"field": "", "op": "", "values": []})
    return rows


def condition_from_rows(rows: list[dict[str, Any]],
                        operands: dict[str, Operand]) -> dict[str, Any]:
    """AND of the complete rows, values typed for their operand."""
    leaves: list[dict[str, Any]] = []
    for row in rows:
        operand = operands.get(row["field"])
        if operand is None or not row["op"]:
            continue
        leaf: dict[str, Any] = {"field": operand.key, "op": row["op"]}
        if row["op"] not in NO_VALUE_OPS:
            leaf["value"] = _typed(operand, row["op"], [v for v in row["values"] if v != ""])
        leaves.append(leaf)
    return build_and(leaves)


def rows_of(condition: dict[str, Any]) -> list[dict[str, Any]]:
    from sopflow.workflow.design.conditions import leaves

    rows = []
    for leaf in leaves(condition):
        value = leaf.get("value")
        values = value if isinstance(value, list) else ([] if value is None else [value])
        rows.append({"field": leaf.get("field"), "op": leaf.get("op"),
                     "values": [str(v) for v in values]})
    return rows


def _typed(operand: Operand, op: str, values: list[str]) -> Any:
    if operand.kind in (OperandKind.DEPARTMENT, OperandKind.PERSON, OperandKind.POSITION):
        return _ints(values)
    if op == "between":
        return values[:2]
    if operand.kind in (OperandKind.CHOICE, OperandKind.ROLES) or op in ("in", "not_in"):
        return values
    return values[0] if values else ""


def _permissions(data: QueryDict, field_keys: list[str], default: str) -> dict[str, str]:
    """The field permission table: only the fields that differ from the node's default."""
    chosen = {key: data.get(f"perm_{key}") or default for key in field_keys}
    return {key: access for key, access in chosen.items() if access != default}


def _int(raw: Any) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def _ints(raw: list[str]) -> list[int]:
    return [number for number in (_int(item) for item in raw) if number is not None]
