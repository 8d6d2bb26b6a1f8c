"""Pages for process admins: manage, create, import/export, the designer, preview, publish."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError
from sopflow.form_templates import access, queries
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services import templates as template_services

from . import render as form_render
from .views import not_found_as_404

FIELD_TYPES = [
    ("text", "单行文本", "ti-forms"), ("textarea", "多行文本", "ti-align-left"),
    ("number", "数字", "ti-123"), ("money", "金额", "ti-currency-yuan"),
    ("date", "日期", "ti-calendar"), ("datetime", "日期时间", "ti-clock"),
    ("date_range", "日期区间", "ti-calendar-event"), ("single_choice", "单选", "ti-circle-dot"),
    ("multi_choice", "多选", "ti-checkbox"), ("person", "人员", "ti-user"),
    ("department", "部门", "ti-building"), ("attachment", "附件", "ti-paperclip"),
    ("image", "图片", "ti-photo"), ("table", "明细表", "ti-table"),
    ("formula", "公式", "ti-math-function"), ("description", "说明文字", "ti-info-circle"),
    ("phone", "手机号", "ti-phone"), ("email", "邮箱", "ti-mail"),
    ("signature", "手写签名", "ti-signature"),
]


def template_manage(request: HttpRequest) -> HttpResponse:
    templates = access.templates_manageable_by(request.user)  # type: ignore[arg-type]  # logged in
    if not access.can_manage_templates(request.user, request.user.company):  # type: ignore[arg-type, union-attr]  # logged in
        return render(request, "web/form_templates/forbidden.html", status=403)
    return render(request, "web/form_templates/template_manage.html", {
        "templates": templates, "categories": FormTemplate.Category.choices})


@require_POST
def template_create(request: HttpRequest) -> HttpResponse:
    try:
        template = template_services.create_template(
            actor=request.user, company=request.user.company,  # type: ignore[arg-type, union-attr]  # logged in
            name=request.POST.get("name", ""),
            category=request.POST.get("category", FormTemplate.Category.GENERAL),
            icon=request.POST.get("icon") or "ti-file-text",
            description=request.POST.get("description", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:template-manage")
    return redirect("web:template-design", template.pk)


@require_POST
def template_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        data = json.loads(upload.read().decode("utf-8")) if upload else None
    except (ValueError, UnicodeDecodeError):
        data = None
    try:
        template = template_services.import_template(
            actor=request.user, company=request.user.company, data=data or {})  # type: ignore[arg-type, union-attr]  # logged in
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:template-manage")
    messages.success(request, gettext("已导入「%(name)s」") % {"name": template.name})
    return redirect("web:template-detail", template.pk)


@not_found_as_404
def template_export(request: HttpRequest, template_id: int) -> HttpResponse:
    data = template_services.export_template(actor=request.user, template_id=template_id)  # type: ignore[arg-type]  # logged in
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{data["code"]}.json"'
    return response


@not_found_as_404
def template_design(request: HttpRequest, template_id: int) -> HttpResponse:
    template = access.get_template_for(request.user, template_id, "manage")  # type: ignore[arg-type]  # logged in
    draft = queries.draft_of(template)
    source = draft or template.current_version
    return render(request, "web/form_templates/designer.html", {
        "template": template, "draft": draft, "field_types": FIELD_TYPES,
        "condition_settings": [("visible_when", "显示条件（不满足时隐藏）"),
                               ("required_when", "必填条件（满足时必填）")],
        "schema": source.schema if source else {"fields": []},
        "sop_instructions": source.sop_instructions if source else "",
    })


@require_POST
@not_found_as_404
def template_design_save(request: HttpRequest, template_id: int) -> HttpResponse:
    """JSON in/out for the designer: {"ok": true} or {"message", "errors": [{field, message}]}."""
    body = _body(request)
    try:
        draft = template_services.save_draft(
            actor=request.user, template_id=template_id, schema=body.get("schema") or {},  # type: ignore[arg-type]  # logged in
            sop_instructions=str(body.get("sop_instructions", "")),
            change_summary=str(body.get("change_summary", "")))
    except DomainError as error:
        return JsonResponse({"ok": False, "message": error.message, "errors": error.details},
                            status=error.status)
    return JsonResponse({"ok": True, "message": f"已保存草稿 v{draft.number}",
                         "version": draft.number})


@require_POST
@not_found_as_404
def template_design_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    access.get_template_for(request.user, template_id, "manage")  # type: ignore[arg-type]  # logged in
    schema = _body(request).get("schema") or {}
    try:
        fields = form_render.build_fields(schema, {})
    except (KeyError, TypeError, AttributeError, ValueError):
        return HttpResponse('<div class="text-secondary">预览暂不可用：表单结构不完整</div>')
    return render(request, "web/form_templates/_preview.html", {"fields": fields})


@require_POST
@not_found_as_404
def template_publish(request: HttpRequest, template_id: int) -> HttpResponse:
    try:
        version = template_services.publish_version(
            actor=request.user, template_id=template_id,  # type: ignore[arg-type]  # logged in
            change_summary=request.POST.get("change_summary") or None,
            requires_retraining=request.POST.get("requires_retraining") == "on")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:template-design", template_id)
    messages.success(request, gettext("已发布 v%(number)s") % {"number": version.number})
    return redirect("web:template-detail", template_id)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
