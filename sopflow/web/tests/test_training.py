"""Training pages through the client: the gate on the template page, the player, the quiz and
its feedback, the team view, the HR dashboard and the admin pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate, Submission
from sopflow.org.models import Company, User
from sopflow.training.models import Attempt, Certificate, Course, Lesson, Question
from sopflow.training.tests.builders import build_course, build_template, right_answers

GATE_MESSAGE = "提交“费用报销”前需要通过课程《费用报销SOP》的考试"


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    yield
    clock.unfreeze()


@pytest.fixture
def expense(company: Company) -> FormTemplate:
    return build_template(company)


@pytest.fixture
def course(company: Company, expense: FormTemplate) -> Course:
    course = build_course(company, templates=[expense], is_gate=True)
    Lesson.objects.create(course=course, order=1, title="SOP 说明", body="**差旅必须上传发票**")
    return course


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_template_page_and_refused_start_show_the_gate_with_a_course_link(
        alice: User, expense: FormTemplate, course: Course) -> None:
    client = _as(alice)

    started = client.post(f"/templates/{expense.pk}/start/", follow=True)

    html = started.content.decode()
    assert html.count(GATE_MESSAGE) == 1  # one alert with the link, no duplicate flash
    assert f'href="/training/courses/{course.pk}/" data-testid="gate-link"' in html
    assert Submission.objects.exists() is False


def test_player_lesson_quiz_and_feedback(alice: User, course: Course) -> None:
    client = _as(alice)

    page = client.get(f"/training/courses/{course.pk}/")
    lesson = client.get(f"/training/lessons/{course.lessons.get().pk}/")
    start = client.post(f"/training/courses/{course.pk}/quiz/")
    attempt = Attempt.objects.get()
    sheet = client.get(f"/training/attempts/{attempt.pk}/")
    answers = {f"q{key}": value for key, value in right_answers(attempt.drawn, wrong=3).items()}
    result = client.post(f"/training/attempts/{attempt.pk}/submit/", answers, follow=True)

    assert page.status_code == 200
    assert 'data-testid="quiz-start"' in page.content.decode()
    assert "<strong>差旅必须上传发票</strong>" in lesson.content.decode()
    assert start.status_code == 302
    assert sheet.content.decode().count("<fieldset") == 20
    assert 'x-data="quizSheet"' in sheet.content.decode()
    html = result.content.decode()
    assert '<div class="display-6 fw-bold text-green" data-testid="score">85</div>' in html
    assert html.count('data-testid="feedback"') == 20
    assert "解析" in html
    assert Certificate.objects.get().user == alice


def test_my_training_and_home_card_list_certificates(alice: User, course: Course) -> None:
    Certificate.objects.create(course=course, user=alice, score=90, issued_at=clock.now(),
                               expires_at=datetime(2027, 3, 2, tzinfo=UTC))
    client = _as(alice)

    mine = client.get("/training/")
    card = client.get("/training/home-card/")

    assert mine.status_code == 200
    assert "费用报销SOP" in mine.content.decode()
    assert "1 张证书" in card.content.decode()


@pytest.mark.parametrize("path", ["/training/dashboard/", "/training/manage/",
                                  "/training/manage/rules/", "/training/manage/programmes/"])
def test_admin_pages_are_for_training_managers_only(
        path: str, alice: User, hr_admin: User, course: Course) -> None:
    assert _as(alice).get(path).status_code == 403
    assert _as(hr_admin).get(path).status_code == 200


def test_course_from_template_in_one_click(hr_admin: User, expense: FormTemplate) -> None:
    response = _as(hr_admin).post("/training/manage/from-template/",
                                  {"template_id": expense.pk})

    course = Course.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/training/manage/{course.pk}/"
    assert (course.title, course.practice_template) == ("费用报销SOP", expense)
    assert course.lessons.get().body.startswith("## 费用报销 SOP")
    assert list(Question.objects.values_list("text", flat=True)) == [
        "“报销类型”是必填项，不填写就不能提交。", "“金额”是必填项，不填写就不能提交。",
        "当“报销类型”为“差旅”时，“电子发票”必须填写。", "“收款人”是必填项，不填写就不能提交。"]
    assert _as(hr_admin).get(response["Location"]).status_code == 200


def test_team_view_lists_reports(alice: User, bob: User, course: Course) -> None:
    response = _as(bob).get("/training/team/")

    assert response.status_code == 200
    assert "张敏" in response.content.decode()


def test_publishing_with_requires_retraining_reassigns_certificate_holders(
        company: Company, alice: User, expense: FormTemplate, course: Course) -> None:
    from sopflow.form_templates.services.templates import save_draft
    from sopflow.org.models import RoleAssignment
    from sopflow.org.tests.builders import build_user, grant
    from sopflow.training.models import Assignment

    designer = build_user(company, employee_no="P009", name="苏畅")
    grant(designer, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    Certificate.objects.create(course=course, user=alice, score=90, issued_at=clock.now(),
                               expires_at=datetime(2027, 3, 2, tzinfo=UTC))
    save_draft(actor=designer, template_id=expense.pk,
               schema=expense.current_version.schema)  # type: ignore[union-attr]  # published

    response = _as(designer).post(f"/templates/{expense.pk}/publish/",
                                  {"requires_retraining": "on", "change_summary": "新增纳税人识别号"})

    assert response.status_code == 302
    assert Assignment.objects.get().reason == "sop_changed"
    assert 'name="requires_retraining" form="publish-form"' in _as(designer).get(
        f"/templates/{expense.pk}/design/").content.decode()


def test_admin_edits_a_questions_text_options_and_keys(hr_admin: User, course: Course) -> None:
    client = _as(hr_admin)
    question = course.questions.order_by("pk").first()
    assert question is not None
    page = client.get(f"/training/manage/{course.pk}/").content.decode()
    assert f'data-testid="question-edit-{question.pk}"' in page
    assert f'name="question_id" value="{question.pk}"' in page

    saved = client.post(f"/training/manage/{course.pk}/questions/", {
        "question_id": question.pk, "kind": "multiple", "text": "差旅报销需要哪些材料？",
        "options": "电子发票\n行程单\n微信截图", "correct": "1，2",
        "explanation": "截图不是凭证"}, follow=True)

    question.refresh_from_db()
    assert (question.kind, question.text, question.options, question.correct,
            question.explanation) == ("multiple", "差旅报销需要哪些材料？",
                                      ["电子发票", "行程单", "微信截图"], [0, 1], "截图不是凭证")
    assert "题目已保存" in saved.content.decode()
    assert Question.objects.filter(course=course).count() == 20  # edited, not added

    refused = client.post(f"/training/manage/{course.pk}/questions/", {
        "question_id": question.pk, "kind": "single", "text": "改坏", "options": "甲\n乙",
        "correct": "1,2"}, follow=True)
    question.refresh_from_db()
    assert "单选题和判断题只能有一个正确答案" in refused.content.decode()
    assert question.text == "差旅报销需要哪些材料？"


def test_employees_cannot_edit_questions(alice: User, course: Course) -> None:
    question = course.questions.order_by("pk").first()
    assert question is not None

    _as(alice).post(f"/training/manage/{course.pk}/questions/", {
        "question_id": question.pk, "kind": "single", "text": "篡改", "options": "甲\n乙",
        "correct": "1"})

    question.refresh_from_db()
    assert question.text == "题目0"
