"""Taking a course: practice exercise checks, quiz attempts (start, answer, submit) and the
certificate a pass issues (which completes the person's open assignments of the course).
"""

from __future__ import annotations

import random
from calendar import monthrange
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, Forbidden, ValidationFailed
from sopflow.form_templates.models import Attachment
from sopflow.form_templates.schema import fields as schema_fields
from sopflow.form_templates.schema.practice import check_practice
from sopflow.org.models import Department, User

from .. import access, quiz
from ..models import Assignment, Attempt, Certificate, Course, PracticeRun


def check_practice_exercise(*, actor: User, course_id: int, values: dict[str, Any],
                            language: str = "zh-hans") -> PracticeRun:
    """Validate the practice form like a real submit and compare it with the expected values;
    every mistake is reported (and the run kept for the person's progress)."""
    course = access.get_course_for(actor, course_id, "view")
    template = course.practice_template
    if template is None or template.current_version is None:
        raise ValidationFailed(gettext("本课程没有练习题"))
    schema = schema_fields.Schema.from_dict(template.current_version.schema)

    def resolve(pk: int) -> Any:
        from sopflow.form_templates.schema.cleaning import AttachmentInfo

        found = Attachment.objects.filter(pk=pk, owner=actor).first()
        if found is None:
            return None
        return AttachmentInfo(found.kind, found.size, found.submission_id is None)

    mistakes = check_practice(
        schema, values, course.practice_expected, language=language,
        today=clock.today_local().date(), resolve_attachment=resolve,
        known_people=set(User.objects.filter(company_id=course.company_id, is_active=True)
                         .values_list("pk", flat=True)),
        known_departments=set(Department.objects.filter(company_id=course.company_id)
                              .values_list("pk", flat=True)))
    with transaction.atomic():
        run = PracticeRun.objects.create(course=course, user=actor, is_passed=not mistakes,
                                         mistakes=[m.to_dict() for m in mistakes],
                                         checked_at=clock.now())
    return run


def start_attempt(*, actor: User, course_id: int, rng: random.Random | None = None) -> Attempt:
    """Draw `questions_per_attempt` questions with shuffled options; an unfinished attempt is
    resumed instead. Refused (Forbidden) during the cool-down after a failed attempt and when
    the attempt limit of this round (since the last pass or the latest assignment) is used up."""
    with transaction.atomic():
        course = access.get_course_for(actor, course_id, "view")
        open_attempt = Attempt.objects.filter(course=course, user=actor,
                                              status=Attempt.Status.IN_PROGRESS).first()
        if open_attempt is not None:
            return open_attempt
        now = clock.now()
        refusal = attempt_refusal(actor, course, now)
        if refusal:
            raise Forbidden(refusal, code="attempt_refused")
        bank = [quiz.BankQuestion(id=q.pk, kind=q.kind, text=q.text, options=tuple(q.options),
                                  correct=frozenset(q.correct), explanation=q.explanation)
                for q in course.questions.filter(is_active=True)]
        if not bank:
            raise ValidationFailed(gettext("本课程还没有题目"))
        drawn = quiz.draw(bank, course.questions_per_attempt, rng or random.SystemRandom())
        attempt = Attempt.objects.create(course=course, user=actor, started_at=now,
                                         drawn=[question.to_dict() for question in drawn])
        record(actor=actor, action="training.attempt.started", obj=attempt,
               changes={"course": course.pk, "questions": len(drawn)},
               company_id=course.company_id)
    return attempt


def answer_question(*, actor: User, attempt_id: int, question_id: int,
                    choices: list[int]) -> Attempt:
    """Save one answer (displayed option indexes) of an unfinished attempt."""
    with transaction.atomic():
        attempt = _open_attempt(actor, attempt_id)
        question = next((q for q in attempt.drawn if q["id"] == question_id), None)
        if question is None:
            raise ValidationFailed(gettext("本次考试没有这道题"), field="question_id")
        if any(not 0 <= int(c) < len(question["options"]) for c in choices):
            raise ValidationFailed(gettext("选项不存在"), field="choices")
        attempt.answers = {**attempt.answers, str(question_id): sorted({int(c) for c in choices})}
        attempt.save(update_fields=["answers"])
    return attempt


def submit_attempt(*, actor: User, attempt_id: int,
                   answers: dict[str, list[int]] | None = None) -> Attempt:
    """Score the attempt against the drawn snapshot; a pass issues (or renews) the certificate
    and completes the person's open assignments of the course."""
    with transaction.atomic():
        attempt = _open_attempt(actor, attempt_id)
        if answers is not None:
            attempt.answers = {**attempt.answers, **{str(k): v for k, v in answers.items()}}
        course = attempt.course
        result = quiz.score([quiz.DrawnQuestion.from_dict(q) for q in attempt.drawn],
                            attempt.answers, pass_mark=course.pass_mark)
        now = clock.now()
        attempt.status = Attempt.Status.SUBMITTED
        attempt.score, attempt.is_passed = result.score, result.is_passed
        attempt.feedback = [item.to_dict() for item in result.feedback]
        attempt.submitted_at = now
        attempt.save()
        record(actor=actor, action="training.attempt.submitted", obj=attempt,
               changes={"course": course.pk, "score": result.score, "passed": result.is_passed},
               company_id=course.company_id)
        if result.is_passed:
            issue_certificate(course=course, user=actor, score=result.score, actor=actor)
    return attempt


def issue_certificate(*, course: Course, user: User, score: int | None,
                      actor: User | None) -> Certificate:
    """Issue or renew the person's certificate (validity from now; reminders reset; a suspension
    lifted) and complete their open assignments of the course. Call inside a transaction."""
    now = clock.now()
    certificate, created = Certificate.objects.update_or_create(
        course=course, user=user, defaults={
            "status": Certificate.Status.ACTIVE, "score": score, "issued_at": now,
            "expires_at": add_months(now, course.validity_months),
            "suspended_reason": "", "reminded_30_at": None, "reminded_7_at": None})
    completed = Assignment.objects.filter(course=course, user=user,
                                          status=Assignment.Status.OPEN).update(
        status=Assignment.Status.COMPLETED, completed_at=now)
    record(actor=actor, action="training.certificate.issued" if created
           else "training.certificate.renewed", obj=certificate,
           changes={"course": course.pk, "user": user.pk, "score": score,
                    "expires_at": certificate.expires_at, "assignments_completed": completed},
           company_id=course.company_id)
    return certificate


def attempt_refusal(user: User, course: Course, now: Any) -> str:
    """Why the person may not start an attempt now ("" when they may)."""
    finished = Attempt.objects.filter(course=course, user=user, status=Attempt.Status.SUBMITTED)
    last = finished.order_by("-submitted_at").first()
    if last is not None and not last.is_passed and course.cooldown_minutes:
        ready_at = last.submitted_at + timedelta(minutes=course.cooldown_minutes)  # type: ignore[operator]  # submitted
        if ready_at > now:
            return f"未通过后需等待 {course.cooldown_minutes} 分钟，请在 {clock_text(ready_at)} 后重试"
    if course.max_attempts:
        since = [moment for moment in (
            Certificate.objects.filter(course=course, user=user).values_list(
                "issued_at", flat=True).first(),
            Assignment.objects.filter(course=course, user=user).aggregate(
                top=Max("assigned_at"))["top"]) if moment is not None]
        used = finished.filter(started_at__gt=max(since)).count() if since else finished.count()
        if used >= course.max_attempts:
            return f"本轮 {course.max_attempts} 次考试机会已用完，请联系人事管理员重新分配课程"
    return ""


def add_months(moment: datetime, months: int) -> datetime:
    """Same day `months` later (the 31st becomes the month's last day)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def clock_text(moment: Any) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(moment):%m-%d %H:%M}"


def _open_attempt(actor: User, attempt_id: int) -> Attempt:
    attempt = access.get_attempt_for(actor, attempt_id)
    locked = Attempt.objects.select_for_update(of=("self",)).select_related("course").get(pk=attempt.pk)
    if locked.status != Attempt.Status.IN_PROGRESS:
        raise Conflict(gettext("本次考试已交卷"))
    return locked

