"""Training over the API: courses, my progress, assignments, quiz attempts (start, answer,
submit) and certificates. Same services and messages as the web UI; a gate refusal on
/forms/submissions answers 403 with the course link in `details`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from sopflow.core.errors import Forbidden
from sopflow.training import access, queries
from sopflow.training.models import Assignment, Attempt, Certificate, Course, Lesson, Question
from sopflow.training.services import assignments as assignment_services
from sopflow.training.services import attempts as attempt_services
from sopflow.training.services import courses as course_services

router = Router(tags=["training"])


class CourseOut(Schema):
    id: int
    title: str
    description: str
    template_ids: list[int]
    is_gate: bool
    pass_mark: int
    questions_per_attempt: int
    max_attempts: int
    cooldown_minutes: int
    validity_months: int
    lessons: list[dict[str, Any]]
    link: str


class AssignmentOut(Schema):
    id: int
    course_id: int
    course_title: str
    user_id: int
    status: str
    reason: str
    note: str
    due_at: datetime | None
    assigned_at: datetime
    completed_at: datetime | None


class AssignIn(Schema):
    user_ids: list[int] = []
    position_ids: list[int] = []
    department_ids: list[int] = []
    roles: list[str] = []
    due_at: datetime | None = None
    note: str = ""


class CertificateOut(Schema):
    id: int
    course_id: int
    course_title: str
    status: str
    is_valid: bool
    score: int | None
    issued_at: datetime
    expires_at: datetime


class QuestionOut(Schema):
    id: int
    kind: str
    text: str
    options: list[str]


class AttemptOut(Schema):
    id: int
    course_id: int
    status: str
    questions: list[QuestionOut]
    answers: dict[str, list[int]]
    score: int | None
    is_passed: bool
    feedback: list[dict[str, Any]]
    started_at: datetime
    submitted_at: datetime | None


class AnswerIn(Schema):
    question_id: int
    choices: list[int]


class SubmitIn(Schema):
    answers: dict[str, list[int]] | None = None


class CourseIn(Schema):
    title: str
    description: str = ""
    template_ids: list[int] = []
    is_gate: bool = False
    pass_mark: int = 80
    questions_per_attempt: int = 10
    max_attempts: int = 0
    cooldown_minutes: int = 0
    validity_months: int = 12


class CoursePatch(Schema):
    title: str | None = None
    description: str | None = None
    template_ids: list[int] | None = None
    is_gate: bool | None = None
    pass_mark: int | None = None
    questions_per_attempt: int | None = None
    max_attempts: int | None = None
    cooldown_minutes: int | None = None
    validity_months: int | None = None
    is_active: bool | None = None


class LessonIn(Schema):
    title: str
    kind: str = "text"
    body: str = ""
    video_url: str = ""


class LessonOut(Schema):
    id: int
    course_id: int
    order: int
    title: str
    kind: str
    body: str
    video_url: str


class QuestionIn(Schema):
    kind: str
    text: str
    options: list[str] = []
    correct: list[int]
    explanation: str = ""


class BankQuestionOut(Schema):
    """A question as the course's managers see it: with the answer keys."""

    id: int
    course_id: int
    kind: str
    text: str
    options: list[str]
    correct: list[int]
    explanation: str
    is_active: bool


class ProgressOut(Schema):
    assigned: list[AssignmentOut]
    overdue_ids: list[int]
    due_soon_ids: list[int]
    in_progress_attempt_ids: list[int]
    certificates: list[CertificateOut]


@router.get("/courses", response=list[CourseOut], summary="课程列表")
def list_courses(request: HttpRequest) -> object:
    return [_course(c) for c in access.courses_visible_to(request.auth).prefetch_related(  # type: ignore[arg-type]  # auth is a User
        "templates", "lessons")]


@router.post("/courses", response={201: CourseOut}, summary="创建课程（管理员）")
def create_course(request: HttpRequest, payload: CourseIn) -> object:
    actor = request.auth
    if actor.company is None:  # type: ignore[attr-defined]  # auth is a User
        raise Forbidden("只有人事管理员或流程管理员可以管理课程")
    data = payload.dict(exclude_unset=True)  # unset settings keep the model's defaults
    data.setdefault("description", "")
    data.setdefault("template_ids", [])
    course = course_services.create_course(
        actor=actor, company=actor.company, title=data.pop("title"),  # type: ignore[attr-defined,arg-type]  # auth is a User
        description=data.pop("description"), template_ids=data.pop("template_ids"), **data)
    return 201, _course(course)


@router.patch("/courses/{course_id}", response=CourseOut, summary="修改课程（管理员）")
def update_course(request: HttpRequest, course_id: int, payload: CoursePatch) -> object:
    changes = payload.dict(exclude_unset=True)
    template_ids = changes.pop("template_ids", None)
    course = course_services.update_course(actor=request.auth, course_id=course_id,  # type: ignore[arg-type]  # auth is a User
                                           template_ids=template_ids, **changes)
    return _course(course)


@router.post("/courses/{course_id}/lessons", response={201: LessonOut},
             summary="添加课时（管理员；文本或视频链接）")
def add_lesson(request: HttpRequest, course_id: int, payload: LessonIn) -> object:
    lesson = course_services.add_lesson(actor=request.auth, course_id=course_id,  # type: ignore[arg-type]  # auth is a User
                                        title=payload.title, kind=payload.kind,
                                        body=payload.body, video_url=payload.video_url)
    return 201, _lesson(lesson)


@router.get("/courses/{course_id}/questions", response=list[BankQuestionOut],
            summary="题库（管理员，含答案）")
def list_questions(request: HttpRequest, course_id: int) -> object:
    course = access.get_course_for(request.auth, course_id, "manage")  # type: ignore[arg-type]  # auth is a User
    return [_question(q) for q in Question.objects.filter(course=course).order_by("pk")]


@router.post("/courses/{course_id}/questions", response={201: BankQuestionOut},
             summary="添加题目（管理员）")
def add_question(request: HttpRequest, course_id: int, payload: QuestionIn) -> object:
    question = course_services.save_question(
        actor=request.auth, course_id=course_id, kind=payload.kind, text=payload.text,  # type: ignore[arg-type]  # auth is a User
        options=payload.options, correct=payload.correct, explanation=payload.explanation)
    return 201, _question(question)


@router.put("/courses/{course_id}/questions/{question_id}", response=BankQuestionOut,
            summary="修改题目（管理员）")
def update_question(request: HttpRequest, course_id: int, question_id: int,
                    payload: QuestionIn) -> object:
    question = course_services.save_question(
        actor=request.auth, course_id=course_id, question_id=question_id, kind=payload.kind,  # type: ignore[arg-type]  # auth is a User
        text=payload.text, options=payload.options, correct=payload.correct,
        explanation=payload.explanation)
    return _question(question)


@router.get("/courses/{course_id}", response=CourseOut, summary="课程详情")
def get_course(request: HttpRequest, course_id: int) -> object:
    return _course(access.get_course_for(request.auth, course_id))  # type: ignore[arg-type]  # auth is a User


@router.get("/me/progress", response=ProgressOut, summary="我的培训")
def my_progress(request: HttpRequest) -> object:
    my = queries.my_training(request.auth)  # type: ignore[arg-type]  # auth is a User
    return {"assigned": [_assignment(a) for a in my.assigned],
            "overdue_ids": [a.pk for a in my.overdue], "due_soon_ids": [a.pk for a in my.due_soon],
            "in_progress_attempt_ids": [a.pk for a in my.in_progress],
            "certificates": [_certificate(c) for c in my.certificates]}


@router.get("/me/certificates", response=list[CertificateOut], summary="我的证书")
def my_certificates(request: HttpRequest) -> object:
    return [_certificate(c) for c in queries.my_training(request.auth).certificates]  # type: ignore[arg-type]  # auth is a User


@router.get("/me/assignments", response=list[AssignmentOut], summary="我的培训任务")
def my_assignments(request: HttpRequest) -> object:
    return [_assignment(a) for a in Assignment.objects.filter(user=request.auth).select_related(
        "course")[:500]]


@router.get("/courses/{course_id}/assignments", response=list[AssignmentOut],
            summary="课程的培训任务（管理员）")
def course_assignments(request: HttpRequest, course_id: int) -> object:
    course = access.get_course_for(request.auth, course_id, "manage")  # type: ignore[arg-type]  # auth is a User
    return [_assignment(a) for a in queries.assignments_of_course(course)[:1000]]


@router.post("/courses/{course_id}/assignments", response={201: list[AssignmentOut]},
             summary="分配课程（管理员）")
def assign_course(request: HttpRequest, course_id: int, payload: AssignIn) -> object:
    created = assignment_services.assign_course(
        actor=request.auth, course_id=course_id, user_ids=payload.user_ids,  # type: ignore[arg-type]  # auth is a User
        position_ids=payload.position_ids, department_ids=payload.department_ids,
        roles=payload.roles, due_at=payload.due_at, note=payload.note)
    return 201, [_assignment(a) for a in created]


@router.post("/courses/{course_id}/attempts", response={201: AttemptOut}, summary="开始考试")
def start_attempt(request: HttpRequest, course_id: int) -> object:
    attempt = attempt_services.start_attempt(actor=request.auth, course_id=course_id)  # type: ignore[arg-type]  # auth is a User
    return 201, _attempt(attempt)


@router.get("/attempts/{attempt_id}", response=AttemptOut, summary="考试详情")
def get_attempt(request: HttpRequest, attempt_id: int) -> object:
    return _attempt(access.get_attempt_for(request.auth, attempt_id))  # type: ignore[arg-type]  # auth is a User


@router.post("/attempts/{attempt_id}/answers", response=AttemptOut, summary="作答一题")
def answer(request: HttpRequest, attempt_id: int, payload: AnswerIn) -> object:
    return _attempt(attempt_services.answer_question(
        actor=request.auth, attempt_id=attempt_id, question_id=payload.question_id,  # type: ignore[arg-type]  # auth is a User
        choices=payload.choices))


@router.post("/attempts/{attempt_id}/submit", response=AttemptOut, summary="交卷")
def submit(request: HttpRequest, attempt_id: int, payload: SubmitIn) -> object:
    return _attempt(attempt_services.submit_attempt(actor=request.auth, attempt_id=attempt_id,  # type: ignore[arg-type]  # auth is a User
                                                    answers=payload.answers))


def _course(course: Course) -> dict[str, Any]:
    return {"id": course.pk, "title": course.title, "description": course.description,
            "template_ids": [t.pk for t in course.templates.all()], "is_gate": course.is_gate,
            "pass_mark": course.pass_mark, "questions_per_attempt": course.questions_per_attempt,
            "max_attempts": course.max_attempts, "cooldown_minutes": course.cooldown_minutes,
            "validity_months": course.validity_months,
            "lessons": [{"id": lesson.pk, "title": lesson.title, "kind": lesson.kind,
                         "body": lesson.body, "video_url": lesson.video_url,
                         "file_name": lesson.file_name} for lesson in course.lessons.all()],
            "link": queries.course_link(course.pk)}


def _lesson(lesson: Lesson) -> dict[str, Any]:
    return {"id": lesson.pk, "course_id": lesson.course_id, "order": lesson.order,
            "title": lesson.title, "kind": lesson.kind, "body": lesson.body,
            "video_url": lesson.video_url}


def _question(question: Question) -> dict[str, Any]:
    return {"id": question.pk, "course_id": question.course_id, "kind": question.kind,
            "text": question.text, "options": list(question.options),
            "correct": list(question.correct), "explanation": question.explanation,
            "is_active": question.is_active}


def _assignment(assignment: Assignment) -> dict[str, Any]:
    return {"id": assignment.pk, "course_id": assignment.course_id,
            "course_title": assignment.course.title, "user_id": assignment.user_id,
            "status": assignment.status, "reason": assignment.reason, "note": assignment.note,
            "due_at": assignment.due_at, "assigned_at": assignment.assigned_at,
            "completed_at": assignment.completed_at}


def _certificate(certificate: Certificate) -> dict[str, Any]:
    from sopflow.core.clock import clock

    return {"id": certificate.pk, "course_id": certificate.course_id,
            "course_title": certificate.course.title, "status": certificate.status,
            "is_valid": certificate.is_valid_at(clock.now()), "score": certificate.score,
            "issued_at": certificate.issued_at, "expires_at": certificate.expires_at}


def _attempt(attempt: Attempt) -> dict[str, Any]:
    # Keys and explanations only after submitting (in `feedback`).
    return {"id": attempt.pk, "course_id": attempt.course_id, "status": attempt.status,
            "questions": [{"id": q["id"], "kind": q["kind"], "text": q["text"],
                           "options": q["options"]} for q in attempt.drawn],
            "answers": attempt.answers, "score": attempt.score, "is_passed": attempt.is_passed,
            "feedback": attempt.feedback, "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at}
