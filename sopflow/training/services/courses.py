"""Use cases for building courses: create (also in one click from a template), edit, lessons
with files or videos, the practice exercise and the question bank. HR or process admins only.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, NotFound, ValidationFailed
from sopflow.form_templates import access as template_access
from sopflow.form_templates import uploads
from sopflow.org.models import Company, User

from .. import access
from ..models import Course, Lesson, Question

COURSE_FIELDS = ("title", "description", "is_gate", "pass_mark", "questions_per_attempt",
                 "max_attempts", "cooldown_minutes", "validity_months", "is_active",
                 "practice_brief")
VIDEO_EXTENSIONS = {".mp4": "video/mp4", ".webm": "video/webm"}
MAX_VIDEO_MB = 200


def create_course(
    *, actor: User | None, company: Company, title: str, description: str = "",
    template_ids: list[int] | None = None, **settings: Any,
) -> Course:
    """A new course (no lessons yet). `actor=None` is the system (demo seed)."""
    _require_manager(actor, company)
    title = title.strip()
    if not title:
        raise ValidationFailed(gettext("请填写课程名称"), field="title")
    unknown = set(settings) - set(COURSE_FIELDS)
    if unknown:
        raise ValidationFailed(gettext("未知设置：%(unknown)s") % {"unknown": '、'.join(sorted(unknown))})
    with transaction.atomic():
        course = Course.objects.create(company=company, title=title, description=description,
                                       created_by=actor, **settings)
        _check_settings(course)
        if template_ids:
            course.templates.set(_templates(company, template_ids))
        record(actor=actor, action="training.course.created", obj=course,
               changes={"title": title, "templates": template_ids or []}, company_id=company.pk)
    return course


def update_course(
    *, actor: User, course_id: int, template_ids: list[int] | None = None, **changes: Any
) -> Course:
    """Change a course's settings (and linked templates)."""
    unknown = set(changes) - set(COURSE_FIELDS)
    if unknown:
        raise ValidationFailed(gettext("不能修改：%(unknown)s") % {"unknown": '、'.join(sorted(unknown))})
    with transaction.atomic():
        course = access.get_course_for(actor, course_id, "manage")
        before = {key: getattr(course, key) for key in changes}
        for key, value in changes.items():
            setattr(course, key, value)
        if not course.title.strip():
            raise ValidationFailed(gettext("请填写课程名称"), field="title")
        _check_settings(course)
        course.save()
        if template_ids is not None:
            course.templates.set(_templates(course.company, template_ids))
        record(actor=actor, action="training.course.updated", obj=course,
               changes={key: [before[key], value] for key, value in changes.items()
                        if before[key] != value} | (
                   {"templates": template_ids} if template_ids is not None else {}))
    return course


def create_course_from_template(*, actor: User | None, template_id: int,
                                company: Company | None = None) -> Course:
    """One click: a course named "<模板>SOP" linked to the template, the SOP instructions as the
    first lesson, the template as the practice form, and one true/false question per required
    field rule (plain and conditional)."""
    from sopflow.form_templates.models import FormTemplate

    if actor is not None:
        template = template_access.get_template_for(actor, template_id, "view")
    else:
        template = FormTemplate.objects.select_related("current_version").get(
            pk=template_id, company=company)
    version = template.current_version
    if version is None:
        raise ValidationFailed(gettext("模板尚未发布，不能生成课程"))
    with transaction.atomic():
        course = create_course(actor=actor, company=template.company,
                               title=f"{template.name}SOP",
                               description=template.description or f"学习“{template.name}”的填写规范",
                               template_ids=[template.pk])
        course.practice_template = template
        course.save(update_fields=["practice_template"])
        Lesson.objects.create(course=course, order=1, title=f"{template.name} SOP 说明",
                              body=version.sop_instructions or template.description)
        questions = [Question(course=course, **rule) for rule in rule_questions(version.schema)]
        Question.objects.bulk_create(questions)
        if questions:
            course.questions_per_attempt = min(10, len(questions))
            course.save(update_fields=["questions_per_attempt"])
        record(actor=actor, action="training.course.generated", obj=course,
               changes={"template": template.pk, "version": version.number,
                        "questions": len(questions)}, company_id=template.company_id)
    return course


def rule_questions(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """One true/false question per required field rule of a schema (table columns included)."""
    fields = [item for item in schema.get("fields", []) if isinstance(item, dict)]
    labels = {item.get("key"): item.get("label", item.get("key")) for item in fields}
    found: list[dict[str, Any]] = []

    def add(label: str, key: str, when: dict[str, Any] | None, inside: str = "") -> None:
        where = f"“{inside}”中的" if inside else ""
        if when:
            condition = f"当“{labels.get(when.get('field'), when.get('field'))}”为“{when.get('value')}”时，"
            text = f"{condition}{where}“{label}”必须填写。"
        else:
            text = f"{where}“{label}”是必填项，不填写就不能提交。"
        found.append({"kind": Question.Kind.TRUE_FALSE, "text": text,
                      "options": ["正确", "错误"], "correct": [0], "source_field": key,
                      "explanation": f"SOP 规定：{text}"})

    for item in fields:
        label, key = str(item.get("label", "")), str(item.get("key", ""))
        if item.get("required"):
            add(label, key, None)
        if isinstance(item.get("required_when"), dict):
            add(label, key, item["required_when"])
        for column in item.get("columns", []) or []:
            if isinstance(column, dict) and column.get("required"):
                add(str(column.get("label", "")), f"{key}.{column.get('key')}", None, label)
    return found


def add_lesson(
    *, actor: User | None, course: Course | None = None, course_id: int | None = None,
    title: str, kind: str = Lesson.Kind.TEXT, body: str = "", video_url: str = "",
    file_name: str = "", content: bytes | None = None,
) -> Lesson:
    """Append a lesson. Files are checked by content (PDF/Word/Excel/images); videos are MP4 or
    WebM uploads (≤ 200 MB) or a link."""
    if course is None:
        course = access.get_course_for(actor, course_id or 0, "manage")  # type: ignore[arg-type]  # actor None only with course
    if not title.strip():
        raise ValidationFailed(gettext("请填写课时标题"), field="title")
    if kind not in Lesson.Kind.values:
        raise ValidationFailed(gettext("课时类型不正确"), field="kind")
    stored: dict[str, str] = {}
    if content is not None and file_name:
        stored = _store_file(course, kind, file_name, content)
    elif kind == Lesson.Kind.FILE:
        raise ValidationFailed(gettext("请上传文档"), field="file")
    elif kind == Lesson.Kind.VIDEO and not video_url:
        raise ValidationFailed(gettext("请上传视频或填写视频链接"), field="video_url")
    try:
        with transaction.atomic():
            order = (course.lessons.aggregate(top=Max("order"))["top"] or 0) + 1
            lesson = Lesson.objects.create(course=course, order=order, title=title.strip(),
                                           kind=kind, body=body, video_url=video_url, **stored)
            record(actor=actor, action="training.lesson.added", obj=lesson,
                   changes={"course": course.pk, "kind": kind}, company_id=course.company_id)
    except BaseException:
        if stored.get("file_path"):
            default_storage.delete(stored["file_path"])
        raise
    return lesson


def delete_lesson(*, actor: User, lesson_id: int) -> None:
    with transaction.atomic():
        lesson = access.get_lesson_for(actor, lesson_id, "manage")
        record(actor=actor, action="training.lesson.deleted", obj=lesson,
               changes={"course": lesson.course_id, "title": lesson.title})
        lesson.delete()


def save_question(
    *, actor: User | None, course: Course | None = None, course_id: int | None = None,
    question_id: int | None = None, kind: str, text: str, options: list[str],
    correct: list[int], explanation: str = "",
) -> Question:
    """Add (or, with `question_id`, change) a question. Single choice and true/false need
    exactly one key; multiple choice at least one."""
    if course is None:
        course = access.get_course_for(actor, course_id or 0, "manage")  # type: ignore[arg-type]  # actor None only with course
    if kind == Question.Kind.TRUE_FALSE:
        options = ["正确", "错误"]
    options = [str(option).strip() for option in options if str(option).strip()]
    keys = sorted({int(index) for index in correct})
    if kind not in Question.Kind.values:
        raise ValidationFailed(gettext("题型不正确"), field="kind")
    if not text.strip():
        raise ValidationFailed(gettext("请填写题目"), field="text")
    if len(options) < 2:
        raise ValidationFailed(gettext("至少需要两个选项"), field="options")
    if not keys or any(index < 0 or index >= len(options) for index in keys):
        raise ValidationFailed(gettext("请选择正确答案"), field="correct")
    if kind != Question.Kind.MULTIPLE and len(keys) != 1:
        raise ValidationFailed(gettext("单选题和判断题只能有一个正确答案"), field="correct")
    with transaction.atomic():
        if question_id is not None:
            found = Question.objects.select_for_update().filter(pk=question_id,
                                                                course=course).first()
            if found is None:
                raise NotFound(gettext("题目不存在"))
            question = found
        else:
            question = Question(course=course)
        question.kind, question.text, question.options = kind, text.strip(), options
        question.correct, question.explanation = keys, explanation
        question.save()
        record(actor=actor, action="training.question.saved", obj=question,
               changes={"course": course.pk, "kind": kind, "options": len(options)},
               company_id=course.company_id)
    return question


def set_question_active(*, actor: User, question_id: int, is_active: bool) -> Question:
    with transaction.atomic():
        question = Question.objects.select_related("course").filter(pk=question_id).first()
        if question is None:
            raise ValidationFailed(gettext("题目不存在"))
        access.get_course_for(actor, question.course_id, "manage")
        question.is_active = is_active
        question.save(update_fields=["is_active"])
        record(actor=actor, action="training.question.updated", obj=question,
               changes={"is_active": is_active})
    return question


def set_practice(
    *, actor: User | None, course: Course | None = None, course_id: int | None = None,
    template_id: int | None, brief: str = "", expected: dict[str, Any] | None = None,
) -> Course:
    """The practice exercise: the template to fill, what to fill it with, the expected values."""
    if course is None:
        course = access.get_course_for(actor, course_id or 0, "manage")  # type: ignore[arg-type]  # actor None only with course
    with transaction.atomic():
        course.practice_template = (_templates(course.company, [template_id])[0]
                                    if template_id else None)
        course.practice_brief = brief
        course.practice_expected = expected or {}
        course.save(update_fields=["practice_template", "practice_brief", "practice_expected"])
        record(actor=actor, action="training.practice.saved", obj=course,
               changes={"template": template_id, "fields": sorted(course.practice_expected)},
               company_id=course.company_id)
    return course


def _require_manager(actor: User | None, company: Company) -> None:
    if actor is not None and not access.can_manage_training(actor, company):
        raise Forbidden(gettext("只有人事管理员或流程管理员可以管理课程"))


def _check_settings(course: Course) -> None:
    if not 1 <= course.pass_mark <= 100:
        raise ValidationFailed(gettext("及格分应在 1–100 之间"), field="pass_mark")
    if course.questions_per_attempt < 1:
        raise ValidationFailed(gettext("每次至少抽 1 题"), field="questions_per_attempt")
    if course.validity_months < 1:
        raise ValidationFailed(gettext("证书有效期至少 1 个月"), field="validity_months")


def _templates(company: Company, template_ids: list[int]) -> list[Any]:
    from sopflow.form_templates.models import FormTemplate

    found = list(FormTemplate.objects.filter(company=company, pk__in=template_ids))
    if len(found) != len(set(template_ids)):
        raise ValidationFailed(gettext("关联模板不存在"), field="templates")
    return found


def _store_file(course: Course, kind: str, file_name: str, content: bytes) -> dict[str, str]:
    extension = PurePath(file_name).suffix.lower()
    folder = f"private/training/{course.company_id}/{clock.now():%Y/%m}"
    if kind == Lesson.Kind.VIDEO:
        if extension not in VIDEO_EXTENSIONS:
            raise ValidationFailed(gettext("视频只支持 MP4 或 WebM"), field="file")
        if len(content) > MAX_VIDEO_MB * 1024 * 1024:
            raise ValidationFailed(gettext("视频不能超过 %(limit)s MB") % {"limit": MAX_VIDEO_MB}, field="file")
        path = default_storage.save(f"{folder}/{uuid.uuid4().hex}{extension}",
                                    ContentFile(content))
        return {"file_path": path, "file_name": file_name, "file_kind": "video",
                "content_type": VIDEO_EXTENSIONS[extension]}
    checked = uploads.inspect_upload(file_name, content, accept=uploads.DEFAULT_ACCEPT,
                                     max_size_mb=50)
    path = default_storage.save(f"{folder}/{uuid.uuid4().hex}{checked.extension}",
                                ContentFile(checked.data))
    return {"file_path": path, "file_name": file_name, "file_kind": checked.kind,
            "content_type": checked.content_type}
