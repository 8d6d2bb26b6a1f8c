"""The demo company plays S5: 黄晓 (E043) meets the gate, 张敏 (E041) can file 费用报销."""

from __future__ import annotations

import pytest

from sopflow.core.errors import Forbidden
from sopflow.demo.seed import seed_demo
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services.submissions import start_submission
from sopflow.org.models import User
from sopflow.training.models import Course, OnboardingProgramme, RetrainingRule


@pytest.mark.django_db
def test_demo_gates_expense_on_the_course_and_grants_the_s1_filer_a_certificate() -> None:
    company = seed_demo()
    expense = FormTemplate.objects.get(company=company, code="expense")
    course = Course.objects.get(title="费用报销SOP")

    with pytest.raises(Forbidden) as refused:
        start_submission(actor=User.objects.get(employee_no="E043"), template_id=expense.pk)
    draft = start_submission(actor=User.objects.get(employee_no="E041"), template_id=expense.pk)

    assert refused.value.message == "提交“费用报销”前需要通过课程《费用报销SOP》的考试"
    assert draft.template == expense
    assert (course.is_gate, course.pass_mark, course.questions.count()) == (True, 80, 20)
    assert course.lessons.count() == 2
    assert course.practice_template == expense
    programme = OnboardingProgramme.objects.get(position__code="sales-rep")
    assert [i.course.title for i in programme.items.all()] == ["出差日报SOP", "费用报销SOP"]
    assert RetrainingRule.objects.get().reason_category == "电子发票未上传"
