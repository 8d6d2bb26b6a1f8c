"""Use cases for templates and their versions: create, save a draft, publish, acknowledge,
export and import. A published version is never written again: edits go to a new draft.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, Forbidden, ValidationFailed
from sopflow.org.models import Company, User

from .. import access, gates, schema_bridge
from ..models import FormTemplate, TemplateNotice, TemplateVersion, VersionAcknowledgement

EXPORT_FORMAT = "sopflow.template/1"
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "builtin"
METADATA_FIELDS = ("name", "category", "icon", "description", "scope", "requires_ack",
                   "is_active", "owner_id")
SCOPE_KEYS = {"everyone", "departments", "positions", "roles", "users"}
PUBLISHED_KIND = "form_templates.version.published"


def create_template(
    *,
    actor: User | None,
    company: Company,
    name: str,
    category: str = FormTemplate.Category.GENERAL,
    icon: str = "ti-file-text",
    description: str = "",
    code: str = "",
    scope: dict[str, Any] | None = None,
    requires_ack: bool = False,
    schema: dict[str, Any] | None = None,
    sop_instructions: str = "",
) -> FormTemplate:
    """A new template with an empty (or given) draft version 1. Needs a process admin."""
    _require_manager(actor, company)
    name = name.strip()
    if not name:
        raise ValidationFailed(gettext("请填写模板名称"), field="name")
    if category not in FormTemplate.Category.values:
        raise ValidationFailed(gettext("模板分类不正确"), field="category")
    code = code or f"t-{uuid.uuid4().hex[:10]}"
    with transaction.atomic():
        if FormTemplate.objects.filter(company=company, code=code).exists():
            raise Conflict(gettext("编码「%(code)s」已被其他模板使用") % {"code": code}, field="code")
        template = FormTemplate.objects.create(
            company=company, code=code, name=name, category=category, icon=icon,
            description=description, owner=actor, scope=scope or {"everyone": True},
            requires_ack=requires_ack,
        )
        TemplateVersion.objects.create(
            template=template, number=1, schema=schema or {"fields": []},
            sop_instructions=sop_instructions,
        )
        record(actor=actor, action="form_templates.template.created", obj=template,
               changes={"name": name, "category": category})
    return template


def update_template(*, actor: User, template_id: int, **changes: Any) -> FormTemplate:
    """Change metadata (name, category, icon, description, scope, requires_ack, is_active)."""
    unknown = set(changes) - set(METADATA_FIELDS)
    if unknown:
        raise ValidationFailed(gettext("不能修改：%(unknown)s") % {"unknown": '、'.join(sorted(unknown))})
    with transaction.atomic():
        template = access.get_template_for(actor, template_id, "manage")
        _check_metadata(template, changes)
        before = {key: getattr(template, key) for key in changes}
        for key, value in changes.items():
            setattr(template, key, value)
        if not template.name.strip():
            raise ValidationFailed(gettext("请填写模板名称"), field="name")
        template.save()
        record(actor=actor, action="form_templates.template.updated", obj=template,
               changes={key: [before[key], value] for key, value in changes.items()
                        if before[key] != value})
    return template


def save_sop_instructions(*, actor: User, template_id: int, text: str) -> TemplateVersion:
    """Store the SOP instructions (Markdown) in the template's draft (created if needed)."""
    with transaction.atomic():
        template = access.get_template_for(actor, template_id, "manage")
        draft = _draft_of(template)
        if draft.sop_instructions != text:
            draft.sop_instructions = text
            draft.save(update_fields=["sop_instructions", "updated_at"])
            record(actor=actor, action="form_templates.draft.sop_saved", obj=template,
                   changes={"version": draft.number, "length": len(text)})
    return draft


def save_draft(
    *,
    actor: User | None,
    template_id: int,
    schema: dict[str, Any],
    sop_instructions: str | None = None,
    change_summary: str | None = None,
    template: FormTemplate | None = None,
) -> TemplateVersion:
    """Store the designer's schema in the template's draft (created from the current version).

    Refuses an invalid design with ValidationFailed whose `details` point at fields.
    """
    with transaction.atomic():
        template = template or access.get_template_for(actor, template_id, "manage")  # type: ignore[arg-type]  # actor is None only for system installs that pass the template
        _refuse_bad_design(schema)
        draft = _draft_of(template)
        draft.schema = schema
        if sop_instructions is not None:
            draft.sop_instructions = sop_instructions
        if change_summary is not None:
            draft.change_summary = change_summary
        draft.save()
        record(actor=actor, action="form_templates.draft.saved", obj=template,
               changes={"version": draft.number, "fields": len(schema.get("fields", []))})
    return draft


def publish_version(
    *, actor: User | None, template_id: int, change_summary: str | None = None,
    template: FormTemplate | None = None, requires_retraining: bool = False,
) -> TemplateVersion:
    """Publish the draft: it becomes current and immutable; people in scope are notified.
    With `requires_retraining`, the publish hooks re-assign linked courses (training).

    The field-by-field diff to the previous version is stored on the version. Raises
    ValidationFailed when there is no draft or its design is invalid.
    """
    with transaction.atomic():
        template = template or access.get_template_for(actor, template_id, "manage")  # type: ignore[arg-type]  # see save_draft
        draft = template.versions.select_for_update().filter(
            status=TemplateVersion.Status.DRAFT).first()
        if draft is None:
            raise ValidationFailed(gettext("没有待发布的草稿"))
        _refuse_bad_design(draft.schema)
        previous = template.current_version
        draft.changes = schema_bridge.diff_schemas(previous.schema if previous else {"fields": []},
                                                   draft.schema)
        if change_summary is not None:
            draft.change_summary = change_summary
        if not draft.change_summary:
            draft.change_summary = _summary(draft.changes) if previous else "首次发布"
        draft.requires_retraining = requires_retraining and previous is not None
        draft.status = TemplateVersion.Status.PUBLISHED
        draft.published_at = clock.now()
        draft.published_by = actor
        draft.save()
        FormTemplate.objects.filter(pk=template.pk).update(current_version=draft)
        template.current_version = draft
        notified = _notify_scope(template, draft, actor) if previous else 0
        if draft.requires_retraining:
            gates.run_publish_hooks(actor, draft)
        record(actor=actor, action="form_templates.version.published", obj=template,
               changes={"version": draft.number, "summary": draft.change_summary,
                        "notified": notified})
    return draft


def acknowledge_version(*, actor: User, version_id: int) -> VersionAcknowledgement:
    """Record "已阅读" for a published version; idempotent."""
    with transaction.atomic():
        version = access.get_version_for(actor, version_id, "view")
        ack, created = VersionAcknowledgement.objects.get_or_create(
            version=version, user=actor, defaults={"acknowledged_at": clock.now()})
        TemplateNotice.objects.filter(version=version, recipient=actor, read_at__isnull=True
                                      ).update(read_at=clock.now())
        if created:
            record(actor=actor, action="form_templates.version.acknowledged", obj=version.template,
                   changes={"version": version.number})
    return ack


def export_template(*, actor: User, template_id: int) -> dict[str, Any]:
    """One JSON document with the template's metadata and its current (or draft) version."""
    with transaction.atomic():
        template = access.get_template_for(actor, template_id, "manage")
        version = template.current_version or _draft_of(template)
        record(actor=actor, action="form_templates.template.exported", obj=template,
               changes={"version": version.number})
    return {
        "format": EXPORT_FORMAT,
        "code": template.code,
        "name": template.name,
        "category": template.category,
        "icon": template.icon,
        "description": template.description,
        "requires_ack": template.requires_ack,
        "schema": version.schema,
        "sop_instructions": version.sop_instructions,
        "change_summary": version.change_summary,
    }


def import_template(
    *, actor: User | None, company: Company, data: dict[str, Any], publish: bool = True,
    scope: dict[str, Any] | None = None,
) -> FormTemplate:
    """Create a template from an exported JSON document (the design is checked like a save).

    A template with the same code already in the company is refused with Conflict.
    """
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationFailed(gettext("文件格式不正确：需要 %(format)s 格式的模板文件") % {"format": EXPORT_FORMAT})
    schema = data.get("schema")
    if not isinstance(schema, dict):
        raise ValidationFailed(gettext("模板文件缺少表单结构（schema）"))
    code = str(data.get("code") or "")
    if code and not re.fullmatch(r"[-a-zA-Z0-9_]+", code):
        raise ValidationFailed(gettext("模板编码只能包含字母、数字、- 和 _"), field="code")
    with transaction.atomic():
        _refuse_bad_design(schema)
        template = create_template(
            actor=actor, company=company, name=str(data.get("name", "")),
            category=str(data.get("category", FormTemplate.Category.GENERAL)),
            icon=str(data.get("icon") or "ti-file-text"),
            description=str(data.get("description", "")), code=code,
            requires_ack=bool(data.get("requires_ack", False)), schema=schema,
            sop_instructions=str(data.get("sop_instructions", "")),
            scope=scope,
        )
        if publish:
            publish_version(actor=actor, template_id=template.pk, template=template,
                            change_summary=str(data.get("change_summary") or "首次发布"))
    return template


def _check_metadata(template: FormTemplate, changes: dict[str, Any]) -> None:
    if "category" in changes and changes["category"] not in FormTemplate.Category.values:
        raise ValidationFailed(gettext("模板分类不正确"), field="category")
    if "icon" in changes and not re.fullmatch(r"ti-[a-z0-9-]{1,46}", str(changes["icon"])):
        raise ValidationFailed(gettext("图标名称不正确"), field="icon")
    if "description" in changes and len(str(changes["description"])) > 300:
        raise ValidationFailed(gettext("简介最多 300 字"), field="description")
    owner_id = changes.get("owner_id")
    if owner_id is not None and not User.objects.filter(
            pk=owner_id, company_id=template.company_id, is_active=True).exists():
        raise ValidationFailed(gettext("负责人须是本公司的在职员工"), field="owner")
    scope = changes.get("scope")
    if scope is not None and (not isinstance(scope, dict) or set(scope) - SCOPE_KEYS):
        raise ValidationFailed(gettext("可发起范围格式不正确"), field="scope")


def _require_manager(actor: User | None, company: Company) -> None:
    # `actor=None` is the system itself (demo seed, install_template_pack command).
    if actor is not None and not access.can_manage_templates(actor, company):
        raise Forbidden(gettext("只有流程管理员可以创建模板"))


def _draft_of(template: FormTemplate) -> TemplateVersion:
    draft = template.versions.filter(status=TemplateVersion.Status.DRAFT).first()
    if draft is not None:
        return draft
    source = template.current_version
    number = (template.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    return TemplateVersion.objects.create(
        template=template, number=number,
        schema=source.schema if source else {"fields": []},
        sop_instructions=source.sop_instructions if source else "",
    )


def _refuse_bad_design(schema: dict[str, Any]) -> None:
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise ValidationFailed(gettext("表单结构不正确：需要 {\"fields\": [...]}"))
    problems = schema_bridge.check_design(schema)
    if problems:
        raise ValidationFailed(problems[0].message, field=problems[0].field,
                               details=[problem.to_dict() for problem in problems])


def _summary(changes: list[dict[str, Any]]) -> str:
    lines = [str(change.get("summary") or change.get("message") or "") for change in changes]
    return "；".join(line for line in lines if line) or "无字段变化"


def _notify_scope(template: FormTemplate, version: TemplateVersion,
                  actor: User | None = None) -> int:
    """A notice per person in scope (the library's banner and the ack tracking) and a
    notification through `sopflow.notify` (bell, e-mail, robots) with the change summary."""
    from sopflow.notify.services import notify

    people = [person for person in User.objects.filter(
        company_id=template.company_id, is_active=True).select_related("department", "position")
        if access.is_in_scope(person, template.scope)]
    now = clock.now()
    notices = [
        TemplateNotice(version=version, recipient=person, summary=version.change_summary,
                       requires_ack=template.requires_ack, created_at=now)
        for person in people
    ]
    TemplateNotice.objects.bulk_create(notices, ignore_conflicts=True)
    body = version.change_summary
    if template.requires_ack:
        body += "\n" + gettext("请阅读新版本并确认“已阅读”。")
    notify(recipients=people, kind=PUBLISHED_KIND,
           title=gettext("「%(name)s」发布了 v%(number)s") % {
               "name": template.name, "number": version.number},
           body=body, link=f"/templates/{template.pk}/", actor=actor,
           company=template.company, template_key=f"form:{template.pk}",
           source=f"form_templates.version:{version.pk}")
    return len(notices)


def install_builtin_pack(
    *, actor: User | None, company: Company, pushed_positions: dict[str, list[int]] | None = None,
) -> list[FormTemplate]:
    """Import every template of `builtin/` into the company, published and open to everyone
    (and pushed to the positions given per template code, so they show first on 工作台).

    Templates whose code already exists in the company are left alone (safe to run twice).
    """
    installed: list[FormTemplate] = []
    with transaction.atomic():
        existing = set(FormTemplate.objects.filter(company=company).values_list("code", flat=True))
        for path in sorted(BUILTIN_DIR.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("code") in existing:
                continue
            scope: dict[str, Any] = {"everyone": True}
            if pushed_positions and data.get("code") in pushed_positions:
                scope["positions"] = pushed_positions[data["code"]]
            installed.append(import_template(actor=actor, company=company, data=data,
                                             scope=scope))
    return installed
