"""Template settings (metadata, SOP text with images, visibility scope), the 已阅读 report and
the print view of a submission. Thin over `services` and `queries`."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError, Forbidden
from sopflow.form_templates import access, queries
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services import attachments as attachment_services
from sopflow.form_templates.services import templates as template_services
from sopflow.org.models import Department, Position, RoleAssignment, User

from . import render as form_render
from .views import _readonly_fields, not_found_as_404

# Curated Tabler icons for templates (each exists in the vendored tabler-icons.min.css).
ICONS = (
    "ti-file-text", "ti-receipt", "ti-file-invoice", "ti-coin", "ti-cash", "ti-plane",
    "ti-car", "ti-beach", "ti-calendar-event", "ti-calendar-time", "ti-rubber-stamp",
    "ti-file-certificate", "ti-shopping-cart", "ti-package", "ti-truck", "ti-tool",
    "ti-device-laptop", "ti-pencil", "ti-notebook", "ti-notes", "ti-speakerphone",
    "ti-report", "ti-chart-bar", "ti-users", "ti-user-plus", "ti-briefcase", "ti-building",
    "ti-clipboard-list", "ti-clipboard-check", "ti-checklist", "ti-school", "ti-gift",
    "ti-heart-handshake", "ti-map-pin", "ti-shield-check", "ti-bulb", "ti-phone", "ti-mail",
)


def _manage(request: HttpRequest, template_id: int) -> FormTemplate | HttpResponse:
    try:
        return access.get_template_for(request.user, template_id, "manage")  # type: ignore[arg-type]  # logged in
    except Forbidden:
        return render(request, "web/form_templates/forbidden.html", status=403)


@not_found_as_404
def template_settings(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _manage(request, template_id)
    if isinstance(template, HttpResponse):
        return template
    draft = queries.draft_of(template)
    source = draft or template.current_version
    sop = source.sop_instructions if source else ""
    error = ""
    status = 200
    if request.method == "POST":
        post = request.POST
        sop = post.get("sop_instructions", "")
        owner = post.get("owner", "")
        try:
            template = template_services.update_template(
                actor=request.user, template_id=template.pk,  # type: ignore[arg-type]  # logged in
                name=post.get("name", ""), category=post.get("category", ""),
                icon=post.get("icon", "") or "ti-file-text",
                description=post.get("description", "").strip(),
                owner_id=int(owner) if owner.isdigit() else None,
                requires_ack=post.get("requires_ack") == "on",
                scope=_scope_from_post(template, post))
            template_services.save_sop_instructions(actor=request.user, template_id=template.pk,  # type: ignore[arg-type]  # logged in
                                                    text=sop)
        except DomainError as failure:
            error, status = failure.message, 422
            template.refresh_from_db()
        else:
            messages.success(request, gettext("已保存模板设置"))
            return redirect("web:template-settings", template.pk)
    return render(request, "web/form_templates/template_settings.html", {
        "template": template, "icons": ICONS, "categories": FormTemplate.Category.choices,
        "sop": sop, "sop_html": form_render.render_markdown(sop), "error": error,
        **_scope_context(template),
    }, status=status)


@require_POST
@not_found_as_404
def template_settings_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    """htmx: the SOP Markdown as the library will show it (markdown + nh3, server-side)."""
    template = _manage(request, template_id)
    if isinstance(template, HttpResponse):
        return template
    html = form_render.render_markdown(request.POST.get("sop_instructions", ""))
    return HttpResponse(html or '<span class="text-secondary">（空）</span>')


@require_POST
@not_found_as_404
def template_sop_image(request: HttpRequest, template_id: int) -> HttpResponse:
    """Upload an image for the SOP text; JSON with the permission-checked URL to insert."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"message": "请选择图片"}, status=422)
    try:
        attachment = attachment_services.upload_sop_image(
            actor=request.user, template_id=template_id,  # type: ignore[arg-type]  # logged in
            file_name=upload.name or "", content=upload.read())
    except Forbidden as failure:
        return JsonResponse({"message": failure.message}, status=403)
    except DomainError as failure:
        return JsonResponse({"message": failure.message}, status=failure.status)
    return JsonResponse({"id": attachment.pk, "name": attachment.original_name,
                         "url": reverse("web:attachment-download", args=[attachment.pk])},
                        status=201)


@not_found_as_404
def template_acks(request: HttpRequest, template_id: int) -> HttpResponse:
    """Who in scope has (not) confirmed 已阅读 for the current version; `?format=csv` exports."""
    template = _manage(request, template_id)
    if isinstance(template, HttpResponse):
        return template
    report = queries.ack_report(template)
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["工号", "姓名", "部门", "岗位", "状态", "确认时间"])
        for row in report.rows:
            person = row.user
            writer.writerow([
                person.employee_no, person.name,
                person.department.name if person.department else "",
                person.position.name if person.position else "",
                "已阅读" if row.acknowledged_at else "未确认",
                timezone.localtime(row.acknowledged_at).strftime("%Y-%m-%d %H:%M")
                if row.acknowledged_at else ""])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        number = report.version.number if report.version else 0
        response["Content-Disposition"] = (
            f'attachment; filename="acknowledgements-{template.code}-v{number}.csv"')
        return response
    return render(request, "web/form_templates/template_acks.html", {
        "template": template, "report": report,
        "show": request.GET.get("show", "all")})


@not_found_as_404
def submission_print(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The read-only form on A4 with the approval trail (when the workflow app ran it)."""
    submission = access.get_submission_for(request.user, submission_id, "view")  # type: ignore[arg-type]  # logged in
    return render(request, "web/form_templates/submission_print.html", {
        "submission": submission, "fields": _readonly_fields(request, submission),
        "trail": _trail(submission), "printed_at": timezone.localtime()})


def _trail(submission: Any) -> list[Any]:
    if not apps.is_installed("sopflow.workflow"):
        return []
    instance = getattr(submission, "workflow_instance", None)
    if instance is None:
        return []
    from sopflow.workflow.queries import VERB_LABELS

    events = list(instance.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        event.label = VERB_LABELS.get(event.verb, event.verb)
    return events


def _scope_from_post(template: FormTemplate, post: Any) -> dict[str, Any]:
    company = template.company_id

    def ids(name: str, model: Any) -> list[int]:
        wanted = {int(v) for v in post.getlist(name) if str(v).isdigit()}
        return sorted(model.objects.filter(pk__in=wanted, company_id=company).values_list(
            "pk", flat=True))

    tree = ids("scope_departments_tree", Department)
    only = [pk for pk in ids("scope_departments_only", Department) if pk not in tree]
    roles = [r for r in post.getlist("scope_roles") if r in RoleAssignment.Role.values]
    scope: dict[str, Any] = {}
    if post.get("scope_everyone") == "on":
        scope["everyone"] = True
    departments = ([{"id": pk, "include_children": True} for pk in tree]
                   + [{"id": pk, "include_children": False} for pk in only])
    for key, value in (("departments", departments), ("positions", ids("scope_positions",
                                                                       Position)),
                       ("roles", roles), ("users", ids("scope_users", User))):
        if value:
            scope[key] = value
    return scope


def _scope_context(template: FormTemplate) -> dict[str, Any]:
    scope = template.scope or {}
    entries = [e for e in scope.get("departments", []) if isinstance(e, dict)]
    tree = {e.get("id") for e in entries if e.get("include_children")}
    only = {e.get("id") for e in entries if not e.get("include_children")}
    company = template.company_id
    return {
        "scope_everyone": bool(scope.get("everyone")),
        "departments": Department.objects.filter(company_id=company, is_active=True).order_by(
            "name"),
        "positions": Position.objects.filter(company_id=company).order_by("name"),
        "roles": RoleAssignment.Role.choices,
        "people": User.objects.filter(company_id=company, is_active=True).order_by(
            "employee_no"),
        "chosen": {"tree": tree, "only": only, "positions": set(scope.get("positions", [])),
                   "roles": set(scope.get("roles", [])), "users": set(scope.get("users", []))},
    }
