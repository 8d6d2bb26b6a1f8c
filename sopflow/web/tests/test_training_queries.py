"""Query counts of 我的培训 and the HR dashboard: pinned, and independent of how many courses,
assignments, certificates and trainees there are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sopflow.core.clock import clock
from sopflow.org.models import Company, Department, User
from sopflow.org.tests.builders import build_user
from sopflow.training.models import Assignment, Attempt
from sopflow.training.services import assignments, attempts
from sopflow.training.tests.builders import build_course, build_template, right_answers

# Pinned (session + user + page). Change only with a reason (a new panel), never because
# rows multiply: the tests also check the count is the same for 1 and for 5+ people.
MY_TRAINING_QUERIES = 16
DASHBOARD_QUERIES = 19


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    yield
    clock.unfreeze()


def _courses(company: Company, first: int, count: int) -> list[object]:
    return [build_course(company, title=f"课程{n}", questions=3, questions_per_attempt=3)
            for n in range(first, first + count)]


def _activity(company: Company, hr_admin: User, people: list[User], courses: list) -> None:
    for index, course in enumerate(courses):
        assignments.assign_course(actor=hr_admin, course_id=course.pk,
                                  user_ids=[p.pk for p in people],
                                  due_at=clock.now() + timedelta(days=3 if index % 2 else -1))
        for person in people[: 1 + index % 2]:
            attempt = attempts.start_attempt(actor=person, course_id=course.pk)
            attempts.submit_attempt(actor=person, attempt_id=attempt.pk,
                                    answers=right_answers(attempt.drawn, wrong=index % 2))


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _grow(company: Company, hr_admin: User, alice: User, marketing: Department,
          finance: Department, first_course: int, people: int) -> None:
    staff = [alice, *[build_user(company, employee_no=f"S{first_course}{n}", name=f"员工{n}",
                                 department=marketing if n % 2 else finance)
                      for n in range(people)]]
    _activity(company, hr_admin, staff, _courses(company, first_course, 3))


def test_my_training_query_count_is_pinned_and_flat(
        company: Company, hr_admin: User, alice: User, marketing: Department,
        finance: Department) -> None:
    build_template(company)
    client = Client()
    client.force_login(alice)
    _grow(company, hr_admin, alice, marketing, finance, 0, 1)
    small = _count(client, "/training/")

    _grow(company, hr_admin, alice, marketing, finance, 10, 4)
    large = _count(client, "/training/")

    assert Assignment.objects.filter(user=alice).count() == 6
    assert Attempt.objects.filter(user=alice).count() == 6
    assert small == large, (small, large)
    assert large == MY_TRAINING_QUERIES, large


def test_hr_dashboard_query_count_is_pinned_and_flat(
        company: Company, hr_admin: User, alice: User, marketing: Department,
        finance: Department) -> None:
    build_template(company)
    client = Client()
    client.force_login(hr_admin)
    _grow(company, hr_admin, alice, marketing, finance, 0, 1)
    small = _count(client, "/training/dashboard/")

    _grow(company, hr_admin, alice, marketing, finance, 10, 5)
    large = _count(client, "/training/dashboard/")

    assert small == large, (small, large)
    assert large == DASHBOARD_QUERIES, large
