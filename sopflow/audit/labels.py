"""Human words for audit rows: Chinese names of known actions and fields, and a short summary of
`changes`. Presentation helpers shared by the auditor page and the CSV export; no queries here."""

from __future__ import annotations

from typing import Any

# Known verbs. New apps add theirs here; unknown actions are shown as their dotted name.
ACTION_LABELS: dict[str, str] = {
    "accounts.": "账号",
    "accounts.session.": "登录会话",
    "accounts.session.logged_in": "登录",
    "accounts.session.logged_out": "退出登录",
    "accounts.session.login_failed": "登录失败",
    "accounts.token.": "API 令牌",
    "accounts.token.created": "创建 API 令牌",
    "accounts.token.revoked": "撤销 API 令牌",
    "accounts.password.": "密码",
    "accounts.password.changed": "修改密码",
    "accounts.password.reset": "重置密码",
    "accounts.language.changed": "切换界面语言",
    "org.": "组织",
    "org.company.": "公司",
    "org.company.created": "新建公司",
    "org.department.": "部门",
    "org.department.created": "新建部门",
    "org.department.updated": "修改部门",
    "org.department.moved": "移动部门",
    "org.department.disabled": "停用部门",
    "org.department.enabled": "启用部门",
    "org.position.": "岗位",
    "org.position.created": "新建岗位",
    "org.position.updated": "修改岗位",
    "org.employee.": "员工",
    "org.employee.created": "新建员工",
    "org.employee.updated": "修改员工",
    "org.employee.disabled": "停用员工",
    "org.employee.enabled": "启用员工",
    "org.role.": "角色",
    "org.role.assigned": "授予角色",
    "org.role.revoked": "撤销角色",
    "audit.": "审计",
    "audit.export.downloaded": "导出审计日志",
}

FIELD_LABELS: dict[str, str] = {
    "name": "名称",
    "code": "编码",
    "parent": "上级",
    "sort_order": "排序",
    "heads": "负责人",
    "is_active": "启用",
    "employee_no": "工号",
    "phone": "手机号",
    "email": "邮箱",
    "department": "部门",
    "position": "岗位",
    "manager": "直属上级",
    "title": "职务",
    "hired_on": "入职日期",
    "language": "语言",
    "role": "角色",
    "company": "公司",
    "username": "账号",
    "reason": "原因",
    "prefix": "令牌前缀",
    "expires_at": "过期时间",
    "responsibilities": "岗位职责",
    "rows": "行数",
    "filters": "筛选条件",
}

VALUE_LABELS: dict[str, str] = {
    "bad_credentials": "账号或密码错误",
    "locked_out": "账号已锁定",
}

CHANNEL_LABELS: dict[str, str] = {"web": "网页", "api": "API", "system": "系统"}

_MAX_VALUE = 60
_FIELD_ORDER = {field: position for position, field in enumerate(FIELD_LABELS)}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


def summarize_changes(changes: dict[str, Any]) -> list[tuple[str, str]]:
    """[(field label, "old → new" or "value"), ...], values shortened.

    Known fields come in FIELD_LABELS order, others alphabetically: PostgreSQL's jsonb does not
    keep the order the keys were written in.
    """
    lines: list[tuple[str, str]] = []
    for field, value in sorted((changes or {}).items(), key=_field_position):
        label = FIELD_LABELS.get(field, field)
        if isinstance(value, list) and len(value) == 2 and field not in {"heads"}:
            lines.append((label, f"{_show(value[0])} → {_show(value[1])}"))
        else:
            lines.append((label, _show(value)))
    return lines


def summary_text(changes: dict[str, Any]) -> str:
    return "；".join(f"{label}：{text}" for label, text in summarize_changes(changes))


def _field_position(item: tuple[str, Any]) -> tuple[int, str]:
    return (_FIELD_ORDER.get(item[0], len(_FIELD_ORDER)), item[0])


def _show(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        text = "、".join(_show(item) for item in value) or "（无）"
    elif isinstance(value, dict):
        text = "，".join(f"{FIELD_LABELS.get(str(k), k)}={_show(v)}" for k, v in value.items())
    else:
        text = VALUE_LABELS.get(str(value), str(value))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"
