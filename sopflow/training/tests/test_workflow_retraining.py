"""S5: three returns of 费用报销 with 电子发票未上传 within 30 days, made through the real
workflow services, re-assign the course automatically (the sweep reads workflow events)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.training.jobs import workflow_errors_sweep
from sopflow.training.models import Assignment, ErrorRecord, RuleTrigger, SweepCursor
from sopflow.training.services import retraining
from sopflow.workflow import services as workflow
from sopflow.workflow.tests.builders import (
    flow_template,
    head_then_finance,
    open_task,
    running_instance,
)

from .builders import build_course


@pytest.fixture
def routed_expense(company: Company, carol: User) -> FormTemplate:
    return flow_template(company, head_then_finance([carol.pk]))


def test_three_workflow_returns_within_30_days_reassign_the_course(
        company: Company, alice: User, bob: User, carol: User, hr_admin: User,
        routed_expense: FormTemplate) -> None:
    course = build_course(company, templates=[routed_expense], questions=3)
    retraining.save_rule(actor=hr_admin, template_id=routed_expense.pk,
                         reason_category="电子发票未上传", course_id=course.pk)

    for _ in range(3):
        instance = running_instance(alice, routed_expense)
        workflow.return_item(actor=bob, task_id=open_task(instance, bob).pk,
                             reason_category="电子发票未上传", note="发票缺购买方纳税人识别号")
        clock.advance(timedelta(days=9))
    first = workflow_errors_sweep(clock.now())
    second = workflow_errors_sweep(clock.now())

    assert (first, second) == (3, 0)
    assert ErrorRecord.objects.filter(user=alice, kind="returned").count() == 3
    assert RuleTrigger.objects.get().error_count == 3
    assignment = Assignment.objects.get()
    assert (assignment.user, assignment.course, assignment.reason) == (alice, course, "errors")
    assert Notification.objects.filter(kind="training.retraining").count() == 2
    assert SweepCursor.objects.get().position > 0


def test_two_returns_do_not_reassign(company: Company, alice: User, bob: User,
                                     hr_admin: User, routed_expense: FormTemplate) -> None:
    course = build_course(company, questions=3)
    retraining.save_rule(actor=hr_admin, template_id=routed_expense.pk,
                         reason_category="电子发票未上传", course_id=course.pk)

    for _ in range(2):
        instance = running_instance(alice, routed_expense)
        workflow.return_item(actor=bob, task_id=open_task(instance, bob).pk,
                             reason_category="电子发票未上传")
    workflow_errors_sweep(clock.now())

    assert ErrorRecord.objects.count() == 2
    assert Assignment.objects.exists() is False
