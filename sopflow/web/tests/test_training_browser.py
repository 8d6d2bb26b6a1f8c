"""S5 in a real browser, on a phone: the gate points to the course, 75 fails, the retry after
the cool-down scores 85 and the form opens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import login_in_browser
from sopflow.core.clock import clock
from sopflow.form_templates.models import Submission
from sopflow.org.models import Company, User
from sopflow.org.tests.builders import TEST_PASSWORD
from sopflow.training.models import Attempt, Lesson
from sopflow.training.tests.builders import build_course, build_template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    yield
    clock.unfreeze()


def _answer(page: Any, *, wrong: int) -> None:
    attempt = Attempt.objects.get(status=Attempt.Status.IN_PROGRESS)
    for index, question in enumerate(attempt.drawn):
        n = question["text"][2:]
        label = f"对{n}" if index >= wrong else f"错{n}a"
        page.locator(f'fieldset[data-question="{question["id"]}"] label',
                     has_text=label).click()
    page.get_by_test_id("quiz-progress").get_by_text(f"{len(attempt.drawn)} / ").wait_for()
    page.get_by_test_id("quiz-submit").click()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_s5_gate_quiz_fail_retry_pass_and_fill_on_a_phone(
        page: Any, viewport: dict[str, int], company: Company, alice: User) -> None:
    expense = build_template(company)
    course = build_course(company, templates=[expense], is_gate=True)
    Lesson.objects.create(course=course, order=1, title="费用报销 SOP 说明",
                          body="差旅报销**必须**上传电子发票。")
    login_in_browser(page, alice.employee_no, TEST_PASSWORD)

    page.goto(f"/templates/{expense.pk}/")
    page.get_by_test_id("start").click()
    refusal = page.get_by_test_id("gate-refusal")
    refusal.wait_for()
    assert "提交“费用报销”前需要通过课程《费用报销SOP》的考试" in refusal.inner_text()
    page.get_by_test_id("gate-link").click()
    page.wait_for_url(f"**/training/courses/{course.pk}/")
    page.get_by_text("费用报销 SOP 说明").click()
    assert "必须" in page.get_by_test_id("lesson-body").inner_text()
    page.get_by_test_id("lessons-done").click()

    page.get_by_test_id("quiz-start").click()
    _answer(page, wrong=5)
    assert page.get_by_test_id("score").inner_text() == "75"
    assert "未通过" in page.get_by_test_id("verdict").inner_text()
    assert "30 分钟" in page.get_by_test_id("retry-refusal").inner_text()

    clock.advance(timedelta(minutes=31))
    page.goto(f"/training/courses/{course.pk}/")
    page.get_by_test_id("quiz-start").click()
    _answer(page, wrong=3)
    assert page.get_by_test_id("score").inner_text() == "85"
    assert page.get_by_test_id("feedback").count() == 20
    page.get_by_test_id("open-form").click()
    page.get_by_test_id("start").click()
    page.wait_for_url("**/submissions/*/edit/")
    page.wait_for_load_state("networkidle")  # no request may outlive the test's database

    assert Submission.objects.get().author == alice
