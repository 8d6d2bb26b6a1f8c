"""S5 through the API: the gate refuses with the course link, 75 fails, a retry after the
cool-down scores 85 and the form opens; permissions on attempts and assignments."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from sopflow.accounts.services import create_token
from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate, Submission
from sopflow.org.models import User
from sopflow.training.models import Assignment, Attempt, Certificate, Course
from sopflow.training.services import attempts

from .builders import right_answers

GATE_MESSAGE = "提交“费用报销”前需要通过课程《费用报销SOP》的考试"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _client(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_token(actor=user, name='测试').plaintext}"})


def _sheet(attempt_json: dict[str, object], *, wrong: int) -> dict[str, list[int]]:
    return right_answers(attempt_json["questions"], wrong=wrong)  # type: ignore[arg-type]  # same shape


def test_s5_gate_then_75_fails_then_85_passes_and_the_form_opens(
        alice: User, expense: FormTemplate, course: Course) -> None:
    api = _client(alice)

    refused = api.post("/api/v1/forms/submissions", {"template_id": expense.pk},
                       content_type="application/json")
    started = api.post(f"/api/v1/training/courses/{course.pk}/attempts")
    first = api.post(f"/api/v1/training/attempts/{started.json()['id']}/submit",
                     {"answers": _sheet(started.json(), wrong=5)}, content_type="application/json")
    cooling = api.post(f"/api/v1/training/courses/{course.pk}/attempts")
    clock.advance(timedelta(minutes=30))
    retry = api.post(f"/api/v1/training/courses/{course.pk}/attempts")
    second = api.post(f"/api/v1/training/attempts/{retry.json()['id']}/submit",
                      {"answers": _sheet(retry.json(), wrong=3)}, content_type="application/json")
    opened = api.post("/api/v1/forms/submissions", {"template_id": expense.pk},
                      content_type="application/json")
    progress = api.get("/api/v1/training/me/progress")

    assert refused.status_code == 403
    assert refused.json() == {"code": "gate_refused", "message": GATE_MESSAGE, "details": [
        {"message": GATE_MESSAGE, "link": f"/training/courses/{course.pk}/"}]}
    assert started.status_code == 201
    assert len(started.json()["questions"]) == 20
    assert "correct" not in started.json()["questions"][0]
    assert (first.json()["score"], first.json()["is_passed"]) == (75, False)
    assert cooling.status_code == 403
    assert cooling.json()["code"] == "attempt_refused"
    assert (second.json()["score"], second.json()["is_passed"]) == (85, True)
    assert len(second.json()["feedback"]) == 20
    assert opened.status_code == 201
    assert Submission.objects.get().author == alice
    assert [c["is_valid"] for c in progress.json()["certificates"]] == [True]


def test_answers_are_saved_one_by_one_and_keys_stay_hidden(alice: User, course: Course) -> None:
    api = _client(alice)
    started = api.post(f"/api/v1/training/courses/{course.pk}/attempts").json()
    question = started["questions"][0]

    saved = api.post(f"/api/v1/training/attempts/{started['id']}/answers",
                     {"question_id": question["id"], "choices": [2]},
                     content_type="application/json")

    assert saved.status_code == 200
    assert saved.json()["answers"] == {str(question["id"]): [2]}
    assert saved.json()["feedback"] == []


@pytest.mark.parametrize("who", ["anonymous", "outsider", "owner"])
def test_attempt_permission_matrix(who: str, alice: User, dave: User, course: Course) -> None:
    attempt = attempts.start_attempt(actor=alice, course_id=course.pk, rng=random.Random(1))
    client = {"anonymous": Client(), "outsider": _client(dave), "owner": _client(alice)}[who]

    response = client.post(f"/api/v1/training/attempts/{attempt.pk}/submit", {"answers": {}},
                           content_type="application/json")

    assert response.status_code == {"anonymous": 401, "outsider": 404, "owner": 200}[who]
    expected = "submitted" if who == "owner" else "in_progress"
    assert Attempt.objects.get().status == expected
    assert Certificate.objects.exists() is False


@pytest.mark.parametrize("who", ["employee", "hr_admin"])
def test_only_training_managers_assign_courses(who: str, alice: User, hr_admin: User,
                                               dave: User, course: Course) -> None:
    client = _client({"employee": alice, "hr_admin": hr_admin}[who])

    response = client.post(f"/api/v1/training/courses/{course.pk}/assignments",
                           {"user_ids": [dave.pk]}, content_type="application/json")

    assert response.status_code == {"employee": 403, "hr_admin": 201}[who]
    assert Assignment.objects.filter(user=dave).count() == {"employee": 0, "hr_admin": 1}[who]
