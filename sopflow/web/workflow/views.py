"""审批: the inbox (tabs, counts, filters, badge), the item page with its actions, resubmission
after a return, and the route preview on the fill page. Thin over workflow services/queries."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError, NotFound
from sopflow.form_templates.models import Attachment, FormTemplate
from sopflow.org.models import User
from sopflow.web.form_templates import render as form_render
from sopflow.workflow import access, queries, services

TASK_ACTIONS = {"approve", "reject", "return", "complete", "transfer", "add-signer",
                "remove-signer", "reassign"}
INSTANCE_ACTIONS = {"withdraw", "urge", "comment", "skip", "terminate", "restart"}


def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    tab = request.GET.get("tab", "todo")
    if tab not in dict(queries.TABS):
        tab = "todo"
    filters = _filters(request)
    counts: dict[str, int | str] = dict(queries.inbox_counts(user))
    for key in ("done", "mine", "cc"):  # capped counts show as "99+"; todo is exact
        counts[key] = queries.count_label(int(counts[key]))
    context = {
        "tab": tab, "tabs": queries.TABS, "counts": counts,
        "rows": queries.inbox_for(user, tab, filters), "filters": filters,  # type: ignore[arg-type]  # checked
        "templates": FormTemplate.objects.filter(company_id=user.company_id,
                                                 workflow_definition__isnull=False)
        .only("pk", "name"),
        "statuses": [("running", "审批中"), ("approved", "已通过"), ("rejected", "已驳回"),
                     ("returned", "已退回"), ("withdrawn", "已撤回"), ("terminated", "已终止")],
    }
    if request.headers.get("HX-Request") and request.GET.get("partial"):
        return render(request, "web/workflow/_inbox_rows.html", context)
    return render(request, "web/workflow/inbox.html", context)


def badge(request: HttpRequest) -> HttpResponse:
    """htmx: the 待我处理 count (polled every 30 s and after every action); `?nav=1` gives the
    navbar icon, otherwise the inbox heading's badge."""
    name = "_nav_badge.html" if request.GET.get("nav") else "_badge.html"
    return render(request, f"web/workflow/{name}",
                  {"count": queries.badge_count(request.user)})  # type: ignore[arg-type]  # logged in


def item(request: HttpRequest, instance_id: int) -> HttpResponse:
    return _item_page(request, instance_id)


@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    if action not in TASK_ACTIONS:
        raise Http404
    user: User = request.user  # type: ignore[assignment]  # logged in
    post = request.POST
    try:
        task = access.get_task_for(user, task_id, "view")
    except NotFound as error:
        raise Http404(error.message) from error
    instance_id = task.instance_id
    try:
        match action:
            case "approve":
                services.approve(actor=user, task_id=task_id, comment=post.get("comment", ""),
                                 signature=post.get("signature") or None,
                                 attachments=[v for v in post.getlist("attachments") if v])
                done = "已同意"
            case "reject":
                services.reject(actor=user, task_id=task_id,
                                reason_category=post.get("reason_category", ""),
                                note=post.get("note", ""))
                done = "已驳回"
            case "return":
                services.return_item(
                    actor=user, task_id=task_id, to=post.get("to") or "initiator",
                    reason_category=post.get("reason_category", ""), note=post.get("note", ""),
                    checklist=[line.strip() for line in post.get("checklist", "").splitlines()])
                done = "已退回"
            case "complete":
                services.complete(actor=user, task_id=task_id, comment=post.get("comment", ""),
                                  form_updates=_handler_updates(task, post),
                                  language=request.LANGUAGE_CODE)
                done = "已办理"
            case "transfer":
                services.transfer(actor=user, task_id=task_id,
                                  to_user_id=_int(post.get("to_user_id")),
                                  comment=post.get("comment", ""))
                done = "已转交"
            case "add-signer":
                services.add_signer(actor=user, task_id=task_id,
                                    user_ids=[_int(v) for v in post.getlist("user_ids")],
                                    position=post.get("position", "parallel"))
                done = "已加签"
            case "remove-signer":
                services.remove_signer(actor=user, task_id=task_id,
                                       user_id=_int(post.get("user_id")))
                done = "已减签"
            case _:
                services.reassign(actor=user, task_id=task_id,
                                  to_user_id=_int(post.get("to_user_id")),
                                  reason=post.get("reason", ""))
                done = "已改派"
    except DomainError as error:
        return _failed(request, instance_id, error)
    return _done(request, instance_id, done)


@require_POST
def task_file_upload(request: HttpRequest, task_id: int) -> HttpResponse:
    """The approver's signature or attachment for a decision (multipart; JSON answer in the
    shape the fill page's uploader and signature pad expect)."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"code": "validation_failed", "message": "请选择文件"}, status=422)
    try:
        saved = services.upload_decision_file(
            actor=request.user, task_id=task_id,  # type: ignore[arg-type]  # logged in
            kind=request.POST.get("field", ""), file_name=upload.name or "",
            content=upload.read())
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": error.message}, status=error.status)
    return JsonResponse({"id": saved.pk, "name": saved.original_name, "size": saved.size,
                         "kind": saved.kind, "thumbnail_url": ""}, status=201)


@require_POST
def instance_action(request: HttpRequest, instance_id: int, action: str) -> HttpResponse:
    if action not in INSTANCE_ACTIONS:
        raise Http404
    user: User = request.user  # type: ignore[assignment]  # logged in
    post = request.POST
    try:
        access.get_instance_for(user, instance_id)
    except NotFound as error:
        raise Http404(error.message) from error
    try:
        match action:
            case "withdraw":
                services.withdraw(actor=user, instance_id=instance_id,
                                  reason=post.get("reason", ""))
                done = "已撤回"
            case "urge":
                services.urge(actor=user, instance_id=instance_id)
                done = "已催办"
            case "comment":
                services.comment(actor=user, instance_id=instance_id,
                                 text=post.get("text", ""),
                                 mentions=[_int(v) for v in post.getlist("mentions") if v])
                done = "已评论"
            case "skip":
                services.skip_node(actor=user, instance_id=instance_id,
                                   node_id=post.get("node_id", ""), reason=post.get("reason", ""))
                done = "已跳过节点"
            case "terminate":
                services.terminate(actor=user, instance_id=instance_id,
                                   reason=post.get("reason", ""))
                done = "已终止"
            case _:
                services.restart_from(actor=user, instance_id=instance_id,
                                      node_id=post.get("node_id", ""),
                                      reason=post.get("reason", ""))
                done = "已重新开始"
    except DomainError as error:
        return _failed(request, instance_id, error)
    return _done(request, instance_id, done)


@require_POST
def batch_approve(request: HttpRequest) -> HttpResponse:
    ids = [_int(v) for v in request.POST.getlist("task_ids") if v]
    results = services.batch_approve(actor=request.user, task_ids=ids,  # type: ignore[arg-type]  # logged in
                                     comment=request.POST.get("comment", ""))
    ok = sum(1 for r in results if r.ok)
    messages.success(request, gettext("已批量同意 %(ok)s 项") % {"ok": ok})
    for failed in (r for r in results if not r.ok):
        messages.error(request, gettext("#%(task_id)s：%(message)s") % {"task_id": failed.task_id, "message": failed.message})
    response = redirect(f"{request.path.replace('batch-approve/', '')}?tab=todo")
    response["HX-Trigger"] = "inbox-changed"
    return response


def resubmit(request: HttpRequest, instance_id: int) -> HttpResponse:
    """The initiator edits a returned item and submits it again."""
    user: User = request.user  # type: ignore[assignment]  # logged in
    try:
        instance = access.get_instance_for(user, instance_id)
    except NotFound as error:
        raise Http404(error.message) from error
    if instance.initiator_id != user.pk or instance.status != "returned":
        return redirect("web:approval-item", instance_id)
    submission = instance.submission
    values: dict[str, Any] = submission.values
    errors: dict[str, str] = {}
    message = ""
    if request.method == "POST":
        values = form_render.values_from_post(submission.version.schema, request.POST)
        try:
            services.resubmit(actor=user, instance_id=instance_id, values=values,
                              language=request.LANGUAGE_CODE)
        except DomainError as error:
            errors = {str(e["field"]): str(e["message"]) for e in error.details}
            message = error.message
        else:
            return _done(request, instance_id, "已重新提交")
    page = queries.item_page(user, instance)
    return render(request, "web/workflow/resubmit.html", {
        "instance": instance, "submission": submission, "page": page, "error_message": message,
        "fields": _fields(user, instance, values, errors)}, status=422 if message else 200)


@require_POST
def preview(request: HttpRequest, submission_id: int) -> HttpResponse:
    """htmx from the fill page: the route and named approvers for the values entered so far."""
    user: User = request.user  # type: ignore[assignment]  # logged in
    from sopflow.form_templates import access as form_access

    try:
        submission = form_access.get_submission_for(user, submission_id, "view")
        values = form_render.values_from_post(submission.version.schema, request.POST)
        steps = services.preview_route_for(actor=user, submission_id=submission_id,
                                           values=values)
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        return render(request, "web/workflow/_preview.html", {"error": error.message})
    return render(request, "web/workflow/_preview.html", {"steps": [
        s for s in steps if s.kind.value in ("approver", "handler", "cc")]})


# --- helpers ------------------------------------------------------------------------------------


def _item_page(request: HttpRequest, instance_id: int, *, error: str = "",
               status: int = 200, errors: dict[str, str] | None = None) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # logged in
    try:
        instance = access.get_instance_for(user, instance_id)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    services.mark_cc_read(actor=user, instance_id=instance.pk)
    page = queries.item_page(user, instance)
    return render(request, "web/workflow/item.html", {
        "instance": instance, "page": page, "error_message": error,
        "fields": _fields(user, instance, instance.submission.values, {},
                          hidden=page.hidden_fields),
        "handler_fields": _fields(user, instance, instance.submission.values, errors or {},
                                  only=set(page.editable_fields)) if page.editable_fields else [],
        "people": queries.people_choices(user) if page.actions else [],
    }, status=status)


def _fields(user: User, instance: Any, values: dict[str, Any], errors: dict[str, str], *,
            hidden: set[str] | None = None,
            only: set[str] | None = None) -> list[form_render.FieldView]:
    submission = instance.submission
    schema = submission.version.schema
    if hidden:
        schema = {**schema, "fields": [f for f in schema.get("fields", [])
                                       if f.get("key") not in hidden]}
    if only is not None:
        schema = {**schema, "fields": [f for f in schema.get("fields", [])
                                       if f.get("key") in only]}
    people = list(User.objects.filter(company_id=instance.company_id).values_list("pk", "name"))
    files = {a.pk: a for a in Attachment.objects.filter(submission=submission)}
    files |= {a.pk: a for a in Attachment.objects.filter(owner=user, submission__isnull=True,
                                                         version=submission.version)}
    return form_render.build_fields(schema, values, computed=submission.computed, errors=errors,
                                    files=files, people=people)


def _handler_updates(task: Any, post: Any) -> dict[str, Any]:
    """The fields a handler node may edit, read from its form (empty fields included, so a
    cleared value is validated too)."""
    editable = queries.editable_fields(task)
    if not editable:
        return {}
    schema = task.instance.submission.version.schema
    subset = {**schema, "fields": [f for f in schema.get("fields", []) if f.get("key") in editable]}
    values = form_render.values_from_post(subset, post)
    return {key: values.get(key) for key in editable}


def _done(request: HttpRequest, instance_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.headers.get("HX-Request"):
        response = _item_page(request, instance_id)
        response["HX-Trigger"] = "inbox-changed"
        response["HX-Push-Url"] = f"/approvals/{instance_id}/"
        return response
    return redirect("web:approval-item", instance_id)


def _failed(request: HttpRequest, instance_id: int, error: DomainError) -> HttpResponse:
    status = 409 if error.status == 409 else 422 if error.status in (400, 403, 422) else 422
    if request.headers.get("HX-Request") or error.details:
        errors = {str(e.get("field")): str(e.get("message")) for e in error.details}
        return _item_page(request, instance_id, error=error.message, status=status,
                          errors=errors)
    messages.error(request, error.message)
    return redirect("web:approval-item", instance_id)


def _filters(request: HttpRequest) -> queries.Filters:
    get = request.GET
    return queries.Filters(q=get.get("q", "").strip(), template_id=_int(get.get("template")),
                           status=get.get("status", ""), date_from=_date(get.get("from")),
                           date_to=_date(get.get("to")), urgent=get.get("urgent") == "1",
                           overdue=get.get("overdue") == "1", sort=get.get("sort", ""))


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
