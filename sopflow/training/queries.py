"""Read side of training: the gate check, 我的培训, a course's progress for one person, the
team view and the HR dashboard figures (ORM aggregations only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sopflow.core.clock import clock
from sopflow.core.sql import cursor
from sopflow.form_templates.gates import GateRefusal
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, User

from .models import Assignment, Attempt, Certificate, Course, Exemption, PracticeRun

DUE_SOON_DAYS = 7


def course_link(course_id: int) -> str:
    try:
        return reverse("web:training-course", args=[course_id])
    except NoReverseMatch:
        return f"/training/courses/{course_id}/"


def team_link() -> str:
    try:
        return reverse("web:training-team")
    except NoReverseMatch:
        return "/training/team/"


def local_date(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def has_valid_certificate(user: User, course: Course, now: datetime) -> bool:
    return Certificate.objects.filter(course=course, user=user, status=Certificate.Status.ACTIVE,
                                      expires_at__gt=now).exists()


def gate_refusals(user: User, template: FormTemplate) -> list[GateRefusal]:
    """The training gate: every active gate course linked to the template needs a valid
    (active, unexpired) certificate, unless a process admin granted a current exemption."""
    now = clock.now()
    # Every start and submit of every form asks this, and almost always the answer is "no
    # gate": a prepared EXISTS (decision 0010) before the ORM reads the courses.
    link = Course.templates.field
    with cursor() as c:
        c.execute(
            f"SELECT 1 FROM {link.m2m_db_table()} ct JOIN {Course._meta.db_table} c "  # noqa: S608  # names from model metadata
            f"ON c.id = ct.{link.m2m_column_name()} WHERE ct.{link.m2m_reverse_name()} = %s "
            "AND c.is_gate = %s AND c.is_active = %s LIMIT 1", [template.pk, True, True])
        if c.fetchone() is None:
            return []
    courses = list(Course.objects.filter(templates=template, is_gate=True, is_active=True))
    if not courses:
        return []
    if Exemption.objects.filter(template=template, user=user, revoked_at__isnull=True,
                                expires_at__gt=now).exists():
        return []
    return [GateRefusal(f"提交“{template.name}”前需要通过课程《{course.title}》的考试",
                        course_link(course.pk))
            for course in courses if not has_valid_certificate(user, course, now)]


@dataclass
class MyTraining:
    assigned: list[Assignment] = field(default_factory=list)
    due_soon: list[Assignment] = field(default_factory=list)
    overdue: list[Assignment] = field(default_factory=list)
    in_progress: list[Attempt] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    completed: list[Assignment] = field(default_factory=list)


def my_training(user: User, now: datetime | None = None) -> MyTraining:
    """我的培训: open assignments (due soon and overdue picked out), unfinished attempts,
    certificates, and recently completed assignments."""
    now = now or clock.now()
    mine = Assignment.objects.filter(user=user).select_related("course")
    result = MyTraining()
    result.assigned = list(mine.filter(status=Assignment.Status.OPEN))
    result.overdue = [a for a in result.assigned if a.due_at is not None and a.due_at < now]
    result.due_soon = [a for a in result.assigned if a.due_at is not None
                       and now <= a.due_at <= now + timedelta(days=DUE_SOON_DAYS)]
    result.in_progress = list(Attempt.objects.filter(
        user=user, status=Attempt.Status.IN_PROGRESS).select_related("course"))
    result.certificates = list(Certificate.objects.filter(user=user).select_related("course"))
    result.completed = list(mine.filter(status=Assignment.Status.COMPLETED).order_by(
        "-completed_at")[:10])
    return result


@dataclass
class CourseProgress:
    certificate: Certificate | None
    is_valid: bool
    assignment: Assignment | None
    attempts: list[Attempt]
    open_attempt: Attempt | None
    practice_passed: bool
    refusal: str


def course_progress(user: User, course: Course) -> CourseProgress:
    from .services.attempts import attempt_refusal

    now = clock.now()
    certificate = Certificate.objects.filter(course=course, user=user).first()
    attempts = list(Attempt.objects.filter(course=course, user=user)[:20])
    return CourseProgress(
        certificate=certificate,
        is_valid=certificate is not None and certificate.is_valid_at(now),
        assignment=Assignment.objects.filter(course=course, user=user,
                                             status=Assignment.Status.OPEN).first(),
        attempts=[a for a in attempts if a.status == Attempt.Status.SUBMITTED],
        open_attempt=next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None),
        practice_passed=PracticeRun.objects.filter(course=course, user=user,
                                                   is_passed=True).exists(),
        refusal=attempt_refusal(user, course, now))


def assignments_of_course(course: Course) -> QuerySet[Assignment]:
    return course.assignments.select_related("user", "user__department").order_by(
        "status", "due_at", "pk")


@dataclass
class TeamRow:
    person: User
    open_count: int
    overdue_count: int
    valid_certificates: int
    assignments: list[Assignment]


def team_progress(people: QuerySet[User], now: datetime | None = None) -> list[TeamRow]:
    """One row per person: open and overdue assignments, valid certificates (3 queries)."""
    now = now or clock.now()
    people_list = list(people)
    ids = [p.pk for p in people_list]
    open_by: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in Assignment.objects.filter(user_id__in=ids, status=Assignment.Status.OPEN
                                                ).select_related("course"):
        open_by[assignment.user_id].append(assignment)
    valid = dict(Certificate.objects.filter(user_id__in=ids, status=Certificate.Status.ACTIVE,
                                            expires_at__gt=now).values("user_id").annotate(
        n=Count("pk")).values_list("user_id", "n"))
    return [TeamRow(person=p, open_count=len(open_by[p.pk]),
                    overdue_count=sum(1 for a in open_by[p.pk] if a.due_at and a.due_at < now),
                    valid_certificates=valid.get(p.pk, 0), assignments=open_by[p.pk])
            for p in people_list]


def dashboard(company: Company, now: datetime | None = None) -> dict[str, Any]:
    """HR figures: completion and pass rates by course, department and position, overdue
    trainees, average scores, the hardest questions, and per template the error rate of
    submissions before and after their authors passed a linked course."""
    now = now or clock.now()
    assignments = Assignment.objects.filter(course__company=company).exclude(
        status=Assignment.Status.CANCELLED)
    attempts = Attempt.objects.filter(course__company=company, status=Attempt.Status.SUBMITTED)

    def rates(key: str, label: str) -> list[dict[str, Any]]:
        done = {row[key]: row for row in assignments.values(key, label).annotate(
            total=Count("pk"), completed=Count("pk", filter=Q(
                status=Assignment.Status.COMPLETED)))}
        tried = {row[key]: row for row in attempts.values(key).annotate(
            total=Count("pk"), passed=Count("pk", filter=Q(is_passed=True)),
            average=Avg("score"))}
        rows = []
        for value in sorted(set(done) | set(tried), key=lambda v: (v is None, v)):
            a, t = done.get(value, {}), tried.get(value, {})
            rows.append({"label": a.get(label) or _label(attempts, key, label, value),
                         "assigned": a.get("total", 0), "completed": a.get("completed", 0),
                         "completion_rate": _percent(a.get("completed", 0), a.get("total", 0)),
                         "attempts": t.get("total", 0),
                         "pass_rate": _percent(t.get("passed", 0), t.get("total", 0)),
                         "average_score": round(t["average"]) if t.get("average") else None})
        return rows

    return {
        "by_course": rates("course_id", "course__title"),
        "by_department": rates("user__department_id", "user__department__name"),
        "by_position": rates("user__position_id", "user__position__name"),
        "overdue": list(assignments.filter(status=Assignment.Status.OPEN, due_at__lt=now)
                        .select_related("user", "user__department", "course")
                        .order_by("due_at")[:50]),
        "average_score": round(attempts.aggregate(a=Avg("score"))["a"] or 0),
        "hardest": hardest_questions(attempts),
        "error_rates": template_error_rates(company),
    }


def hardest_questions(attempts: QuerySet[Attempt], limit: int = 10) -> list[dict[str, Any]]:
    """Questions with the lowest share of right answers (at least 3 answers)."""
    seen: dict[int, dict[str, Any]] = {}
    for feedback, title in attempts.values_list("feedback", "course__title"):
        for item in feedback or []:
            row = seen.setdefault(item["id"], {"id": item["id"], "text": item["text"],
                                               "course": title, "asked": 0, "right": 0})
            row["asked"] += 1
            row["right"] += 1 if item.get("is_correct") else 0
    rows = [row | {"right_rate": _percent(row["right"], row["asked"])}
            for row in seen.values() if row["asked"] >= 3]
    return sorted(rows, key=lambda row: (row["right_rate"], -row["asked"]))[:limit]


def template_error_rates(company: Company) -> list[dict[str, Any]]:
    """Per template with a course: the share of items returned or rejected at least once,
    split by whether the author had passed a linked course when the item started. Reads the
    workflow's instances and events when that app is installed; otherwise no rows."""
    from django.apps import apps

    try:
        instance_model: Any = apps.get_model("workflow", "Instance")
        event_model: Any = apps.get_model("workflow", "InstanceEvent")
    except LookupError:
        return []
    rows = []
    for template in FormTemplate.objects.filter(company=company,
                                                courses__isnull=False).distinct():
        first_pass: dict[int, datetime] = {}
        for user_id, moment in Attempt.objects.filter(
                course__templates=template, is_passed=True).values_list("user_id",
                                                                         "submitted_at"):
            if moment is not None and (user_id not in first_pass or moment < first_pass[user_id]):
                first_pass[user_id] = moment
        instances = instance_model.objects.filter(template=template)
        erred = set(event_model.objects.filter(
            instance__template=template,
            verb__in=["workflow.task.returned", "workflow.task.rejected"]).values_list(
            "instance_id", flat=True))
        counts = {"before": [0, 0], "after": [0, 0]}
        for pk, author_id, started_at in instances.values_list("pk", "initiator_id",
                                                               "started_at"):
            passed = first_pass.get(author_id)
            side = counts["after" if passed is not None and started_at >= passed else "before"]
            side[0] += 1
            side[1] += 1 if pk in erred else 0
        rows.append({"template": template.name,
                     "before_total": counts["before"][0],
                     "before_rate": _percent(counts["before"][1], counts["before"][0]),
                     "after_total": counts["after"][0],
                     "after_rate": _percent(counts["after"][1], counts["after"][0])})
    return rows


def _label(attempts: QuerySet[Attempt], key: str, label: str, value: Any) -> str:
    row = attempts.filter(**{key: value}).values_list(label, flat=True).first()
    return str(row) if row else "（未分配）"


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None
