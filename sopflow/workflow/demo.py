"""Demo data for deadlines and reminders (called by `sopflow.demo.seed` for `make run`).

Three 加急 费用报销 items (24 clock hours at 部门负责人审核, so the marks do not depend on the
weekday or the holiday calendar), made through the real services with the clock set back:

- 张敏's claim, overdue for 李强 for 2 hours; its at-deadline reminder was sent then
  ("审批已超时" in 李强's bell, the item marked 已超时). His manager hears in 22 hours.
- 张敏's second claim, due in 3 hours for 李强 (marked 剩余 … 工作小时 in amber).
- 赵磊's claim, which 李强 transferred to 张敏 to check; it falls due 90 seconds after seeding,
  so the scheduler that `make run` starts tells 张敏 "审批已超时" within the first two minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services.submissions import start_submission, submit_submission
from sopflow.org.models import Company, User
from sopflow.scheduling.services import fire_due_timers

from . import services
from .models import ApprovalTask, Instance

URGENT_HOURS = 24  # the built-in expense flow's `urgent_hours` at 部门负责人审核
OVERDUE_BY = timedelta(hours=2)
DUE_SOON_IN = timedelta(hours=3)
FIRES_IN = timedelta(seconds=90)


def _claim(item: str, amount: str, payee: str) -> dict[str, Any]:
    return {"f_type": "业务", "f_items": [{"f_item": item, "f_amount": amount, "f_note": ""}],
            "f_invoices": [], "f_payee_name": payee,
            "f_payee_account": "招商银行 6225 8800 1234 5678"}


def _submit(author: User, template: FormTemplate, values: dict[str, Any]) -> Instance:
    draft = start_submission(actor=author, template_id=template.pk)
    submit_submission(actor=author, submission_id=draft.pk, values=values, urgent=True)
    return Instance.objects.get(submission_id=draft.pk)


def seed_deadlines(company: Company, *, now: datetime | None = None) -> list[Instance]:
    """The three items above, relative to `now` (default `clock.now()`); nothing when the
    company already has approval items or no 费用报销 template. Returns [overdue, due soon,
    firing soon]."""
    expense = FormTemplate.objects.filter(company=company, code="expense").first()
    if expense is None or Instance.objects.filter(company=company).exists():
        return []
    now = now or clock.now()
    people = {u.employee_no: u for u in User.objects.filter(
        company=company, employee_no__in=["E040", "E041", "E042"])}
    li, zhang, zhao = people["E040"], people["E041"], people["E042"]
    urgent = timedelta(hours=URGENT_HOURS)
    # In time order, so every row's timestamps read naturally.
    with clock.frozen(now - urgent - OVERDUE_BY):
        overdue = _submit(zhang, expense, _claim("客户答谢会场地费", "3800.00", zhang.name))
    with clock.frozen(now - urgent + FIRES_IN - timedelta(minutes=30)):
        firing = _submit(zhao, expense, _claim("展会物料印刷", "1260.00", zhao.name))
    with clock.frozen(now - urgent + FIRES_IN):
        task = ApprovalTask.objects.get(instance=firing, assignee=li, status="open")
        services.transfer(actor=li, task_id=task.pk, to_user_id=zhang.pk,
                          comment="物料是你对接的，请先核对数量和单价")
    with clock.frozen(now - urgent + DUE_SOON_IN):
        due_soon = _submit(zhang, expense, _claim("市场部快递费", "86.00", zhang.name))
    # The overdue claim's reminder went out when it fell due, through the scheduler's path.
    moment = now - OVERDUE_BY
    with clock.frozen(moment):
        fire_due_timers(now=moment)
    return [overdue, due_soon, firing]
