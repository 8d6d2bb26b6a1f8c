"""Training pages for everyone: 我的培训, the course player (lessons → practice → quiz), the
attempt and its feedback, the manager's team view and the HR dashboard (thin over services)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from sopflow.core.clock import clock
from sopflow.core.errors import DomainError
from sopflow.form_templates.models import Attachment
from sopflow.training import access, queries
from sopflow.training.services import attempts as attempt_services
from sopflow.web.form_templates import render as form_render
from sopflow.web.form_templates.views import not_found_as_404


def my_training(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "web/training/my_training.html", {
        "my": queries.my_training(user), "now": clock.now(),  # type: ignore[arg-type]  # logged in
        "can_manage": access.can_manage_training(user, user.company),  # type: ignore[arg-type, union-attr]  # logged in
        "has_team": access.team_of(user).exists(),  # type: ignore[arg-type]  # logged in
    })


def home_card(request: HttpRequest) -> HttpResponse:
    """htmx fragment for 工作台: open courses (due soonest first) and certificate count."""
    return render(request, "web/training/_home_card.html", {
        "my": queries.my_training(request.user), "now": clock.now()})  # type: ignore[arg-type]  # logged in


@not_found_as_404
def course_page(request: HttpRequest, course_id: int) -> HttpResponse:
    course = access.get_course_for(request.user, course_id)  # type: ignore[arg-type]  # logged in
    return render(request, "web/training/course.html", {
        "course": course, "lessons": list(course.lessons.all()),
        "templates": list(course.templates.all()),
        "progress": queries.course_progress(request.user, course),  # type: ignore[arg-type]  # logged in
        "can_manage": access.can_manage_training(request.user, course.company),  # type: ignore[arg-type]  # logged in
    })


@not_found_as_404
def lesson_page(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = access.get_lesson_for(request.user, lesson_id)  # type: ignore[arg-type]  # logged in
    lessons = list(lesson.course.lessons.all())
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    return render(request, "web/training/lesson.html", {
        "lesson": lesson, "course": lesson.course,
        "body_html": form_render.render_markdown(lesson.body),
        "previous": lessons[index - 1] if index > 0 else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        "position": index + 1, "count": len(lessons),
    })


@csp_override({"default-src": [CSP.NONE], "frame-ancestors": [CSP.SELF]})
@xframe_options_sameorigin
@not_found_as_404
def lesson_file(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The lesson's file, permission-checked; PDFs and videos inline (for preview), the rest
    as downloads."""
    lesson = access.get_lesson_for(request.user, lesson_id)  # type: ignore[arg-type]  # logged in
    if not lesson.file_path:
        raise Http404("没有文件")
    try:
        handle = default_storage.open(lesson.file_path, "rb")
    except FileNotFoundError as error:
        raise Http404("文件不存在") from error
    inline = lesson.file_kind in {"pdf", "video", "jpg", "png"}
    response = FileResponse(handle, content_type=lesson.content_type, as_attachment=not inline,
                            filename=lesson.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@not_found_as_404
def practice_page(request: HttpRequest, course_id: int) -> HttpResponse:
    """The linked template's practice form with the task brief; POST reports each mistake."""
    course = access.get_course_for(request.user, course_id)  # type: ignore[arg-type]  # logged in
    template = course.practice_template
    if template is None or template.current_version is None:
        raise Http404("本课程没有练习题")
    version = template.current_version
    values: dict[str, Any] = {}
    run = None
    if request.method == "POST":
        values = form_render.values_from_post(version.schema, request.POST)
        run = attempt_services.check_practice_exercise(
            actor=request.user, course_id=course.pk, values=values,  # type: ignore[arg-type]  # logged in
            language=request.LANGUAGE_CODE)
    files = {item.pk: item for item in Attachment.objects.filter(
        owner=request.user, submission__isnull=True, version=version)} if values else {}
    fields = form_render.build_fields(version.schema, values, computed={}, errors={},
                                      files=files, people=[], departments=[])
    return render(request, "web/training/practice.html", {
        "course": course, "template": template, "version": version, "run": run,
        "fields": fields, "brief_html": form_render.render_markdown(course.practice_brief),
    })


@require_POST
@not_found_as_404
def quiz_start(request: HttpRequest, course_id: int) -> HttpResponse:
    try:
        attempt = attempt_services.start_attempt(actor=request.user, course_id=course_id)  # type: ignore[arg-type]  # logged in
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:training-course", course_id)
    return redirect("web:training-attempt", attempt.pk)


@not_found_as_404
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = access.get_attempt_for(request.user, attempt_id)  # type: ignore[arg-type]  # logged in
    template_name = ("web/training/attempt.html" if attempt.status == "in_progress"
                     else "web/training/attempt_result.html")
    return render(request, template_name, {
        "attempt": attempt, "course": attempt.course,
        "questions": _questions(attempt.drawn, attempt.answers),
        "feedback": [_feedback(item) for item in attempt.feedback],
        "progress": queries.course_progress(request.user, attempt.course),  # type: ignore[arg-type]  # logged in
    })


@require_POST
@not_found_as_404
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = access.get_attempt_for(request.user, attempt_id)  # type: ignore[arg-type]  # logged in
    answers = {str(q["id"]): [int(v) for v in request.POST.getlist(f"q{q['id']}")
                              if v.isdigit()] for q in attempt.drawn}
    try:
        attempt = attempt_services.submit_attempt(actor=request.user, attempt_id=attempt.pk,  # type: ignore[arg-type]  # logged in
                                                  answers=answers)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("web:training-attempt", attempt.pk)


def team_page(request: HttpRequest) -> HttpResponse:
    people = access.team_of(request.user)  # type: ignore[arg-type]  # logged in
    return render(request, "web/training/team.html", {"rows": queries.team_progress(people)})


def dashboard_page(request: HttpRequest) -> HttpResponse:
    company = request.user.company  # type: ignore[union-attr]  # logged in
    if not access.can_view_dashboard(request.user, company):  # type: ignore[arg-type]  # logged in
        return render(request, "web/training/forbidden.html", status=403)
    return render(request, "web/training/dashboard.html", {
        "data": queries.dashboard(company)})  # type: ignore[arg-type]  # has a company


def _questions(drawn: list[dict[str, Any]], answers: dict[str, list[int]]) -> list[dict[str, Any]]:
    return [{"id": q["id"], "number": n, "text": q["text"], "kind": q["kind"],
             "input": "checkbox" if q["kind"] == "multiple" else "radio",
             "options": [{"index": i, "label": label,
                          "checked": i in answers.get(str(q["id"]), [])}
                         for i, label in enumerate(q["options"])]}
            for n, q in enumerate(drawn, start=1)]


def _feedback(item: dict[str, Any]) -> dict[str, Any]:
    return item | {"options_view": [
        {"label": label, "chosen": i in item["chosen"], "right": i in item["correct"]}
        for i, label in enumerate(item["options"])]}

