"""Use cases for running approval workflows. Every write to workflow rows goes through here.

Each public function takes keyword-only arguments and an explicit actor, checks access first,
and runs as one transaction: load (locked, revision-checked) → engine → `store.save`. Engine
refusals become domain errors with the engine's Chinese message: `IllegalCommand` → Conflict
(409, "该审批已被王芳处理"), `NotAllowed` → Forbidden (403), `NoApprover` → ValidationFailed (422).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from sopflow.form_templates.models import Submission
from sopflow.org.models import User

from . import access, definitions, store
from .directory import CompanyWorkCalendar, OrgDirectory
from .engine import (
    INITIATOR,
    AddSigner,
    AdminReassign,
    AdminRestartFrom,
    AdminSkip,
    AdminTerminate,
    Approve,
    Command,
    Comment,
    Complete,
    DefinitionError,
    IllegalCommand,
    NoApprover,
    NotAllowed,
    Reject,
    RemoveSigner,
    Resubmit,
    ResubmitTo,
    Return,
    RouteStep,
    SignerPosition,
    TimerFired,
    Transfer,
    Urge,
    Withdraw,
    advance,
    preview_route,
    start,
)
from .models import ApprovalTask, Instance
from .store import Extras

# --- starting -----------------------------------------------------------------------------------


def submit_for_approval(*, actor: User, submission_id: int, values: dict[str, Any] | None = None,
                        urgent: bool = False,
                        chosen_approvers: Mapping[str, Sequence[int]] | None = None,
                        language: str = "zh-hans") -> Instance:
    """Submit a draft and start its approval, in one transaction (see `submit_submission`).

    Raises ValidationFailed for invalid values or a route that refuses (nobody to approve),
    NotFound when the template has no published workflow; nothing is stored then.
    """
    from sopflow.form_templates.services.submissions import submit_submission

    submission = submit_submission(actor=actor, submission_id=submission_id, values=values,
                                   language=language, urgent=urgent, require_workflow=True,
                                   chosen_approvers=_plain_choices(chosen_approvers))
    # `start_for_submission` made the row, which filled this one-to-one cache: no re-read.
    instance = Submission.workflow_instance.related.get_cached_value(submission)
    assert isinstance(instance, Instance)  # noqa: S101  # require_workflow guarantees it
    return instance


def start_for_submission(*, actor: User, submission: Submission, urgent: bool = False,
                         chosen_approvers: Mapping[str, Sequence[int]] | None = None,
                         audit: Sequence[tuple[str, dict[str, Any], Any]] = (),
                         ) -> Instance | None:
    """Start the template's current workflow for a just-submitted submission (caller's
    transaction). None when the template has no workflow (a plain form); then nothing is
    written, `audit` included (the caller records it). `audit` rows (action, changes, object)
    are written first in the workflow's own chained audit write."""
    current = store.current_spec(submission.template_id)
    if current is None:
        return None
    version_id, spec, context = current
    now = clock.now()
    directory = OrgDirectory(submission.company_id)
    directory.prime([actor])
    # The flow's named people and the initiator's department with its heads (the usual first
    # approvers), in one statement.
    directory.prefetch(spec.named_user_ids,
                       [actor.department_id] if actor.department_id is not None else [])
    with _engine_errors():
        outcome = start(spec.definition, initiator_id=actor.pk, form=submission.values, now=now,
                        directory=directory, instance_urgent=urgent,
                        chosen_approvers=chosen_approvers,
                        calendar=CompanyWorkCalendar(submission.company_id))
    row = store.new_instance_row(submission=submission, version_id=version_id,
                                 context=context, initiator=actor, urgent=urgent, now=now)
    store.save(row, spec, outcome, actor=actor, now=now, directory=directory, created=True,
               extras=Extras(audit_before=tuple(audit)))
    return row


def preview_route_for(*, actor: User, values: dict[str, Any], submission_id: int | None = None,
                      template_id: int | None = None,
                      chosen_approvers: Mapping[str, Sequence[int]] | None = None,
                      ) -> list[RouteStep]:
    """The route and named approvers the entered values would take (nothing is stored)."""
    from sopflow.form_templates import access as form_access

    if submission_id is not None:
        template_id = form_access.get_submission_for(actor, submission_id, "view").template_id
    elif template_id is not None:
        template_id = form_access.get_template_for(actor, template_id, "start").pk
    else:
        raise ValidationFailed(gettext("缺少模板或表单"))
    version = definitions.current_version(template_id)
    if version is None:
        return []
    spec = definitions.spec_of(version.pk, version.spec)
    with _engine_errors():
        return preview_route(spec.definition, initiator_id=actor.pk, form=values,
                             directory=OrgDirectory(actor.company_id),
                             chosen_approvers=chosen_approvers)


# --- task decisions -----------------------------------------------------------------------------


def approve(*, actor: User, task_id: int, comment: str = "", signature: str | None = None,
            attachments: Sequence[str] = (), next_approvers: Sequence[int] = ()) -> ApprovalTask:
    """Approve the actor's open task; the item moves on when the node's mode is satisfied.

    `signature` and `attachments` are ids of files the actor uploaded for this item with
    `upload_decision_file` (ValidationFailed otherwise); the timeline shows them.
    """
    files = _decision_files(actor, task_id, signature, attachments)
    return _on_task(actor, task_id, lambda key: Approve(
        key, actor.pk, comment=comment, signature=signature, attachments=tuple(attachments),
        next_approvers=tuple(next_approvers)), comment=comment,
        payload={"workflow.task.approved": files} if files else None)


def upload_decision_file(*, actor: User, task_id: int, kind: str, file_name: str,
                         content: bytes) -> Any:
    """Store a signature (`kind="signature"`, PNG) or an attachment for the actor's open task,
    to be named in `approve`. Raises NotFound/Forbidden like a decision, ValidationFailed for a
    refused file."""
    from sopflow.form_templates.services.attachments import upload_review_file

    with transaction.atomic():
        task = access.get_task_for(actor, task_id, "decide")
        if not task.is_open:
            raise Conflict("该审批已处理，不能再上传文件")
        submission = Submission.objects.select_related("version").get(
            pk=task.instance.submission_id)
        return upload_review_file(actor=actor, submission=submission, kind=kind,
                                  file_name=file_name, content=content)


def reject(*, actor: User, task_id: int, reason_category: str = "",
           note: str = "") -> ApprovalTask:
    """Reject the item (ends it). `reason_category` must come from the template's reason list."""
    def command(key: str, spec: definitions.Spec) -> Command:
        if spec.reject_reasons and reason_category not in spec.reject_reasons:
            raise ValidationFailed(gettext("请选择驳回原因"), field="reason_category")
        return Reject(key, actor.pk, reason_category=reason_category, note=note)
    return _on_task(actor, task_id, command, comment=note, wants_spec=True)


def return_item(*, actor: User, task_id: int, to: str = INITIATOR, note: str = "",
                reason_category: str = "", checklist: Sequence[str] = (),
                resubmit_to: str | None = None) -> ApprovalTask:
    """Send the item back to the initiator (with what is missing) or to an earlier node.
    `resubmit_to` ("returner" or "start") overrides the flow's setting for where the
    initiator's resubmission goes; None keeps the flow's setting."""
    def command(key: str, spec: definitions.Spec) -> Command:
        if to == INITIATOR and spec.return_reasons and reason_category \
                and reason_category not in spec.return_reasons:
            raise ValidationFailed(gettext("退回原因不在列表中"), field="reason_category")
        if resubmit_to not in (None, *ResubmitTo):
            raise ValidationFailed(gettext("重新提交方式无效"), field="resubmit_to")
        return Return(key, actor.pk, to=to, note=note, reason_category=reason_category,
                      checklist=tuple(item for item in checklist if item),
                      resubmit_to=ResubmitTo(resubmit_to) if resubmit_to else None)
    return _on_task(actor, task_id, command, comment=note, wants_spec=True)


def complete(*, actor: User, task_id: int, comment: str = "",
             form_updates: Mapping[str, object] | None = None,
             language: str = "zh-hans") -> ApprovalTask:
    """Finish a handler (办理) task, optionally filling the fields the node may edit (field
    permission `edit`). The whole form is validated by its schema like a submit and the
    submission keeps the new values. Forbidden for a field the node may not edit,
    ValidationFailed (one detail per field) for invalid values; nothing changes then."""
    if not form_updates:
        return _on_task(actor, task_id, lambda key: Complete(key, actor.pk, comment=comment),
                        comment=comment)
    from sopflow.form_templates.services.submissions import apply_workflow_updates

    with transaction.atomic():
        task = access.get_task_for(actor, task_id, "decide")
        spec = definitions.spec_of(task.instance.definition_version_id)
        node = spec.definition.task_node(task.node_id)
        for key in sorted(form_updates):
            if str(node.access(key)) != "edit":
                raise Forbidden(f"字段“{key}”在此节点不可编辑")
        submission = Submission.objects.select_for_update(of=("self",)).select_related("version").get(
            pk=task.instance.submission_id)
        submission = apply_workflow_updates(actor=actor, submission=submission,
                                            updates=dict(form_updates), language=language)
        cleaned = {key: submission.values.get(key) for key in form_updates}
        return _on_task(actor, task_id, lambda key: Complete(
            key, actor.pk, form_updates=cleaned, comment=comment), comment=comment)


def transfer(*, actor: User, task_id: int, to_user_id: int, comment: str = "") -> ApprovalTask:
    """Hand the actor's task to a colleague of the same company (转交)."""
    _colleague(actor, to_user_id)
    return _on_task(actor, task_id, lambda key: Transfer(key, actor.pk, to_user_id, comment),
                    comment=comment)


def add_signer(*, actor: User, task_id: int, user_ids: Sequence[int],
               position: str = SignerPosition.PARALLEL, comment: str = "") -> ApprovalTask:
    """加签: add people before, after or alongside the actor at their node."""
    for user_id in user_ids:
        _colleague(actor, user_id)
    try:
        where = SignerPosition(position)
    except ValueError as error:
        raise ValidationFailed(gettext("加签方式无效"), field="position") from error
    return _on_task(actor, task_id, lambda key: AddSigner(
        key, actor.pk, tuple(user_ids), position=where, comment=comment))


def remove_signer(*, actor: User, task_id: int, user_id: int) -> ApprovalTask:
    """减签: remove a signer the actor added who has not decided yet."""
    return _on_task(actor, task_id, lambda key: RemoveSigner(key, actor.pk, user_id))


@dataclass(frozen=True)
class BatchResult:
    task_id: int
    ok: bool
    message: str = ""


def batch_approve(*, actor: User, task_ids: Sequence[int], comment: str = "") -> list[BatchResult]:
    """Approve several tasks from the inbox, each in its own transaction (one failure does not
    undo the others). Only where the template allows batch approval."""
    results = []
    for task_id in task_ids:
        try:
            with transaction.atomic():
                task = access.get_task_for(actor, task_id, "decide")
                spec = definitions.spec_of(task.instance.definition_version_id)
                if not spec.batch_approve:
                    raise Forbidden(gettext("该流程不支持批量审批"))
                approve(actor=actor, task_id=task_id, comment=comment)
            results.append(BatchResult(task_id, True))
        except DomainError as error:
            results.append(BatchResult(task_id, False, error.message))
    return results


# --- the initiator and participants -------------------------------------------------------------


def resubmit(*, actor: User, instance_id: int, values: dict[str, Any],
             chosen_approvers: Mapping[str, Sequence[int]] | None = None,
             language: str = "zh-hans") -> Instance:
    """Resubmit a returned item with new values (validated like a submit). The timeline keeps a
    labelled field-by-field diff for the approvers."""
    from sopflow.form_templates.services.submissions import revise_submitted_values

    with transaction.atomic():
        instance = access.get_instance_for(actor, instance_id)
        if instance.initiator_id != actor.pk:
            raise Forbidden(gettext("只有发起人可以重新提交"))
        if instance.status != Instance.Status.RETURNED:
            raise Conflict(gettext("该审批不在退回状态，不能重新提交"))
        before = dict(instance.submission.values)
        submission = revise_submitted_values(actor=actor, submission=instance.submission,
                                             values=values, language=language)
        diff = _labelled_diff(submission.version.schema, before, submission.values)
        _on_instance(actor, instance, Resubmit(actor.pk, submission.values,
                                               chosen_approvers=_chosen(chosen_approvers)),
                     extras=Extras(payload={"workflow.instance.resubmitted": {"diff": diff}}))
    return instance


def withdraw(*, actor: User, instance_id: int, reason: str = "") -> Instance:
    """The initiator takes the item back (before anyone decided, or where the flow allows)."""
    return _instance_command(actor, instance_id, Withdraw(actor.pk, reason))


def urge(*, actor: User, instance_id: int) -> Instance:
    """催办: remind the current approvers (the initiator, at most once an hour)."""
    return _instance_command(actor, instance_id, Urge(actor.pk))


def comment(*, actor: User, instance_id: int, text: str,
            mentions: Sequence[int] = ()) -> Instance:
    """A comment on the timeline by any participant; @mentioned colleagues are notified."""
    if not text.strip():
        raise ValidationFailed(gettext("评论不能为空"), field="text")
    for user_id in mentions:
        _colleague(actor, user_id)
    return _instance_command(actor, instance_id, Comment(actor.pk, text.strip(), tuple(mentions)))


# --- process admins -----------------------------------------------------------------------------


def reassign(*, actor: User, task_id: int, to_user_id: int, reason: str) -> ApprovalTask:
    """Process admin: give an open task to someone else (reason required)."""
    _colleague(actor, to_user_id)
    with transaction.atomic():
        task = access.get_task_for(actor, task_id, "admin")
        instance = access.get_instance_for(actor, task.instance_id, "admin")
        _on_instance(actor, instance, AdminReassign(task.key, actor.pk, to_user_id,
                                                    _reason(reason)))
    return task


def skip_node(*, actor: User, instance_id: int, node_id: str, reason: str) -> Instance:
    return _instance_command(actor, instance_id, AdminSkip(node_id, actor.pk, _reason(reason)),
                             action="admin")


def terminate(*, actor: User, instance_id: int, reason: str) -> Instance:
    return _instance_command(actor, instance_id, AdminTerminate(actor.pk, _reason(reason)),
                             action="admin")


def restart_from(*, actor: User, instance_id: int, node_id: str, reason: str) -> Instance:
    return _instance_command(actor, instance_id,
                             AdminRestartFrom(node_id, actor.pk, _reason(reason)),
                             action="admin")


# --- timers -------------------------------------------------------------------------------------


def fire_timer(*, instance_id: int, timer_key: str) -> None:
    """A deadline timer came due: run the node's next rung (stale timers change nothing)."""
    with transaction.atomic():
        row, spec, state = store.load(instance_id)
        directory = OrgDirectory(row.company_id)
        now = clock.now()
        outcome = advance(spec.definition, state, TimerFired(timer_key), now=now,
                          directory=directory, calendar=CompanyWorkCalendar(row.company_id))
        if outcome.state is state and not outcome.events:
            return
        store.save(row, spec, outcome, actor=None, now=now, directory=directory)


# --- internals ----------------------------------------------------------------------------------


@contextmanager
def _engine_errors() -> Iterator[None]:
    try:
        yield
    except NoApprover as error:
        raise ValidationFailed(str(error), code="no_approver") from error
    except NotAllowed as error:
        raise Forbidden(str(error)) from error
    except IllegalCommand as error:
        raise Conflict(str(error)) from error
    except DefinitionError as error:
        raise ValidationFailed(str(error), code="definition_error") from error


def _on_task(actor: User, task_id: int, make: Callable[..., Command], *, comment: str = "",
             wants_spec: bool = False,
             payload: dict[str, dict[str, Any]] | None = None) -> ApprovalTask:
    with transaction.atomic():
        # One query for the task, its item (locked on PostgreSQL) and the item's state.
        loaded = store.load_task(task_id, company_id=actor.company_id)
        if loaded is None:
            raise NotFound(gettext("审批不存在"))
        task, spec, state = loaded
        access.check_task(actor, task, "decide")
        row = task.instance
        command = make(task.key, spec) if wants_spec else make(task.key)
        behalf = _on_behalf_of(actor, task)
        if behalf is not None:
            command = dataclasses.replace(command, actor_id=behalf)  # type: ignore[arg-type]  # every task command has actor_id
        written = _apply(actor, row, spec, state, command,
                         Extras(task_comment=(task.key, comment) if comment else None,
                                payload=payload or {}, on_behalf_of=behalf))
    # The store says what it wrote to the task: no re-read.
    for column, value in written.get(task.key, {}).items():
        setattr(task, column, value)
    return task


def _on_behalf_of(actor: User, task: ApprovalTask) -> int | None:
    """The original assignee when `actor` is the delegate of a delegated task.

    The engine keeps the original person as the task's assignee (so they can still act, like
    DingTalk's 代理: both may handle it); the delegate acts in their name and the timeline shows
    "代 X 处理". Nobody else gets here: `access.get_task_for(..., "decide")` checked first.
    """
    if task.delegated_from_id is not None and actor.pk == task.assignee_id:
        return task.delegated_from_id
    return None


def _instance_command(actor: User, instance_id: int, command: Command,
                      action: access.InstanceAction = "view") -> Instance:
    with transaction.atomic():
        instance = access.get_instance_for(actor, instance_id, action)
        _on_instance(actor, instance, command)
    return instance


def _on_instance(actor: User, instance: Instance, command: Command,
                 extras: Extras | None = None) -> None:
    row, spec, state = store.load(instance.pk)
    _apply(actor, row, spec, state, command, extras or Extras())
    instance.refresh_from_db()


def _apply(actor: User, row: Instance, spec: definitions.Spec, state: Any, command: Command,
           extras: Extras) -> dict[str, dict[str, Any]]:
    directory = OrgDirectory(row.company_id)
    directory.prime([actor])
    directory.prefetch(spec.named_user_ids | {row.initiator_id})
    now = clock.now()
    with _engine_errors():
        outcome = advance(spec.definition, state, command, now=now, directory=directory,
                          calendar=CompanyWorkCalendar(row.company_id))
    return store.save(row, spec, outcome, actor=actor, now=now, directory=directory,
                      extras=extras)


def _plain_choices(chosen: Mapping[str, Sequence[int]] | None) -> dict[str, list[int]] | None:
    return {node: list(ids) for node, ids in chosen.items()} if chosen else None


def _decision_files(actor: User, task_id: int, signature: str | None,
                    attachments: Sequence[str]) -> dict[str, Any]:
    """{"signature_file": {...}, "files": [...]} for the timeline, checking every id is a file
    the actor uploaded for this item's decision."""
    if not signature and not attachments:
        return {}
    from sopflow.form_templates.models import Attachment
    from sopflow.form_templates.services.attachments import REVIEW_FIELDS

    task = access.get_task_for(actor, task_id, "decide")
    wanted = [signature or "", *attachments]
    ids = {int(value) for value in wanted if value.isdigit()}
    found = {file.pk: file for file in Attachment.objects.filter(
        pk__in=ids, owner=actor, submission_id=task.instance.submission_id,
        field_key__in=REVIEW_FIELDS.values())}
    if signature and (not signature.isdigit() or int(signature) not in found
                      or found[int(signature)].field_key != REVIEW_FIELDS["signature"]):
        raise ValidationFailed("签名文件无效，请重新签名", field="signature")
    if any(not value.isdigit() or int(value) not in found for value in attachments):
        raise ValidationFailed("附件无效，请重新上传", field="attachments")
    result: dict[str, Any] = {"files": [
        {"id": int(value), "name": found[int(value)].original_name} for value in attachments]}
    if signature:
        result["signature_file"] = int(signature)
    return result


def _colleague(actor: User, user_id: int) -> User:
    user = (User.objects.filter(pk=user_id, company_id=actor.company_id, is_active=True).first()
            if actor.company_id is not None else None)
    if user is None:
        raise ValidationFailed(gettext("找不到该同事"), field="user")
    return user


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed(gettext("请填写原因"), field="reason")
    return reason.strip()


def _chosen(chosen: Mapping[str, Sequence[int]] | None) -> dict[str, tuple[int, ...]]:
    return {key: tuple(value) for key, value in (chosen or {}).items()}


def _labelled_diff(schema: dict[str, Any], old: dict[str, Any],
                   new: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"path", "label", "old", "new"}] for every changed value, in form order."""
    from sopflow.form_templates.schema import diff, fields

    changes = diff.diff_values(fields.Schema.from_dict(schema), old, new)
    return [change.to_dict() for change in changes]


def mark_cc_read(*, actor: User, instance_id: int) -> int:
    """The actor opened an item they were CC'd on (no audit: reading is not a change)."""
    from .models import CarbonCopy

    return CarbonCopy.objects.filter(instance_id=instance_id, user=actor,
                                     read_at__isnull=True).update(read_at=clock.now())
