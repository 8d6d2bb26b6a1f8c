"""Templates I may start, version schemas, my submissions and their attachments (same services
and messages as the web UI; errors are DomainErrors rendered by the shared handler)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from sopflow.form_templates import access, queries
from sopflow.form_templates.services import attachments as attachment_services
from sopflow.form_templates.services import submissions as submission_services

router = Router(tags=["form_templates"])


class TemplateOut(Schema):
    id: int
    code: str
    name: str
    category: str
    icon: str
    description: str
    current_version_id: int | None
    current_version_number: int | None


class VersionOut(Schema):
    id: int
    template_id: int
    number: int
    status: str
    form_schema: dict[str, Any]
    sop_instructions: str
    change_summary: str
    changes: list[dict[str, Any]]
    published_at: datetime | None


class SubmissionIn(Schema):
    template_id: int


class ValuesIn(Schema):
    values: dict[str, Any]
    revision: int | None = None


class SubmitIn(Schema):
    values: dict[str, Any] | None = None
    revision: int | None = None


class SubmissionOut(Schema):
    id: int
    template_id: int
    version_id: int
    version_number: int
    author_id: int
    status: str
    title: str
    values: dict[str, Any]
    computed: dict[str, Any]
    revision: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


class AttachmentOut(Schema):
    id: int
    field_key: str
    original_name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    submission_id: int | None


@router.get("/templates", response=list[TemplateOut], summary="我可以发起的模板")
def list_templates(request: HttpRequest) -> object:
    return [_template(t) for t in access.templates_startable_by(request.auth)]  # type: ignore[arg-type]  # auth is a User


@router.get("/versions/{version_id}", response=VersionOut, summary="模板版本的表单结构")
def get_version(request: HttpRequest, version_id: int) -> object:
    version = access.get_version_for(request.auth, version_id, "view")  # type: ignore[arg-type]  # auth is a User
    return {"id": version.pk, "template_id": version.template_id, "number": version.number,
            "status": version.status, "form_schema": version.schema,
            "sop_instructions": version.sop_instructions,
            "change_summary": version.change_summary, "changes": version.changes,
            "published_at": version.published_at}


@router.get("/submissions", response=list[SubmissionOut], summary="我的表单")
def list_submissions(request: HttpRequest) -> object:
    return [_submission(s) for s in queries.my_submissions(request.auth)[:500]]  # type: ignore[arg-type]  # auth is a User


@router.post("/submissions", response={201: SubmissionOut}, summary="新建草稿")
def create_submission(request: HttpRequest, payload: SubmissionIn) -> object:
    submission = submission_services.start_submission(actor=request.auth,  # type: ignore[arg-type]  # auth is a User
                                                      template_id=payload.template_id)
    return 201, _submission(submission)


@router.get("/submissions/{submission_id}", response=SubmissionOut, summary="表单详情")
def get_submission(request: HttpRequest, submission_id: int) -> object:
    return _submission(access.get_submission_for(request.auth, submission_id))  # type: ignore[arg-type]  # auth is a User


@router.put("/submissions/{submission_id}", response=SubmissionOut, summary="保存草稿")
def update_submission(request: HttpRequest, submission_id: int, payload: ValuesIn) -> object:
    submission = submission_services.update_draft(
        actor=request.auth, submission_id=submission_id, values=payload.values,  # type: ignore[arg-type]  # auth is a User
        revision=payload.revision)
    return _submission(submission)


@router.post("/submissions/{submission_id}/submit", response=SubmissionOut, summary="提交")
def submit_submission(request: HttpRequest, submission_id: int, payload: SubmitIn) -> object:
    submission = submission_services.submit_submission(
        actor=request.auth, submission_id=submission_id, values=payload.values,  # type: ignore[arg-type]  # auth is a User
        revision=payload.revision, language=getattr(request.auth, "language", "zh-hans"))
    return _submission(submission)


@router.post("/submissions/{submission_id}/attachments", response={201: AttachmentOut},
             summary="上传附件")
def upload_attachment(request: HttpRequest, submission_id: int, field: Form[str],
                      file: File[UploadedFile]) -> object:
    attachment = attachment_services.upload_attachment(
        actor=request.auth, submission_id=submission_id, field_key=field,  # type: ignore[arg-type]  # auth is a User
        file_name=file.name or "", content=file.read())
    return 201, attachment


@router.get("/attachments/{attachment_id}", summary="下载附件")
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = access.get_attachment_for(request.auth, attachment_id)  # type: ignore[arg-type]  # auth is a User
    response = FileResponse(default_storage.open(attachment.storage_path, "rb"),
                            content_type=attachment.content_type, as_attachment=True,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _template(template: Any) -> dict[str, Any]:
    version = template.current_version
    return {"id": template.pk, "code": template.code, "name": template.name,
            "category": template.category, "icon": template.icon,
            "description": template.description,
            "current_version_id": version.pk if version else None,
            "current_version_number": version.number if version else None}


def _submission(submission: Any) -> dict[str, Any]:
    return {"id": submission.pk, "template_id": submission.template_id,
            "version_id": submission.version_id, "version_number": submission.version.number,
            "author_id": submission.author_id, "status": submission.status,
            "title": submission.title, "values": submission.values,
            "computed": submission.computed, "revision": submission.revision,
            "created_at": submission.created_at, "updated_at": submission.updated_at,
            "submitted_at": submission.submitted_at}
