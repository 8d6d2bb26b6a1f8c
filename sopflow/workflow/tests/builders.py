"""Builders for workflow tests: a template with a flow, a running instance. Defaults everywhere."""

from __future__ import annotations

import copy
from typing import Any

from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.tests.builders import EXPENSE_VALUES, build_submission, build_template
from sopflow.org.models import Company, User
from sopflow.workflow.definitions import publish_definition
from sopflow.workflow.models import ApprovalTask, Instance

RETURN_REASONS = ["电子发票未上传", "发票信息有误", "其他"]
REJECT_REASONS = ["不符合报销制度", "其他"]


def approver(node_id: str, name: str, rule: dict[str, Any], *, mode: str = "any",
             child: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "approver", "id": node_id, "name": name, "approver_rule": rule,
            "mode": mode, "child": child,
            "allowed_actions": ["approve", "reject", "return", "transfer", "add_signer",
                                "remove_signer"], **extra}


def head_then_finance(finance_ids: list[int], *, mode: str = "any") -> dict[str, Any]:
    """部门负责人审核 → 财务审核 (the expense route)."""
    return {"type": "start", "id": "start", "name": "发起人", "child": approver(
        "head", "部门负责人审核", {"type": "department_head", "level": 0},
        child=approver("finance", "财务审核", {"type": "users", "user_ids": finance_ids},
                       mode=mode))}


def flow_template(company: Company, flow: dict[str, Any], *, batch: bool = True,
                  **template: Any) -> FormTemplate:
    built = build_template(company, **template)
    publish_definition(actor=None, template=built, spec={
        "flow": flow, "reject_reasons": REJECT_REASONS, "return_reasons": RETURN_REASONS,
        "batch_approve": batch})
    built.refresh_from_db()
    return built


def running_instance(initiator: User, template: FormTemplate,
                     values: dict[str, Any] | None = None) -> Instance:
    submission = build_submission(initiator, template,
                                  values=copy.deepcopy(values or EXPENSE_VALUES), submit=True)
    return Instance.objects.get(submission=submission)


def open_task(instance: Instance, user: User) -> ApprovalTask:
    return ApprovalTask.objects.get(instance=instance, assignee=user,
                                    status=ApprovalTask.Status.OPEN)
