"""Plain builders for training rows in tests. Defaults for everything; override what matters."""

from __future__ import annotations

from typing import Any

from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services.templates import import_template
from sopflow.org.models import Company
from sopflow.training.models import Course, Question

EXPENSE_SCHEMA = {"fields": [
    {"key": "f_type", "type": "single_choice", "label": "报销类型", "required": True,
     "options": [{"value": "差旅", "label": "差旅"}, {"value": "办公", "label": "办公"}]},
    {"key": "f_amount", "type": "money", "label": "金额", "required": True, "min": "0.01"},
    {"key": "f_invoices", "type": "attachment", "label": "电子发票", "accept": ["pdf"],
     "required_when": {"field": "f_type", "op": "eq", "value": "差旅"}},
    {"key": "f_payee_name", "type": "text", "label": "收款人", "required": True},
]}


def build_template(company: Company, **overrides: Any) -> FormTemplate:
    data: dict[str, Any] = {
        "format": "sopflow.template/1", "code": "expense", "name": "费用报销", "category": "财务",
        "schema": EXPENSE_SCHEMA, "sop_instructions": "## 费用报销 SOP\n\n差旅报销必须上传电子发票。",
    } | overrides
    return import_template(actor=None, company=company, data=data)


def build_course(company: Company, *, templates: list[FormTemplate] | None = None,
                 questions: int = 20, **overrides: Any) -> Course:
    """A course with `questions` single-choice questions whose key is option "对{n}"."""
    values: dict[str, Any] = {"company": company, "title": "费用报销SOP", "pass_mark": 80,
                              "questions_per_attempt": questions, "cooldown_minutes": 30,
                              "validity_months": 12} | overrides
    course = Course.objects.create(**values)
    if templates:
        course.templates.set(templates)
    for n in range(questions):
        Question.objects.create(course=course, kind=Question.Kind.SINGLE, text=f"题目{n}",
                                options=[f"对{n}", f"错{n}a", f"错{n}b"], correct=[0],
                                explanation=f"解析{n}")
    return course


def right_answers(drawn: list[dict[str, Any]], *, wrong: int = 0) -> dict[str, list[int]]:
    """Answer sheet for an attempt's drawn snapshot: all right except the first `wrong`."""
    sheet: dict[str, list[int]] = {}
    for index, question in enumerate(drawn):
        right = question["options"].index(f"对{question['text'][2:]}")
        choice = right if index >= wrong else (right + 1) % len(question["options"])
        sheet[str(question["id"])] = [choice]
    return sheet
