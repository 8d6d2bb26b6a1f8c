"""The gate on starting and submitting a template, quiz attempts, cool-down and certificates."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, NotFound, ValidationFailed
from sopflow.form_templates.models import FormTemplate, Submission
from sopflow.form_templates.services.submissions import start_submission, submit_submission
from sopflow.org.models import RoleAssignment, User
from sopflow.org.tests.builders import build_user, grant
from sopflow.training.models import Assignment, Attempt, Certificate, Course, Exemption
from sopflow.training.services import assignments, attempts

from .builders import right_answers
from .conftest import T0

GATE_MESSAGE = "提交“费用报销”前需要通过课程《费用报销SOP》的考试"


def _take(user: User, course: Course, *, wrong: int) -> Attempt:
    attempt = attempts.start_attempt(actor=user, course_id=course.pk, rng=random.Random(3))
    return attempts.submit_attempt(actor=user, attempt_id=attempt.pk,
                                   answers=right_answers(attempt.drawn, wrong=wrong))


def test_gate_refuses_start_with_message_and_course_link(
        alice: User, expense: FormTemplate, course: Course) -> None:
    with pytest.raises(Forbidden) as refused:
        start_submission(actor=alice, template_id=expense.pk)

    assert refused.value.message == GATE_MESSAGE
    assert refused.value.code == "gate_refused"
    assert refused.value.details == [{"message": GATE_MESSAGE,
                                      "link": f"/training/courses/{course.pk}/"}]
    assert Submission.objects.exists() is False


def test_gate_refuses_submit_of_a_draft_started_before_the_certificate_lapsed(
        alice: User, expense: FormTemplate, course: Course) -> None:
    _take(alice, course, wrong=0)
    draft = start_submission(actor=alice, template_id=expense.pk)
    clock.advance(timedelta(days=366))

    with pytest.raises(Forbidden) as refused:
        submit_submission(actor=alice, submission_id=draft.pk,
                          values={"f_type": "办公", "f_amount": "10", "f_payee_name": "张敏"})

    assert refused.value.message == GATE_MESSAGE
    assert Submission.objects.get().status == Submission.Status.DRAFT


def test_75_fails_and_retry_waits_for_the_cool_down_then_85_passes_and_the_form_opens(
        alice: User, expense: FormTemplate, course: Course) -> None:
    failed = _take(alice, course, wrong=5)

    with pytest.raises(Forbidden) as cooling:
        attempts.start_attempt(actor=alice, course_id=course.pk)
    clock.advance(timedelta(minutes=30))
    passed = _take(alice, course, wrong=3)
    submission = start_submission(actor=alice, template_id=expense.pk)

    assert (failed.score, failed.is_passed) == (75, False)
    assert cooling.value.code == "attempt_refused"
    assert "30 分钟" in cooling.value.message
    assert (passed.score, passed.is_passed) == (85, True)
    certificate = Certificate.objects.get()
    assert (certificate.user, certificate.score, certificate.status) == (alice, 85, "active")
    assert certificate.expires_at == T0 + timedelta(minutes=30) + (
        certificate.expires_at - certificate.issued_at)
    assert certificate.expires_at.date().isoformat() == "2027-03-02"
    assert submission.author == alice
    assert list(AuditEvent.objects.filter(action__startswith="training.").values_list(
        "action", flat=True).order_by("pk")) == [
        "training.attempt.started", "training.attempt.submitted", "training.attempt.started",
        "training.attempt.submitted", "training.certificate.issued"]


def test_failed_attempt_issues_no_certificate_and_keeps_the_gate_closed(
        alice: User, expense: FormTemplate, course: Course) -> None:
    attempt = _take(alice, course, wrong=5)

    assert attempt.feedback[0]["is_correct"] is False
    assert attempt.feedback[0]["explanation"].startswith("解析")
    assert Certificate.objects.exists() is False
    with pytest.raises(Forbidden):
        start_submission(actor=alice, template_id=expense.pk)


def test_attempt_limit_is_reset_by_a_new_assignment(
        alice: User, hr_admin: User, course: Course) -> None:
    course.max_attempts, course.cooldown_minutes = 1, 0
    course.save()
    _take(alice, course, wrong=10)

    with pytest.raises(Forbidden) as used_up:
        attempts.start_attempt(actor=alice, course_id=course.pk)
    clock.advance(timedelta(minutes=1))
    assignments.assign_course(actor=hr_admin, course_id=course.pk, user_ids=[alice.pk])
    clock.advance(timedelta(minutes=1))
    again = attempts.start_attempt(actor=alice, course_id=course.pk)

    assert "1 次考试机会已用完" in used_up.value.message
    assert again.status == Attempt.Status.IN_PROGRESS


def test_unfinished_attempt_is_resumed_and_answers_are_kept(alice: User, course: Course) -> None:
    first = attempts.start_attempt(actor=alice, course_id=course.pk)
    question = first.drawn[0]
    attempts.answer_question(actor=alice, attempt_id=first.pk, question_id=question["id"],
                             choices=[1])

    again = attempts.start_attempt(actor=alice, course_id=course.pk)

    assert again.pk == first.pk
    assert again.answers == {str(question["id"]): [1]}
    assert Attempt.objects.count() == 1


def test_other_people_cannot_submit_my_attempt(alice: User, dave: User, course: Course) -> None:
    attempt = attempts.start_attempt(actor=alice, course_id=course.pk)

    with pytest.raises(NotFound):
        attempts.submit_attempt(actor=dave, attempt_id=attempt.pk, answers={})

    assert Attempt.objects.get().status == Attempt.Status.IN_PROGRESS


def test_passing_completes_open_assignments(alice: User, hr_admin: User, course: Course) -> None:
    assignments.assign_course(actor=hr_admin, course_id=course.pk, user_ids=[alice.pk],
                              due_at=T0 + timedelta(days=7))

    _take(alice, course, wrong=0)

    assignment = Assignment.objects.get()
    assert (assignment.status, assignment.completed_at) == ("completed", T0)


def test_exemption_opens_the_gate_until_it_expires(
        alice: User, company: object, expense: FormTemplate, course: Course) -> None:
    admin = build_user(company, employee_no="P001", name="苏畅")  # type: ignore[arg-type]  # Company
    grant(admin, RoleAssignment.Role.PROCESS_ADMIN, company=company)  # type: ignore[arg-type]  # Company

    assignments.grant_exemption(actor=admin, template_id=expense.pk, user_id=alice.pk,
                                reason="新员工本周急需报销差旅", expires_at=T0 + timedelta(days=3))
    start_submission(actor=alice, template_id=expense.pk)
    clock.advance(timedelta(days=3))

    with pytest.raises(Forbidden):
        start_submission(actor=alice, template_id=expense.pk)
    assert AuditEvent.objects.get(action="training.exemption.granted").changes["reason"] == \
        "新员工本周急需报销差旅"


def test_exemption_needs_a_process_admin_and_a_reason(
        alice: User, hr_admin: User, company: object, expense: FormTemplate) -> None:
    admin = build_user(company, employee_no="P002", name="苏畅")  # type: ignore[arg-type]  # Company
    grant(admin, RoleAssignment.Role.PROCESS_ADMIN, company=company)  # type: ignore[arg-type]  # Company

    with pytest.raises(Forbidden):
        assignments.grant_exemption(actor=hr_admin, template_id=expense.pk, user_id=alice.pk,
                                    reason="x", expires_at=T0 + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        assignments.grant_exemption(actor=admin, template_id=expense.pk, user_id=alice.pk,
                                    reason="  ", expires_at=T0 + timedelta(days=1))

    assert Exemption.objects.exists() is False
