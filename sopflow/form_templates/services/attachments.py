"""Uploading files into a submission draft (or a practice sandbox). Files are checked by content
(`uploads.inspect_upload`) before anything is written; a refused file leaves nothing behind.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import ValidationFailed
from sopflow.org.models import User

from .. import access, schema_bridge, uploads
from ..models import Attachment, Submission, TemplateVersion

FILE_FIELD_TYPES = {"attachment", "image", "signature"}


def upload_attachment(
    *,
    actor: User,
    field_key: str,
    file_name: str,
    content: bytes,
    submission_id: int | None = None,
    version_id: int | None = None,
) -> Attachment:
    """Store one file for a file field of a draft (`submission_id`) or of a practice run
    (`version_id`, no submission). Raises ValidationFailed (with the reason) or NotFound.
    """
    if submission_id is not None:
        submission = access.get_submission_for(actor, submission_id, "edit")
        version = submission.version
    elif version_id is not None:
        submission = None
        version = access.get_version_for(actor, version_id, "view")
    else:
        raise ValidationFailed(gettext("缺少表单或模板版本"))
    definition = _file_field(version, field_key)
    accept, limit = _rules(definition)
    checked = uploads.inspect_upload(file_name, content, accept=accept, max_size_mb=limit)
    return _store(actor, version, submission, field_key, file_name, checked)


REVIEW_FIELDS = {"signature": "_review_signature", "attachment": "_review_files"}
SOP_IMAGE_FIELD = "_sop_image"


def upload_sop_image(*, actor: User, template_id: int, file_name: str,
                     content: bytes) -> Attachment:
    """An image for a template's SOP instructions (process admins). Checked by content like any
    upload; anyone who may see the template may see it (`access.get_attachment_for`)."""
    from .templates import _draft_of

    template = access.get_template_for(actor, template_id, "manage")
    checked = uploads.inspect_upload(file_name, content, accept=("jpg", "png"),
                                     max_size_mb=float(uploads.DEFAULT_MAX_SIZE_MB))
    with transaction.atomic():
        draft = _draft_of(template)
    return _store(actor, draft, None, SOP_IMAGE_FIELD, file_name, checked)


def upload_review_file(*, actor: User, submission: Submission, kind: str, file_name: str,
                       content: bytes) -> Attachment:
    """Store an approver's file for a submitted form: a handwritten signature (PNG) or an
    attachment to their decision. The caller (workflow service) has checked the actor holds an
    open task on it. The file belongs to the submission at once, so everyone who may see the
    form may see it; its field key marks it as not part of the form's values."""
    field_key = REVIEW_FIELDS.get(kind)
    if field_key is None:
        raise ValidationFailed("文件类型无效", field="field")
    accept, limit = ((("png",), 2.0) if kind == "signature"
                     else (uploads.DEFAULT_ACCEPT, float(uploads.DEFAULT_MAX_SIZE_MB)))
    checked = uploads.inspect_upload(file_name, content, accept=accept, max_size_mb=limit)
    return _store(actor, submission.version, submission, field_key, file_name, checked)


def _store(actor: User, version: TemplateVersion, submission: Submission | None, field_key: str,
           file_name: str, checked: uploads.CheckedFile) -> Attachment:
    now = clock.now()
    folder = f"private/attachments/{version.template.company_id}/{now:%Y/%m}"
    stem = uuid.uuid4().hex
    saved: list[str] = []
    try:
        with transaction.atomic():
            path = default_storage.save(f"{folder}/{stem}{checked.extension}",
                                        ContentFile(checked.data))
            saved.append(path)
            thumbnail_path = ""
            if checked.thumbnail is not None:
                thumbnail_path = default_storage.save(f"{folder}/{stem}.thumb.jpg",
                                                      ContentFile(checked.thumbnail))
                saved.append(thumbnail_path)
            attachment = Attachment.objects.create(
                owner=actor, company_id=version.template.company_id, submission=submission,
                version=version, field_key=field_key, original_name=_display_name(file_name,
                                                                                   checked),
                kind=checked.kind, content_type=checked.content_type, size=len(checked.data),
                sha256=checked.sha256, storage_path=path, thumbnail_path=thumbnail_path,
            )
            record(actor=actor, action="form_templates.attachment.uploaded", obj=attachment,
                   changes={"field": field_key, "size": attachment.size, "kind": checked.kind,
                            "submission": submission.pk if submission is not None else None})
    except BaseException:
        # The row was rolled back; the file must not outlive it.
        for path in saved:
            default_storage.delete(path)
        raise
    return attachment


def _file_field(version: TemplateVersion, field_key: str) -> dict[str, Any]:
    definition = schema_bridge.find_field(version.schema, field_key)
    if definition is None or definition.get("type") not in FILE_FIELD_TYPES:
        raise ValidationFailed(gettext("这个字段不接受文件"), field=field_key)
    return definition


def _rules(definition: dict[str, Any]) -> tuple[tuple[str, ...], float]:
    kind = definition.get("type")
    if kind == "signature":
        return ("png",), 2
    if kind == "image":
        return uploads.IMAGE_ACCEPT, float(definition.get("max_size_mb")
                                           or uploads.DEFAULT_MAX_SIZE_MB)
    accept = tuple(str(item) for item in definition.get("accept") or uploads.DEFAULT_ACCEPT)
    return accept, float(definition.get("max_size_mb") or uploads.DEFAULT_MAX_SIZE_MB)


def _display_name(file_name: str, checked: uploads.CheckedFile) -> str:
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1][:200] or f"file{checked.extension}"
    if checked.kind == "jpg" and not name.lower().endswith((".jpg", ".jpeg")):
        name = f"{name.rsplit('.', 1)[0]}.jpg"
    return name
