"""Approvals: start (submit a draft), route preview, my tasks by tab, an item with its route and
timeline, and every action. Every POST honours `Idempotency-Key` (same key + same body → the
stored response and no second effect; same key + another body → 422)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, UploadedFile

from sopflow.org.models import User
from sopflow.workflow import access, idempotency, queries, services
from sopflow.workflow.models import ApprovalTask, Instance

router = Router(tags=["workflow"])


class SubmitIn(Schema):
    values: dict[str, Any] | None = None
    urgent: bool = False
    chosen_approvers: dict[str, list[int]] | None = None


class PreviewIn(Schema):
    template_id: int | None = None
    submission_id: int | None = None
    values: dict[str, Any] = {}
    chosen_approvers: dict[str, list[int]] | None = None


class ApproveIn(Schema):
    comment: str = ""
    signature: str | None = None
    attachments: list[str] = []
    next_approvers: list[int] = []


class RejectIn(Schema):
    reason_category: str = ""
    note: str = ""


class ReturnIn(Schema):
    to: str = "initiator"
    reason_category: str = ""
    note: str = ""
    checklist: list[str] = []


class CommentIn(Schema):
    comment: str = ""


class CompleteIn(Schema):
    comment: str = ""
    form_updates: dict[str, Any] = {}


class TransferIn(Schema):
    to_user_id: int
    comment: str = ""


class SignerIn(Schema):
    user_ids: list[int]
    position: str = "parallel"
    comment: str = ""


class RemoveSignerIn(Schema):
    user_id: int


class BatchIn(Schema):
    task_ids: list[int]
    comment: str = ""


class ValuesIn(Schema):
    values: dict[str, Any]


class ReasonIn(Schema):
    reason: str = ""


class TextIn(Schema):
    text: str
    mentions: list[int] = []


class NodeReasonIn(Schema):
    node_id: str
    reason: str


class ReassignIn(Schema):
    to_user_id: int
    reason: str


class InboxFilters(Schema):
    tab: str = "todo"
    q: str = ""
    template_id: int | None = None
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    urgent: bool = False
    overdue: bool = False
    sort: str = ""


# --- reads --------------------------------------------------------------------------------------


@router.get("/inbox", summary="我的审批（按标签）")
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    user = _user(request)
    tab = filters.tab if filters.tab in {"todo", "done", "mine", "cc"} else "todo"
    rows = queries.inbox_for(user, tab, queries.Filters(  # type: ignore[arg-type]  # checked
        q=filters.q, template_id=filters.template_id, status=filters.status,
        date_from=filters.date_from, date_to=filters.date_to, urgent=filters.urgent,
        overdue=filters.overdue, sort=filters.sort))
    return {"tab": tab, "counts": queries.inbox_counts(user),
            "items": [_row(row) for row in rows]}


@router.get("/items/{instance_id}", summary="审批详情（路线与记录）")
def item(request: HttpRequest, instance_id: int) -> dict[str, Any]:
    user = _user(request)
    return _item(user, access.get_instance_for(user, instance_id))


@router.post("/preview", summary="预览审批路线")
def preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    steps = services.preview_route_for(
        actor=_user(request), values=payload.values, submission_id=payload.submission_id,
        template_id=payload.template_id, chosen_approvers=payload.chosen_approvers)
    return {"steps": [step.to_dict() for step in steps]}


# --- commands -----------------------------------------------------------------------------------


@router.post("/submissions/{submission_id}/submit", summary="提交并发起审批")
def submit(request: HttpRequest, submission_id: int, payload: SubmitIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _item(user, services.submit_for_approval(
        actor=user, submission_id=submission_id, values=payload.values, urgent=payload.urgent,
        chosen_approvers=payload.chosen_approvers, language=user.language)))


@router.post("/tasks/{task_id}/approve", summary="同意")
def approve(request: HttpRequest, task_id: int, payload: ApproveIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.approve(
        actor=user, task_id=task_id, comment=payload.comment, signature=payload.signature,
        attachments=payload.attachments, next_approvers=payload.next_approvers)))


@router.post("/tasks/{task_id}/reject", summary="驳回")
def reject(request: HttpRequest, task_id: int, payload: RejectIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.reject(
        actor=user, task_id=task_id, reason_category=payload.reason_category,
        note=payload.note)))


@router.post("/tasks/{task_id}/return", summary="退回")
def return_item(request: HttpRequest, task_id: int, payload: ReturnIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.return_item(
        actor=user, task_id=task_id, to=payload.to, note=payload.note,
        reason_category=payload.reason_category, checklist=payload.checklist)))


@router.post("/tasks/{task_id}/complete", summary="办理完成（可填写本节点可编辑的字段）")
def complete(request: HttpRequest, task_id: int, payload: CompleteIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.complete(
        actor=user, task_id=task_id, comment=payload.comment,
        form_updates=payload.form_updates, language=user.language)))


@router.post("/tasks/{task_id}/files", response={201: dict[str, Any]},
             summary="上传审批签名或附件（用于同意时的 signature / attachments）")
def upload_file(request: HttpRequest, task_id: int, file: File[UploadedFile],
                kind: Form[str] = "attachment") -> tuple[int, dict[str, Any]]:
    saved = services.upload_decision_file(actor=_user(request), task_id=task_id, kind=kind,
                                          file_name=file.name or "", content=file.read())
    return 201, {"id": str(saved.pk), "name": saved.original_name, "kind": saved.kind,
                 "size": saved.size}


@router.post("/tasks/{task_id}/transfer", summary="转交")
def transfer(request: HttpRequest, task_id: int, payload: TransferIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.transfer(
        actor=user, task_id=task_id, to_user_id=payload.to_user_id, comment=payload.comment)))


@router.post("/tasks/{task_id}/add-signer", summary="加签")
def add_signer(request: HttpRequest, task_id: int, payload: SignerIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.add_signer(
        actor=user, task_id=task_id, user_ids=payload.user_ids, position=payload.position,
        comment=payload.comment)))


@router.post("/tasks/{task_id}/remove-signer", summary="减签")
def remove_signer(request: HttpRequest, task_id: int, payload: RemoveSignerIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.remove_signer(
        actor=user, task_id=task_id, user_id=payload.user_id)))


@router.post("/tasks/batch-approve", summary="批量同意")
def batch_approve(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: {"results": [
        {"task_id": r.task_id, "ok": r.ok, "message": r.message}
        for r in services.batch_approve(actor=user, task_ids=payload.task_ids,
                                        comment=payload.comment)]})


@router.post("/tasks/{task_id}/reassign", summary="管理员：改派")
def reassign(request: HttpRequest, task_id: int, payload: ReassignIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _task_result(services.reassign(
        actor=user, task_id=task_id, to_user_id=payload.to_user_id, reason=payload.reason)))


@router.post("/items/{instance_id}/resubmit", summary="重新提交")
def resubmit(request: HttpRequest, instance_id: int, payload: ValuesIn) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _item(user, services.resubmit(
        actor=user, instance_id=instance_id, values=payload.values, language=user.language)))


@router.post("/items/{instance_id}/withdraw", summary="撤回")
def withdraw(request: HttpRequest, instance_id: int, payload: ReasonIn) -> dict[str, Any]:
    return _instance_action(request, payload, lambda user: services.withdraw(
        actor=user, instance_id=instance_id, reason=payload.reason))


@router.post("/items/{instance_id}/urge", summary="催办")
def urge(request: HttpRequest, instance_id: int) -> dict[str, Any]:
    return _instance_action(request, {}, lambda user: services.urge(
        actor=user, instance_id=instance_id))


@router.post("/items/{instance_id}/comment", summary="评论（可 @ 同事）")
def comment(request: HttpRequest, instance_id: int, payload: TextIn) -> dict[str, Any]:
    return _instance_action(request, payload, lambda user: services.comment(
        actor=user, instance_id=instance_id, text=payload.text, mentions=payload.mentions))


@router.post("/items/{instance_id}/skip", summary="管理员：跳过节点")
def skip(request: HttpRequest, instance_id: int, payload: NodeReasonIn) -> dict[str, Any]:
    return _instance_action(request, payload, lambda user: services.skip_node(
        actor=user, instance_id=instance_id, node_id=payload.node_id, reason=payload.reason))


@router.post("/items/{instance_id}/terminate", summary="管理员：终止")
def terminate(request: HttpRequest, instance_id: int, payload: ReasonIn) -> dict[str, Any]:
    return _instance_action(request, payload, lambda user: services.terminate(
        actor=user, instance_id=instance_id, reason=payload.reason))


@router.post("/items/{instance_id}/restart", summary="管理员：从节点重新开始")
def restart(request: HttpRequest, instance_id: int, payload: NodeReasonIn) -> dict[str, Any]:
    return _instance_action(request, payload, lambda user: services.restart_from(
        actor=user, instance_id=instance_id, node_id=payload.node_id, reason=payload.reason))


# --- helpers ------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]  # auth is a User


def _once(request: HttpRequest, payload: Any, call: Callable[[], Any]) -> Any:
    body = payload.dict() if hasattr(payload, "dict") else payload
    key = request.headers.get("Idempotency-Key")
    return idempotency.run_once(
        user=_user(request), key=key,
        request_fingerprint=idempotency.fingerprint(request.method or "POST", request.path,
                                                    json.loads(json.dumps(body, default=str))),
        call=call)


def _instance_action(request: HttpRequest, payload: Any,
                     call: Callable[[User], Instance]) -> dict[str, Any]:
    user = _user(request)
    return _once(request, payload, lambda: _summary(call(user)))  # type: ignore[no-any-return]


def _summary(instance: Instance) -> dict[str, Any]:
    return {"id": instance.pk, "status": instance.status, "status_text": instance.status_text,
            "current_nodes": instance.current_nodes, "urgent": instance.urgent,
            "revision": instance.revision}


def _task_result(task: ApprovalTask) -> dict[str, Any]:
    instance = Instance.objects.only("pk", "status", "status_text", "current_nodes", "urgent",
                                     "revision").get(pk=task.instance_id)
    return {"task": {"id": task.pk, "status": task.status, "node": task.node_name},
            "item": _summary(instance)}


def _row(row: queries.InboxRow) -> dict[str, Any]:
    instance = row.instance
    data = {**_summary(instance), "title": instance.title, "template": instance.template.name,
            "initiator": instance.initiator.name, "started_at": instance.started_at}
    if row.task is not None:
        data["task"] = {"id": row.task.pk, "node": row.task.node_name,
                        "status": row.task.status, "due_at": row.task.due_at,
                        "decided_at": row.task.decided_at}
    return data


def _item(user: User, instance: Instance) -> dict[str, Any]:
    instance = access.get_instance_for(user, instance.pk)
    page = queries.item_page(user, instance)
    return {
        **_summary(instance), "title": instance.title, "template": instance.template.name,
        "submission_id": instance.submission_id, "initiator": instance.initiator.name,
        "values": {k: v for k, v in instance.submission.values.items()
                   if k not in page.hidden_fields},
        "computed": instance.submission.computed,
        "route": [{"label": r.label, "state": r.state, "people": r.people, "reason": r.reason}
                  for r in page.route],
        "tasks": [{"id": t.pk, "node": t.node_name, "assignee": t.assignee.name,
                   "assignee_id": t.assignee_id, "status": t.status, "reason": t.reason,
                   "comment": t.comment, "opened_at": t.opened_at, "decided_at": t.decided_at}
                  for t in page.tasks],
        "timeline": [{"verb": e.verb, "actor": e.actor.name if e.actor else "系统",
                      "at": e.at, "node": e.node_name, "comment": e.comment,
                      "payload": e.payload} for e in page.timeline],
        "my_task_id": page.my_task.pk if page.my_task else None,
        "actions": sorted(page.actions), "reject_reasons": list(page.reject_reasons),
        "return_reasons": list(page.return_reasons), "changes": page.diff,
        # While returned: where resubmitting goes ("returner" → resume_node, or "start").
        "resubmit_to": page.resubmit_to or None, "resume_node": page.resume_node_name or None,
    }
