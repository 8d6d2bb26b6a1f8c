"""A small org chart (FakeDirectory), a form schema and the S1/S2/S3/S8 flows used by the tests."""

from __future__ import annotations

import copy
from typing import Any

from sopflow.form_templates.schema.fields import Schema
from sopflow.workflow.engine.testing import Department, FakeDirectory, Person

CEO, VP, HEAD, ALICE, CAROL, FRANK, GONE, HR, IT_HEAD, IT_TECH, ADMIN = range(1, 12)
COMPANY, MARKETING, FINANCE, HR_DEPT, IT = 100, 101, 102, 103, 104


def org() -> FakeDirectory:
    """总经理 王总 → 分管领导 赵副总 → 市场部负责人 李强 → 张敏; 财务 钱芳 (+ 停用的 孙离)."""
    directory = FakeDirectory(admins=[ADMIN])
    directory.add_department(Department(COMPANY, "华启科技", None, [CEO]))
    directory.add_department(Department(MARKETING, "市场部", COMPANY, [HEAD]))
    directory.add_department(Department(FINANCE, "财务部", COMPANY, [CAROL]))
    directory.add_department(Department(HR_DEPT, "人事部", COMPANY, [HR]))
    directory.add_department(Department(IT, "信息部", COMPANY, [IT_HEAD]))
    for person in (
        Person(CEO, "王总", COMPANY, None, roles={"ceo"}),
        Person(VP, "赵副总", COMPANY, CEO),
        Person(HEAD, "李强", MARKETING, VP),
        Person(ALICE, "张敏", MARKETING, HEAD, position_id=7),
        Person(CAROL, "钱芳", FINANCE, VP, roles={"finance"}),
        Person(FRANK, "周凡", FINANCE, CAROL),
        Person(GONE, "孙离", FINANCE, CAROL, roles={"finance"}, is_active=False),
        Person(HR, "吴红", HR_DEPT, CEO, roles={"hr"}),
        Person(IT_HEAD, "郑工", IT, CEO),
        Person(IT_TECH, "冯修", IT, IT_HEAD, roles={"it_repair"}),
        Person(ADMIN, "苏畅", HR_DEPT, HR, roles={"process_admin"}),
    ):
        directory.add_person(person)
    return directory


def active_people(directory: FakeDirectory) -> list[int]:
    return sorted(p.id for p in directory.people.values() if p.is_active)


SCHEMA = Schema.from_dict({"fields": [
    {"key": "f_title", "type": "text", "label": "活动名称"},
    {"key": "f_budget", "type": "money", "label": "预算金额"},
    {"key": "f_kind", "type": "single_choice", "label": "活动类型",
     "options": [{"value": "online", "label": "线上"}, {"value": "offline", "label": "线下"}]},
    {"key": "f_owner", "type": "person", "label": "负责人"},
    {"key": "f_dept", "type": "department", "label": "承办部门"},
    {"key": "f_repairer", "type": "person", "label": "维修人员"},
]})

DEADLINE = {"working_days": 2, "urgent_hours": 24, "on_due": [
    {"after_hours": 0, "action": "notify", "notify": ["assignee"]},
    {"after_hours": 24, "action": "notify", "notify": ["manager"]}]}


def approver(node_id: str, name: str, rule: dict[str, Any], child: Any = None,
             **extra: Any) -> dict[str, Any]:
    return {"type": "approver", "id": node_id, "name": name, "approver_rule": rule,
            "child": child, **extra}


def s2_flow() -> dict[str, Any]:
    """部门负责人 → 分管领导 → (预算 > 5万: 财务会签) → 抄送人事."""
    finance = approver("finance", "财务会签", {"type": "role", "role": "finance",
                                            "role_name": "财务", "scope": "company"},
                       mode="all", deadline=copy.deepcopy(DEADLINE))
    group = {"type": "condition_group", "id": "budget_rule", "name": "预算规则", "branches": [
        {"id": "over_50k", "name": "预算超过5万",
         "condition": {"field": "f_budget", "op": "gt", "value": "50000"}, "child": finance},
        {"id": "other", "name": "其他情况", "condition": {}, "child": None}],
        "child": {"type": "cc", "id": "notify_hr", "name": "抄送人事",
                  "approver_rule": {"type": "role", "role": "hr", "role_name": "人事",
                                    "scope": "all"}, "child": None}}
    vp = approver("vp", "分管领导审批", {"type": "manager", "level": 2}, group, mode="any",
                  policies={"nobody": "to_process_admin", "initiator": "to_manager",
                            "same_approver": "never"})
    head = approver("head", "部门负责人审核", {"type": "department_head", "level": 0}, vp,
                    mode="any", deadline=copy.deepcopy(DEADLINE),
                    policies={"nobody": "to_process_admin", "initiator": "to_manager",
                              "same_approver": "never"})
    return {"type": "start", "id": "start", "name": "发起人", "child": head}


def s1_flow() -> dict[str, Any]:
    finance = approver("finance", "财务审核", {"type": "role", "role": "finance",
                                            "role_name": "财务", "scope": "company"}, mode="any")
    return {"type": "start", "id": "start", "name": "发起人", "child": approver(
        "head", "部门负责人审核", {"type": "department_head", "level": 0}, finance, mode="any")}


def s3_flow() -> dict[str, Any]:
    handler = {"type": "handler", "id": "hr_file", "name": "HR 备案",
               "approver_rule": {"type": "users", "user_ids": [HR]}, "child": None,
               "allowed_actions": ["complete", "return"],
               "field_permissions": {"f_title": "read", "f_budget": "hidden"}}
    return {"type": "start", "id": "start", "name": "发起人", "child": approver(
        "manager", "部门经理审批", {"type": "manager", "level": 1}, handler)}


def s8_flow() -> dict[str, Any]:
    """CC the department head and, in parallel, the IT head; the picked repairer handles it."""
    lanes = {"type": "parallel_group", "id": "notify", "name": "通知", "branches": [
        {"id": "lane_head", "name": "部门负责人", "child": {
            "type": "cc", "id": "cc_head", "name": "抄送部门负责人",
            "approver_rule": {"type": "department_head", "level": 0}, "child": None}},
        {"id": "lane_it", "name": "信息部", "child": {
            "type": "cc", "id": "cc_it", "name": "抄送信息部",
            "approver_rule": {"type": "named_department_head", "department_id": IT},
            "child": None}}],
        "child": {"type": "handler", "id": "repair", "name": "维修处理",
                  "approver_rule": {"type": "form_users", "field": "f_repairer"},
                  "child": None}}
    return {"type": "start", "id": "start", "name": "发起人", "child": lanes}
