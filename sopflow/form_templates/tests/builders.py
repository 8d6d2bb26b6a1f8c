"""Builders for templates and submissions in tests. Defaults for everything; override what matters."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from sopflow.form_templates.models import FormTemplate, Submission
from sopflow.form_templates.services import submissions as submission_services
from sopflow.form_templates.services import templates as template_services
from sopflow.org.models import Company, User

_numbers = itertools.count(1)

EXPENSE_SCHEMA: dict[str, Any] = {"fields": [
    {"key": "f_type", "type": "single_choice", "label": "报销类型", "required": True,
     "options": [{"value": "差旅", "label": "差旅"}, {"value": "办公", "label": "办公"},
                 {"value": "业务", "label": "业务"}]},
    {"key": "f_items", "type": "table", "label": "费用明细", "required": True, "min_rows": 1,
     "columns": [{"key": "f_item", "type": "text", "label": "项目", "required": True},
                 {"key": "f_amount", "type": "money", "label": "金额", "required": True,
                  "min": "0.01"}],
     "totals": ["f_amount"]},
    {"key": "f_total", "type": "formula", "label": "合计", "expression": "SUM(f_items.f_amount)",
     "result": "money"},
    {"key": "f_invoices", "type": "attachment", "label": "电子发票", "accept": ["pdf", "jpg", "png"]},
    {"key": "f_payee", "type": "text", "label": "收款账户", "required": True},
]}

EXPENSE_VALUES: dict[str, Any] = {
    "f_type": "差旅",
    "f_items": [{"f_item": "交通", "f_amount": "1200.00"}, {"f_item": "住宿", "f_amount": "2000.00"}],
    "f_payee": "招商银行 6225 8801 2345 6789",
}


def expense_schema() -> dict[str, Any]:
    return copy.deepcopy(EXPENSE_SCHEMA)


def build_template(
    company: Company, *, schema: dict[str, Any] | None = None, publish: bool = True,
    **overrides: Any,
) -> FormTemplate:
    """A template created and (by default) published by the system (actor None)."""
    n = next(_numbers)
    values: dict[str, Any] = {"name": f"费用报销{n}", "code": f"tpl-{n}",
                              "category": FormTemplate.Category.FINANCE} | overrides
    template = template_services.create_template(
        actor=None, company=company, schema=schema if schema is not None else expense_schema(),
        sop_instructions="## 报销须知\n\n- 发票须为电子发票", **values)
    if publish:
        template_services.publish_version(actor=None, template_id=template.pk, template=template)
        template.refresh_from_db()
    return template


def build_submission(author: User, template: FormTemplate, *, values: dict[str, Any] | None = None,
                     submit: bool = False) -> Submission:
    submission = submission_services.start_submission(actor=author, template_id=template.pk)
    if values is not None:
        submission = submission_services.update_draft(actor=author, submission_id=submission.pk,
                                                      values=values)
    if submit:
        submission = submission_services.submit_submission(actor=author,
                                                           submission_id=submission.pk)
    return submission
