"""Managing courses over the API: create/update a course, add lessons, write and edit
questions (with answer keys and explanations), assign. HR and process admins only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from sopflow.accounts.services import create_token
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.training.models import Assignment, Course, Lesson, Question


@pytest.fixture(autouse=True)
def _fresh_throttle_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def process_admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="P001", name="苏畅")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


@pytest.fixture
def outsider_admin(db: None) -> User:
    """An HR admin of another company."""
    from sopflow.org.tests.builders import build_company, build_user, grant

    other = build_company(name="别家公司", code="other-co")
    user = build_user(other, employee_no="X001", name="外人")
    grant(user, RoleAssignment.Role.HR_ADMIN, company=other)
    return user


def _api(user: User) -> Client:
    token = create_token(actor=user, name="测试").plaintext
    return Client(headers={"Authorization": f"Bearer {token}"})


def _json(client: Client, method: str, url: str, data: Any = None) -> Any:
    return getattr(client, method)(url, data, content_type="application/json")


BASE = "/api/v1/training"
QUESTION = {"kind": "multiple", "text": "差旅报销需要哪些材料？",
            "options": ["电子发票", "行程单", "微信截图"], "correct": [0, 1],
            "explanation": "截图不是凭证"}


@pytest.mark.parametrize("who", ["hr_admin", "process_admin"])
def test_managers_build_a_course_end_to_end(request: pytest.FixtureRequest, who: str,
                                            expense: FormTemplate, alice: User) -> None:
    api = _api(request.getfixturevalue(who))

    created = _json(api, "post", f"{BASE}/courses", {
        "title": "差旅报销SOP", "description": "出差前必学", "template_ids": [expense.pk],
        "is_gate": True, "pass_mark": 90, "questions_per_attempt": 1})
    course_id = created.json()["id"]
    patched = _json(api, "patch", f"{BASE}/courses/{course_id}",
                    {"title": "差旅报销SOP（2026版）", "validity_months": 6})
    lesson = _json(api, "post", f"{BASE}/courses/{course_id}/lessons",
                   {"title": "第一课", "kind": "text", "body": "## 先看发票"})
    video = _json(api, "post", f"{BASE}/courses/{course_id}/lessons",
                  {"title": "视频", "kind": "video", "video_url": "https://v.example.cn/1.mp4"})
    question = _json(api, "post", f"{BASE}/courses/{course_id}/questions", QUESTION)
    edited = _json(api, "put", f"{BASE}/courses/{course_id}/questions/{question.json()['id']}",
                   QUESTION | {"text": "差旅报销必须附哪些材料？", "options": ["电子发票", "行程单"],
                               "correct": [0], "explanation": "行程单可选"})
    bank = _json(api, "get", f"{BASE}/courses/{course_id}/questions")
    assigned = _json(api, "post", f"{BASE}/courses/{course_id}/assignments",
                     {"user_ids": [alice.pk], "note": "本周内完成"})

    assert created.status_code == 201, created.content
    assert created.json()["template_ids"] == [expense.pk]
    assert (created.json()["pass_mark"], created.json()["cooldown_minutes"]) == (90, 30)
    assert patched.status_code == 200, patched.content
    assert (patched.json()["title"], patched.json()["validity_months"]) == (
        "差旅报销SOP（2026版）", 6)
    assert patched.json()["pass_mark"] == 90  # untouched settings stay
    assert (lesson.status_code, video.status_code) == (201, 201)
    assert [le.title for le in Lesson.objects.filter(course_id=course_id).order_by("order")] == [
        "第一课", "视频"]
    assert question.status_code == 201, question.content
    assert question.json()["correct"] == [0, 1]
    assert edited.status_code == 200, edited.content
    assert bank.json() == [{"id": question.json()["id"], "course_id": course_id,
                            "kind": "multiple", "text": "差旅报销必须附哪些材料？",
                            "options": ["电子发票", "行程单"], "correct": [0],
                            "explanation": "行程单可选", "is_active": True}]
    assert assigned.status_code == 201, assigned.content
    assert Assignment.objects.filter(course_id=course_id, user=alice).count() == 1


def test_invalid_questions_and_courses_are_refused_with_the_reason(
        hr_admin: User, course: Course) -> None:
    api = _api(hr_admin)
    url = f"{BASE}/courses/{course.pk}/questions"

    no_key = _json(api, "post", url, QUESTION | {"correct": []})
    two_keys = _json(api, "post", url, QUESTION | {"kind": "single"})
    unknown = _json(api, "put", f"{url}/999999", QUESTION)
    no_title = _json(api, "post", f"{BASE}/courses", {"title": "  "})
    bad_lesson = _json(api, "post", f"{BASE}/courses/{course.pk}/lessons",
                       {"title": "视频", "kind": "video"})

    assert (no_key.status_code, no_key.json()["message"]) == (422, "请选择正确答案")
    assert (two_keys.status_code, two_keys.json()["message"]) == (
        422, "单选题和判断题只能有一个正确答案")
    assert unknown.status_code == 404
    assert (no_title.status_code, no_title.json()["message"]) == (422, "请填写课程名称")
    assert (bad_lesson.status_code, bad_lesson.json()["message"]) == (
        422, "请上传视频或填写视频链接")


def _calls(course: Course, question: Question, user: User) -> dict[str, Callable[[Client], Any]]:
    c = f"{BASE}/courses/{course.pk}"
    return {
        "create course": lambda api: _json(api, "post", f"{BASE}/courses", {"title": "新课"}),
        "update course": lambda api: _json(api, "patch", c, {"title": "改名"}),
        "add lesson": lambda api: _json(api, "post", f"{c}/lessons", {"title": "课时"}),
        "list questions": lambda api: _json(api, "get", f"{c}/questions"),
        "add question": lambda api: _json(api, "post", f"{c}/questions", QUESTION),
        "edit question": lambda api: _json(api, "put", f"{c}/questions/{question.pk}", QUESTION),
        "assign": lambda api: _json(api, "post", f"{c}/assignments", {"user_ids": [user.pk]}),
    }


@pytest.mark.parametrize("call", ["create course", "update course", "add lesson",
                                  "list questions", "add question", "edit question", "assign"])
@pytest.mark.parametrize(("who", "allowed"), [
    ("hr_admin", {201, 200}), ("process_admin", {201, 200}),
    ("alice", {403}), ("bob", {403}), ("outsider_admin", {403, 404})])
def test_permission_matrix(request: pytest.FixtureRequest, call: str, who: str,
                           allowed: set[int], course: Course, alice: User) -> None:
    question = course.questions.first()
    assert question is not None
    before = (Course.objects.count(), Lesson.objects.count(), Question.objects.count(),
              Assignment.objects.count(), course.title, question.text)
    api = _api(request.getfixturevalue(who))

    response = _calls(course, question, alice)[call](api)

    if who == "outsider_admin" and call == "create course":
        # An HR admin of another company builds courses for that company only.
        assert response.status_code == 201
        assert Course.objects.get(pk=response.json()["id"]).company_id != course.company_id
        return
    assert response.status_code in allowed, (call, who, response.content)
    if response.status_code >= 400:
        course.refresh_from_db()
        question.refresh_from_db()
        assert before == (Course.objects.count(), Lesson.objects.count(),
                          Question.objects.count(), Assignment.objects.count(), course.title,
                          question.text)
        if who == "outsider_admin" and call != "create course":
            assert response.status_code == 404  # another company's course does not exist


def test_employees_never_see_answer_keys(alice: User, course: Course) -> None:
    api = _api(alice)

    detail = _json(api, "get", f"{BASE}/courses/{course.pk}")
    bank = _json(api, "get", f"{BASE}/courses/{course.pk}/questions")

    assert detail.status_code == 200
    assert "correct" not in detail.content.decode()
    assert bank.status_code == 403
