"""The designer's own message catalogue: user-facing texts of the pure design modules, in zh-hans
and English (the same pattern as `sopflow.form_templates.schema.messages`: no Django here, so no
gettext; callers pass the user's language).

Entries are keyed by a stable name; lint entries start with their finding code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from sopflow.form_templates.schema.messages import Language, normalize_language


def is_english(language: str) -> bool:
    return normalize_language(language) is Language.EN


def message(entry: str, language: str, /, **args: object) -> str:
    """Render catalogue `entry` in `language` with `args` filled in."""
    zh, en = CATALOGUE[entry]
    return (en if is_english(language) else zh).format(**args)


def join(items: Iterable[object], language: str) -> str:
    """A human list: 「a、b、c」 in Chinese, "a, b, c" in English."""
    return (", " if is_english(language) else "、").join(str(item) for item in items)


def kind_label(kind: str, language: str) -> str:
    """Label of a node type (`approver` → 审批人 / Approver); unknown types are shown as is."""
    return message(f"kind.{kind}", language) if f"kind.{kind}" in CATALOGUE else kind


def operator_label(op: str, language: str) -> str:
    """Label of a condition operator (`gt` → 大于 / greater than); unknown ones are shown as is."""
    return message(f"op.{op}", language) if f"op.{op}" in CATALOGUE else op


CATALOGUE: Final[dict[str, tuple[str, str]]] = {
    # --- node types ---------------------------------------------------------------------------
    "kind.start": ("发起人", "Initiator"),
    "kind.approver": ("审批人", "Approver"),
    "kind.handler": ("办理人", "Handler"),
    "kind.cc": ("抄送人", "CC"),
    "kind.condition_group": ("条件分支", "Condition branches"),
    "kind.parallel_group": ("并行分支", "Parallel branches"),
    # --- condition operators ------------------------------------------------------------------
    "op.gt": ("大于", "greater than"),
    "op.ge": ("大于等于", "at least"),
    "op.lt": ("小于", "less than"),
    "op.le": ("小于等于", "at most"),
    "op.eq": ("等于", "equals"),
    "op.ne": ("不等于", "does not equal"),
    "op.between": ("介于", "between"),
    "op.in": ("属于", "is one of"),
    "op.not_in": ("不属于", "is not one of"),
    "op.contains": ("包含", "contains"),
    "op.not_contains": ("不包含", "does not contain"),
    "op.is_empty": ("为空", "is empty"),
    "op.not_empty": ("不为空", "is not empty"),
    "op.belongs_to": ("属于部门", "is in department"),
    "op.not_belongs_to": ("不属于部门", "is not in department"),
    # --- conditions -------------------------------------------------------------------------
    "operand.initiator.department": ("发起人部门", "Initiator's department"),
    "operand.initiator.position": ("发起人岗位", "Initiator's position"),
    "operand.initiator.roles": ("发起人角色", "Initiator's roles"),
    "operand.person_department": ("{label}（所在部门）", "{label} (department)"),
    "cond.otherwise": ("其他情况", "Otherwise"),
    "cond.unset": ("未设置条件", "No condition set"),
    "cond.and": (" 且 ", " and "),
    "cond.or": (" 或 ", " or "),
    "cond.not": ("非（{text}）", "not ({text})"),
    "cond.range": ("{low} 至 {high}", "{low} to {high}"),
    # --- lint ---------------------------------------------------------------------------------
    "lint.prefix": ("节点“{name}”（{id}）：{text}", "Node \"{name}\" ({id}): {text}"),
    "lint.who": ("{name}（{department}）", "{name} ({department})"),
    "lint.more": ("等 {count} 人", " and others ({count} people)"),
    "empty_branch": ("并行分支“{branch}”里没有任何节点",
                     "parallel branch \"{branch}\" has no nodes"),
    "unreachable": ("永远不会被执行：它所在的条件分支不可能被选中",
                    "never runs: the condition branch it is on can never be taken"),
    "unset_condition": ("分支“{branch}”还没有设置条件（只有最后的“其他情况”可以不设条件）",
                        "branch \"{branch}\" has no condition yet (only the last, \"otherwise\" "
                        "branch may have none)"),
    "impossible_branch": ("分支“{branch}”的条件不可能成立",
                          "the condition of branch \"{branch}\" can never be true"),
    "shadowed_branch": ("分支“{branch}”被前面的分支“{cover}”完全覆盖，永远不会被选中",
                        "branch \"{branch}\" is fully covered by the earlier branch \"{cover}\" "
                        "and will never be taken"),
    "overlapping_branches": ("分支“{first}”和“{branch}”的条件有重叠，重叠部分走“{first}”",
                             "the conditions of branches \"{first}\" and \"{branch}\" overlap; "
                             "the overlap goes to \"{first}\""),
    "unknown_field.condition": ("分支“{branch}”的条件使用了表单中不存在的字段 {key}",
                                "the condition of branch \"{branch}\" uses field {key}, which "
                                "is not on the form"),
    "wrong_type.operator": ("分支“{branch}”的条件：字段“{label}”不能使用“{op}”",
                            "condition of branch \"{branch}\": field \"{label}\" cannot use "
                            "\"{op}\""),
    "wrong_type.value": ("分支“{branch}”的条件：字段“{label}”的比较值 {value} 类型不对",
                         "condition of branch \"{branch}\": the value {value} does not fit "
                         "field \"{label}\""),
    "disabled_approver": ("会分配给已停用的员工 {names}（会被跳过）",
                          "assigns to deactivated employees {names} (they will be skipped)"),
    "initiator_approves": ("{who}发起时，审批人就是发起人本人；可将“审批人是发起人时”"
                           "改为自动通过或转交直属上级",
                           "for items from {who}, the approver is the initiator; set \"When the "
                           "approver is the initiator\" to auto-approve or to the direct "
                           "manager"),
    "single_all_sign": ("设置为会签，但任何发起人都只会有一位审批人",
                        "set to all-must-approve, but every initiator gets only one approver"),
    "nobody.cc": ("{who}发起时找不到抄送人", "for items from {who}, nobody is found to CC"),
    "nobody.refuse": ("{who}发起时找不到审批人，将无法提交",
                      "for items from {who}, no approver is found and the item cannot "
                      "be submitted"),
    "nobody.auto_approve": ("{who}发起时找不到审批人，将自动通过",
                            "for items from {who}, no approver is found; the step is "
                            "auto-approved"),
    "nobody.to_process_admin": ("{who}发起时找不到审批人，将转交流程管理员",
                                "for items from {who}, no approver is found; the step goes "
                                "to the process administrator"),
    "unknown_field.rule": ("审批人取自表单字段 {key}，但表单中没有这个字段",
                           "approvers come from form field {key}, but the form has no such "
                           "field"),
    "wrong_type.rule_person": ("审批人取自字段“{label}”，但它不是人员字段",
                               "approvers come from field \"{label}\", which is not a person "
                               "field"),
    "wrong_type.rule_department": ("审批人取自字段“{label}”，但它不是部门字段",
                                   "approvers come from field \"{label}\", which is not a "
                                   "department field"),
    "disabled_approver.chosen": ("自选范围中包含已停用的员工 {names}",
                                 "the choice list includes deactivated employees {names}"),
    "unknown_field.permission": ("字段权限中的字段 {key} 在表单中不存在",
                                 "field {key} in the field permissions is not on the form"),
    "deadline_without_escalation": ("设置了处理时限，但没有设置超时后的处理（提醒、转交或自动处理）",
                                    "has a deadline but nothing happens when it passes (add a "
                                    "reminder, a transfer or an automatic decision)"),
    "deadline_without_escalation.inactive": (
        "超时转交给 {name}，但该员工不存在或已停用",
        "overdue items go to {name}, who does not exist or is deactivated"),
    "deadline_without_escalation.transfer_manager": (
        "超时后要转交审批人的上级，但 {names} 没有上级",
        "overdue items go to the approver's manager, but {names} have no manager"),
    "deadline_without_escalation.notify_manager": (
        "超时后要通知审批人的上级，但 {names} 没有上级",
        "the approver's manager is notified when overdue, but {names} have no manager"),
}
