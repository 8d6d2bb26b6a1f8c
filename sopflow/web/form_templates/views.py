"""Template library, fill/read-only/practice pages, uploads and file serving (thin over services)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError, NotFound
from sopflow.form_templates import access, gates, queries
from sopflow.form_templates.models import Attachment, Submission, TemplateVersion
from sopflow.form_templates.services import attachments as attachment_services
from sopflow.form_templates.services import submissions as submission_services
from sopflow.form_templates.services import templates as template_services
from sopflow.org.access import departments_visible_to, employees_visible_to

from . import render as form_render

View = Callable[..., HttpResponse]


def not_found_as_404(view: View) -> View:
    """Domain NotFound becomes the ordinary 404 page (no existence leak)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error

    return wrapper


# --- library ------------------------------------------------------------------------------------


def template_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "")
    library = queries.library_for(request.user, search=search)  # type: ignore[arg-type]  # logged in
    company = request.user.company  # type: ignore[union-attr]  # logged in
    return render(request, "web/form_templates/template_list.html", {
        "library": library, "q": search,
        "can_manage": access.can_manage_templates(request.user, company),  # type: ignore[arg-type]  # logged in
        "drafts": queries.my_submissions(request.user).filter(  # type: ignore[arg-type]  # logged in
            status=Submission.Status.DRAFT)[:10],
        "notices": queries.unread_notices_for(request.user)[:10],  # type: ignore[arg-type]  # logged in
    })


def template_pushed(request: HttpRequest) -> HttpResponse:
    """htmx fragment for 工作台: templates pushed to me first, then a few others."""
    library = queries.library_for(request.user)  # type: ignore[arg-type]  # logged in
    return render(request, "web/form_templates/_pushed.html", {
        "templates": (library.pushed + library.others)[:8], "pushed": library.pushed})


@not_found_as_404
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    template = access.get_template_for(request.user, template_id, "view")  # type: ignore[arg-type]  # logged in
    version = template.current_version
    manager = access.can_manage_templates(request.user, template.company)  # type: ignore[arg-type]  # logged in
    return render(request, "web/form_templates/template_detail.html", {
        "template": template, "version": version, "can_manage": manager,
        "gate_refusals": gates.check_start_gates(request.user, template),  # type: ignore[arg-type]  # logged in
        "sop_html": form_render.render_markdown(version.sop_instructions) if version else "",
        "versions": queries.versions_of(template),
        "can_start": version is not None and access.is_in_scope(request.user, template.scope),  # type: ignore[arg-type]  # logged in
        "acknowledged": version is not None and version.acknowledgements.filter(
            user=request.user).exists(),
    })


@not_found_as_404
def template_versions(request: HttpRequest, template_id: int) -> HttpResponse:
    template = access.get_template_for(request.user, template_id, "view")  # type: ignore[arg-type]  # logged in
    return render(request, "web/form_templates/template_versions.html", {
        "template": template, "versions": queries.versions_of(template)})


@require_POST
@not_found_as_404
def version_acknowledge(request: HttpRequest, version_id: int) -> HttpResponse:
    ack = template_services.acknowledge_version(actor=request.user, version_id=version_id)  # type: ignore[arg-type]  # logged in
    messages.success(request, gettext("已确认阅读"))
    return redirect("web:template-detail", ack.version.template_id)


# --- filling ------------------------------------------------------------------------------------


@require_POST
@not_found_as_404
def submission_start(request: HttpRequest, template_id: int) -> HttpResponse:
    try:
        submission = submission_services.start_submission(actor=request.user,  # type: ignore[arg-type]  # logged in
                                                          template_id=template_id)
    except DomainError as error:
        if error.code != "gate_refused":  # the template page shows gate refusals with links
            messages.error(request, error.message)
        return redirect("web:template-detail", template_id)
    return redirect("web:submission-fill", submission.pk)


@not_found_as_404
def submission_fill(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access.get_submission_for(request.user, submission_id, "view")  # type: ignore[arg-type]  # logged in
    if submission.status != Submission.Status.DRAFT or submission.author_id != request.user.pk:
        return redirect("web:submission-detail", submission.pk)
    return _fill_page(request, submission, submission.values, {})


@require_POST
@not_found_as_404
def submission_autosave(request: HttpRequest, submission_id: int) -> HttpResponse:
    """htmx: save the draft and answer with computed values, field errors and the new revision."""
    submission = access.get_submission_for(request.user, submission_id, "edit")  # type: ignore[arg-type]  # logged in
    values = form_render.values_from_post(submission.version.schema, request.POST)
    try:
        submission = submission_services.update_draft(
            actor=request.user, submission_id=submission.pk, values=values,  # type: ignore[arg-type]  # logged in
            revision=_int(request.POST.get("revision")))
    except DomainError as error:
        return render(request, "web/form_templates/_save_status.html",
                      {"error": error.message}, status=409 if error.status == 409 else 422)
    evaluation = submission_services.live_evaluation(submission.version, values,
                                                     request.LANGUAGE_CODE,
                                                     company=submission.company)
    return _live_response(request, submission.version, evaluation, {
        "submission": submission, "saved_at": timezone.localtime(submission.updated_at)})


@require_POST
@not_found_as_404
def submission_submit(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access.get_submission_for(request.user, submission_id, "edit")  # type: ignore[arg-type]  # logged in
    values = form_render.values_from_post(submission.version.schema, request.POST)
    try:
        submission = submission_services.submit_submission(
            actor=request.user, submission_id=submission.pk, values=values,  # type: ignore[arg-type]  # logged in
            language=request.LANGUAGE_CODE, urgent=request.POST.get("urgent") == "1")
    except DomainError as error:
        submission.refresh_from_db()
        errors = {str(item["field"]): str(item["message"]) for item in error.details}
        return _fill_page(request, submission, values, errors, message=error.message, status=422)
    messages.success(request, gettext("已提交"))
    instance = getattr(submission, "workflow_instance", None)
    if instance is not None:
        return redirect("web:approval-item", instance.pk)
    return redirect("web:submission-detail", submission.pk)


@not_found_as_404
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = access.get_submission_for(request.user, submission_id, "view")  # type: ignore[arg-type]  # logged in
    return render(request, "web/form_templates/submission_detail.html", {
        "submission": submission,
        "fields": _readonly_fields(request, submission),
        "can_edit": submission.status == Submission.Status.DRAFT
        and submission.author_id == request.user.pk,
    })


def submission_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/form_templates/submission_list.html", {
        "submissions": queries.my_submissions(request.user)[:200]})  # type: ignore[arg-type]  # logged in


# --- practice -----------------------------------------------------------------------------------


@not_found_as_404
def template_practice(request: HttpRequest, template_id: int) -> HttpResponse:
    """Fill in a sandbox: POST reports every error like a real submit; nothing is stored."""
    template = access.get_template_for(request.user, template_id, "view")  # type: ignore[arg-type]  # logged in
    version = template.current_version
    if version is None:
        raise Http404("模板尚未发布")
    values: dict[str, Any] = {}
    report = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = form_render.values_from_post(version.schema, request.POST)
        report = submission_services.practice_check(
            actor=request.user, template_id=template.pk, values=values,  # type: ignore[arg-type]  # logged in
            language=request.LANGUAGE_CODE)
        errors = report.evaluation.errors_by_field()
    evaluation = report.evaluation if report else submission_services.live_evaluation(
        version, values, request.LANGUAGE_CODE)
    return render(request, "web/form_templates/practice.html", {
        "template": template, "version": version, "report": report,
        "fields": _fields(request, version, values, evaluation.computed, errors,
                          hidden=evaluation.hidden),
    }, status=200)


@require_POST
@not_found_as_404
def version_calc(request: HttpRequest, version_id: int) -> HttpResponse:
    """htmx: computed values and live errors for a version (practice and preview; no writes)."""
    version = access.get_version_for(request.user, version_id, "view")  # type: ignore[arg-type]  # logged in
    values = form_render.values_from_post(version.schema, request.POST)
    evaluation = submission_services.live_evaluation(version, values, request.LANGUAGE_CODE,
                                                     company=request.user.company)  # type: ignore[union-attr]  # logged in
    return _live_response(request, version, evaluation, {})


# --- files --------------------------------------------------------------------------------------


@require_POST
@not_found_as_404
def attachment_upload(request: HttpRequest) -> HttpResponse:
    """Multipart upload for a draft (submission) or a practice run (version); JSON answer."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"code": "validation_failed", "message": "请选择文件"}, status=422)
    try:
        attachment = attachment_services.upload_attachment(
            actor=request.user, field_key=request.POST.get("field", ""),  # type: ignore[arg-type]  # logged in
            file_name=upload.name or "", content=upload.read(),
            submission_id=_int(request.POST.get("submission")),
            version_id=_int(request.POST.get("version")))
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": error.message}, status=error.status)
    return JsonResponse(_attachment_json(attachment), status=201)


@not_found_as_404
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = access.get_attachment_for(request.user, attachment_id)  # type: ignore[arg-type]  # logged in
    return _serve(attachment, attachment.storage_path, attachment.content_type,
                  inline=attachment.is_image or attachment.kind == "pdf")


@not_found_as_404
def attachment_thumbnail(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = access.get_attachment_for(request.user, attachment_id)  # type: ignore[arg-type]  # logged in
    if not attachment.thumbnail_path:
        raise Http404("没有缩略图")
    return _serve(attachment, attachment.thumbnail_path, "image/jpeg", inline=True)


# --- helpers ------------------------------------------------------------------------------------


def _fill_page(request: HttpRequest, submission: Submission, values: dict[str, Any],
               errors: dict[str, str], *, message: str = "", status: int = 200) -> HttpResponse:
    evaluation = submission_services.live_evaluation(submission.version, values,
                                                     request.LANGUAGE_CODE,
                                                     company=submission.company)
    return render(request, "web/form_templates/submission_fill.html", {
        "submission": submission, "template": submission.template,
        "version": submission.version, "error_message": message,
        "sop_html": form_render.render_markdown(submission.version.sop_instructions),
        "fields": _fields(request, submission.version, values, evaluation.computed, errors,
                          submission=submission, hidden=evaluation.hidden),
    }, status=status)


def _fields(request: HttpRequest, version: TemplateVersion, values: dict[str, Any],
            computed: dict[str, Any], errors: dict[str, str],
            submission: Submission | None = None,
            hidden: frozenset[str] | None = None) -> list[form_render.FieldView]:
    user = request.user
    kinds = {field.get("type") for field in _all_fields(version.schema)}
    people = []
    if "person" in kinds:
        people = [(person.pk, person.name) for person in employees_visible_to(user).filter(  # type: ignore[arg-type]  # logged in
            company_id=version.template.company_id, is_active=True).order_by("name")]
    departments = []
    if "department" in kinds:
        departments = [(item.pk, item.name) for item in departments_visible_to(user).filter(  # type: ignore[arg-type]  # logged in
            company_id=version.template.company_id, is_active=True)]
    files = {}
    if submission is not None:
        files = {item.pk: item for item in Attachment.objects.filter(submission=submission)}
    return form_render.build_fields(version.schema, values, computed=computed, errors=errors,
                                    files=files, people=people, departments=departments,
                                    hidden=hidden)


def _readonly_fields(request: HttpRequest,
                     submission: Submission) -> list[form_render.FieldView]:
    """The submission's fields as stored, hiding those whose display condition is false."""
    hidden = submission_services.live_evaluation(submission.version, submission.values,
                                                 request.LANGUAGE_CODE).hidden
    return _fields(request, submission.version, submission.values, submission.computed, {},
                   submission=submission, hidden=hidden)


def _all_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for item in schema.get("fields", []):
        found.append(item)
        found.extend(item.get("columns", []))
    return found


def _live_response(request: HttpRequest, version: TemplateVersion, evaluation: Any,
                   extra: dict[str, Any]) -> HttpResponse:
    fields = form_render.build_fields(version.schema, {}, computed=evaluation.computed,
                                      errors=evaluation.errors_by_field(),
                                      hidden=evaluation.hidden)
    return render(request, "web/form_templates/_live.html", {"fields": fields, **extra})


def _serve(attachment: Attachment, path: str, content_type: str, *, inline: bool) -> HttpResponse:
    try:
        handle = default_storage.open(path, "rb")
    except FileNotFoundError as error:
        raise Http404("文件不存在") from error
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


def _attachment_json(attachment: Attachment) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "id": attachment.pk, "name": attachment.original_name, "size": attachment.size,
        "kind": attachment.kind, "url": reverse("web:attachment-download", args=[attachment.pk]),
        "thumbnail_url": reverse("web:attachment-thumbnail", args=[attachment.pk])
        if attachment.thumbnail_path else "",
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
