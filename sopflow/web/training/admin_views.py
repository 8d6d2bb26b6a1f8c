"""Training admin pages for HR and process admins: courses (also from a template in one click),
lessons, questions, assignments, onboarding programmes, gate exemptions and retraining rules."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError
from sopflow.form_templates import access as template_access
from sopflow.org.access import has_role
from sopflow.org.models import RoleAssignment
from sopflow.org.queries import list_departments, list_employees, positions_of
from sopflow.training import access, queries
from sopflow.training.models import Course, Exemption, OnboardingProgramme, RetrainingRule
from sopflow.training.services import assignments as assignment_services
from sopflow.training.services import courses as course_services
from sopflow.training.services import retraining as retraining_services
from sopflow.web.form_templates.views import not_found_as_404

SETTINGS_INT = ("pass_mark", "questions_per_attempt", "max_attempts", "cooldown_minutes",
                "validity_months")


def _manager_only(request: HttpRequest) -> HttpResponse | None:
    if not access.can_manage_training(request.user, request.user.company):  # type: ignore[arg-type, union-attr]  # logged in
        return render(request, "web/training/forbidden.html", status=403)
    return None


def course_admin_list(request: HttpRequest) -> HttpResponse:
    if (refused := _manager_only(request)) is not None:
        return refused
    return render(request, "web/training/admin_list.html", {
        "courses": access.courses_visible_to(request.user).prefetch_related("templates"),  # type: ignore[arg-type]  # logged in
        "templates": template_access.templates_manageable_by(request.user)  # type: ignore[arg-type]  # logged in
        or template_access.templates_startable_by(request.user),  # type: ignore[arg-type]  # logged in
    })


@require_POST
def course_create(request: HttpRequest) -> HttpResponse:
    try:
        course = course_services.create_course(
            actor=request.user, company=request.user.company,  # type: ignore[arg-type, union-attr]  # logged in
            title=request.POST.get("title", ""), description=request.POST.get("description", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:training-admin")
    return redirect("web:training-course-edit", course.pk)


@require_POST
@not_found_as_404
def course_from_template(request: HttpRequest) -> HttpResponse:
    try:
        course = course_services.create_course_from_template(
            actor=request.user, template_id=int(request.POST.get("template_id") or 0))  # type: ignore[arg-type]  # logged in
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:training-admin")
    messages.success(request, gettext("已生成课程《%(title)s》，请检查课时和题目") % {"title": course.title})
    return redirect("web:training-course-edit", course.pk)


@not_found_as_404
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    if (refused := _manager_only(request)) is not None:
        return refused
    course = access.get_course_for(request.user, course_id, "manage")  # type: ignore[arg-type]  # logged in
    if request.method == "POST":
        changes: dict[str, Any] = {key: _int(request.POST.get(key)) for key in SETTINGS_INT
                                   if request.POST.get(key, "").strip()}
        changes |= {"title": request.POST.get("title", ""),
                    "description": request.POST.get("description", ""),
                    "practice_brief": request.POST.get("practice_brief", ""),
                    "is_gate": request.POST.get("is_gate") == "on",
                    "is_active": request.POST.get("is_active") == "on"}
        try:
            course_services.update_course(
                actor=request.user, course_id=course.pk,  # type: ignore[arg-type]  # logged in
                template_ids=[int(v) for v in request.POST.getlist("templates") if v.isdigit()],
                **changes)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("已保存"))
        return redirect("web:training-course-edit", course.pk)
    company = course.company
    linked = set(course.templates.values_list("pk", flat=True))
    return render(request, "web/training/admin_course.html", {
        "course": course, "lessons": course.lessons.all(),
        "questions": course.questions.all(), "lesson_kinds": course.lessons.model.Kind.choices,
        "question_kinds": course.questions.model.Kind.choices,
        "templates": [(t, t.pk in linked) for t in
                      template_access.templates_manageable_by(request.user)  # type: ignore[arg-type]  # logged in
                      or course.templates.all()],
        "assignments": queries.assignments_of_course(course)[:200],
        "positions": positions_of(company), "departments": list_departments(company),
        "employees": list_employees(company), "roles": RoleAssignment.Role.choices,
    })


@require_POST
@not_found_as_404
def lesson_add(request: HttpRequest, course_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        course_services.add_lesson(
            actor=request.user, course_id=course_id, title=request.POST.get("title", ""),  # type: ignore[arg-type]  # logged in
            kind=request.POST.get("kind", "text"), body=request.POST.get("body", ""),
            video_url=request.POST.get("video_url", ""),
            file_name=upload.name if upload else "", content=upload.read() if upload else None)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:training-course-edit", course_id)


@require_POST
@not_found_as_404
def lesson_delete(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = access.get_lesson_for(request.user, lesson_id, "manage")  # type: ignore[arg-type]  # logged in
    course_services.delete_lesson(actor=request.user, lesson_id=lesson.pk)  # type: ignore[arg-type]  # logged in
    return redirect("web:training-course-edit", lesson.course_id)


@require_POST
@not_found_as_404
def question_add(request: HttpRequest, course_id: int) -> HttpResponse:
    options = [line.strip() for line in request.POST.get("options", "").splitlines()
               if line.strip()]
    correct = [int(v) - 1 for v in request.POST.get("correct", "").replace("，", ",").split(",")
               if v.strip().isdigit()]
    question_id = request.POST.get("question_id", "")  # set: edit that question of the course
    try:
        course_services.save_question(
            actor=request.user, course_id=course_id, kind=request.POST.get("kind", "single"),  # type: ignore[arg-type]  # logged in
            question_id=int(question_id) if question_id.isdigit() else None,
            text=request.POST.get("text", ""), options=options, correct=correct,
            explanation=request.POST.get("explanation", ""))
        if question_id:
            messages.success(request, gettext("题目已保存"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:training-course-edit", course_id)


@require_POST
@not_found_as_404
def question_toggle(request: HttpRequest, question_id: int) -> HttpResponse:
    try:
        question = course_services.set_question_active(
            actor=request.user, question_id=question_id,  # type: ignore[arg-type]  # logged in
            is_active=request.POST.get("is_active") == "on")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:training-admin")
    return redirect("web:training-course-edit", question.course_id)


@require_POST
@not_found_as_404
def course_assign(request: HttpRequest, course_id: int) -> HttpResponse:
    try:
        created = assignment_services.assign_course(
            actor=request.user, course_id=course_id,  # type: ignore[arg-type]  # logged in
            user_ids=_ints(request.POST.getlist("users")),
            position_ids=_ints(request.POST.getlist("positions")),
            department_ids=_ints(request.POST.getlist("departments")),
            roles=request.POST.getlist("roles"), due_at=_end_of_day(request.POST.get("due_on")),
            note=request.POST.get("note", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("已分配给 %(created)s 人") % {"created": len(created)})
    return redirect("web:training-course-edit", course_id)


def programmes(request: HttpRequest) -> HttpResponse:
    if (refused := _manager_only(request)) is not None:
        return refused
    company = request.user.company  # type: ignore[union-attr]  # logged in
    if request.method == "POST":
        try:
            assignment_services.save_programme(
                actor=request.user, position_id=_int(request.POST.get("position")),  # type: ignore[arg-type]  # logged in
                name=request.POST.get("name", ""),
                within_days=_int(request.POST.get("within_days")) or 30,
                course_ids=_ints(request.POST.getlist("courses")),
                assign_current_holders=request.POST.get("assign_current") == "on")
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("已保存入职培训计划"))
        return redirect("web:training-programmes")
    return render(request, "web/training/admin_programmes.html", {
        "programmes": OnboardingProgramme.objects.filter(company=company).select_related(
            "position").prefetch_related("items__course"),
        "positions": positions_of(company),  # type: ignore[arg-type]  # has a company
        "courses": Course.objects.filter(company=company, is_active=True)})


def exemptions(request: HttpRequest) -> HttpResponse:
    company = request.user.company  # type: ignore[union-attr]  # logged in
    if not access.can_grant_exemption(request.user, company):  # type: ignore[arg-type]  # logged in
        return render(request, "web/training/forbidden.html", status=403)
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                assignment_services.revoke_exemption(actor=request.user,  # type: ignore[arg-type]  # logged in
                                                     exemption_id=_int(request.POST["revoke"]))
            else:
                assignment_services.grant_exemption(
                    actor=request.user, template_id=_int(request.POST.get("template")),  # type: ignore[arg-type]  # logged in
                    user_id=_int(request.POST.get("user")), reason=request.POST.get("reason", ""),
                    expires_at=_end_of_day(request.POST.get("until")) or timezone.now())
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("已保存"))
        return redirect("web:training-exemptions")
    gated = Course.objects.filter(company=company, is_gate=True).values("templates")
    return render(request, "web/training/admin_exemptions.html", {
        "exemptions": Exemption.objects.filter(template__company=company).select_related(
            "template", "user", "granted_by")[:200],
        "templates": template_access.templates_manageable_by(request.user).filter(pk__in=gated),  # type: ignore[arg-type]  # logged in
        "employees": list_employees(company)})  # type: ignore[arg-type]  # has a company


def rules(request: HttpRequest) -> HttpResponse:
    if (refused := _manager_only(request)) is not None:
        return refused
    company = request.user.company  # type: ignore[union-attr]  # logged in
    if request.method == "POST":
        try:
            retraining_services.save_rule(
                actor=request.user, template_id=_int(request.POST.get("template")),  # type: ignore[arg-type]  # logged in
                reason_category=request.POST.get("reason_category", ""),
                course_id=_int(request.POST.get("course")),
                threshold=_int(request.POST.get("threshold")) or 3,
                window_days=_int(request.POST.get("window_days")) or 30,
                suspend_certificate=request.POST.get("suspend") == "on")
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("已保存复训规则"))
        return redirect("web:training-rules")
    return render(request, "web/training/admin_rules.html", {
        "rules": RetrainingRule.objects.filter(company=company).select_related("template",
                                                                               "course"),
        "templates": template_access.templates_startable_by(request.user)  # type: ignore[arg-type]  # logged in
        if not has_role(request.user, RoleAssignment.Role.PROCESS_ADMIN, company=company)  # type: ignore[arg-type]  # logged in
        else template_access.templates_manageable_by(request.user),  # type: ignore[arg-type]  # logged in
        "courses": Course.objects.filter(company=company)})


def _int(value: str | None) -> int:
    return int(value) if value and value.strip().isdigit() else 0


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


def _end_of_day(text: str | None) -> datetime | None:
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()  # noqa: DTZ007  (a date only)
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59)))
