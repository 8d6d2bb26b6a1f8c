"""Task-level commands: approve, reject, return, complete, transfer, add and remove signers."""

from __future__ import annotations

from dataclasses import replace

from .commands import (
    INITIATOR,
    AddSigner,
    Approve,
    Complete,
    Reject,
    RemoveSigner,
    ResubmitTo,
    Return,
    SignerPosition,
    Transfer,
)
from .effects import Event, SuspendTask
from .errors import IllegalCommand, NotAllowed
from .flow import (
    Work,
    check_node,
    close_task,
    finish,
    open_task,
    record_approval,
    reenter,
    reentry_scope,
    rewire,
    stop_everything,
    wake,
)
from .nodes import Action, FieldAccess, Mode, TaskNode
from .state import Join, Resumption, Status, Task, TaskStatus


def approve(work: Work, command: Approve) -> None:
    task, node = task_for(work, command.task_id, command.actor_id, Action.APPROVE)
    if node.require_signature_on_approve and not command.signature:
        raise NotAllowed("此节点审批需要手写签名")
    if command.next_approvers:
        work.next_approvers = tuple(dict.fromkeys(command.next_approvers))
    work.has_decision = True
    close_task(work, task, TaskStatus.APPROVED, "", command.actor_id)
    work.emit(Event("workflow.task.approved", actor_id=command.actor_id, node_id=node.id,
                    task_id=task.id, comment=command.comment, attachments=command.attachments,
                    signature=command.signature or "", user_ids=command.next_approvers))
    record_approval(work, task, command.actor_id)


def complete(work: Work, command: Complete) -> None:
    task, node = task_for(work, command.task_id, command.actor_id, Action.COMPLETE)
    for key in sorted(command.form_updates):
        if node.access(key) is not FieldAccess.EDIT:
            raise NotAllowed(f"字段“{key}”在此节点不可编辑")
    updated = work.form.updated(command.form_updates)
    changes = work.form.diff(updated)
    work.form = updated
    work.has_decision = True
    close_task(work, task, TaskStatus.COMPLETED, "", command.actor_id)
    work.emit(Event("workflow.task.completed", actor_id=command.actor_id, node_id=node.id,
                    task_id=task.id, comment=command.comment, changes=changes))
    record_approval(work, task, command.actor_id)


def reject(work: Work, command: Reject) -> None:
    """Rejection ends the item, except in a quorum node that can still reach its quorum."""
    task, node = task_for(work, command.task_id, command.actor_id, Action.REJECT)
    if node.require_comment_on_reject and not command.note.strip():
        raise NotAllowed("驳回时必须填写意见")
    work.has_decision = True
    close_task(work, task, TaskStatus.REJECTED, command.reason_category, command.actor_id)
    work.emit(Event("workflow.task.rejected", actor_id=command.actor_id, node_id=node.id,
                    task_id=task.id, reason=command.reason_category, comment=command.note))
    run = work.find_run(node.id)
    if run is not None and task.signer is None and node.effective_mode is Mode.QUORUM:
        undecided = sum(1 for t in work.node_tasks(node.id) if t.signer is None)
        if run.approvals + undecided >= run.needed:
            check_node(work, node.id, command.actor_id)
            return
    finish(work, Status.REJECTED, actor_id=command.actor_id, comment=command.note,
           reason=command.reason_category)


def send_back(work: Work, command: Return) -> None:
    """Return to the initiator (item becomes `returned`) or re-enter an earlier node."""
    task, node = task_for(work, command.task_id, command.actor_id, Action.RETURN)
    if command.to != INITIATOR:
        _check_return_target(work, node, command.to)
        if command.resubmit_to is not None:
            raise NotAllowed("只有退回发起人时才能选择重新提交后的审批方式")
    work.has_decision = True
    close_task(work, task, TaskStatus.RETURNED, command.reason_category, command.actor_id)
    work.emit(Event("workflow.task.returned", actor_id=command.actor_id, node_id=node.id,
                    task_id=task.id, target=command.to, comment=command.note,
                    reason=command.reason_category, checklist=command.checklist))
    if command.to == INITIATOR:
        resubmit_to = command.resubmit_to or work.definition.resubmit_to
        work.resume = Resumption(
            node.id, tuple(run.node_id for run in work.runs),
            tuple(Join(group, tuple(arrived)) for group, arrived in work.joins.items()),
        ) if resubmit_to is ResubmitTo.RETURNER else None
        stop_everything(work, "已退回发起人", command.actor_id)
        work.status = Status.RETURNED
        work.emit(Event("workflow.instance.returned", actor_id=command.actor_id,
                        node_id=node.id, comment=command.note, reason=command.reason_category,
                        checklist=command.checklist, target=resubmit_to.value))
        return
    reenter(work, command.to, f"已退回至“{_node_name(work, command.to)}”", command.actor_id)


def transfer(work: Work, command: Transfer) -> None:
    task, node = task_for(work, command.task_id, command.actor_id, Action.TRANSFER)
    if command.to_user_id == command.actor_id:
        raise NotAllowed("不能转交给自己")
    check_newcomer(work, node.id, command.to_user_id)
    new = replace_assignee(work, task, command.to_user_id,
                           f"{work.name(command.actor_id)}转交", command.actor_id)
    work.emit(Event("workflow.task.transferred", actor_id=command.actor_id, node_id=node.id,
                    task_id=task.id, target=new.id, user_ids=(command.to_user_id,),
                    comment=command.comment))


def add_signer(work: Work, command: AddSigner) -> None:
    task, node = task_for(work, command.task_id, command.actor_id, Action.ADD_SIGNER)
    user_ids = tuple(dict.fromkeys(command.user_ids))
    if not user_ids:
        raise NotAllowed("请选择加签人")
    if command.actor_id in user_ids:
        raise NotAllowed("不能给自己加签")
    for user_id in user_ids:
        check_newcomer(work, node.id, user_id)
    reason = f"{work.name(command.actor_id)}加签"
    signers = [Task(id=work.new_task_id(), node_id=node.id, assignee_id=user_id, reason=reason,
                    status=TaskStatus.WAITING, order=task.order, added_by=command.actor_id,
                    signer=command.position) for user_id in user_ids]
    signer_ids = tuple(s.id for s in signers)
    if command.position is SignerPosition.AFTER:
        rewire(work, task.id, signer_ids)
        signers = [replace(s, after=(task.id,)) for s in signers]
    work.tasks.extend(signers)
    work.participants.update(user_ids)
    if command.position is not SignerPosition.AFTER:
        for signer in signers:
            open_task(work, signer)
    if command.position is SignerPosition.BEFORE:
        work.put_task(replace(task, status=TaskStatus.SUSPENDED, after=signer_ids))
        names = "、".join(work.name(u) for u in user_ids)
        work.effects.append(SuspendTask(task.id, f"等待{names}先审批"))
    work.emit(Event("workflow.signer.added", actor_id=command.actor_id, node_id=node.id,
                    task_id=task.id, user_ids=user_ids, target=command.position.value,
                    comment=command.comment))


def remove_signer(work: Work, command: RemoveSigner) -> None:
    """Only signers the actor added and who have not decided yet can be removed."""
    require_running(work)
    own = work.find_task(command.task_id)
    signer = next((t for t in work.tasks if t.signer is not None
                   and t.added_by == command.actor_id and t.assignee_id == command.user_id
                   and (own is None or t.node_id == own.node_id)), None)
    if signer is None:
        raise NotAllowed("只能减签自己加签且尚未处理的人员")
    node = work.definition.task_node(signer.node_id)
    if not node.allows(Action.REMOVE_SIGNER):
        raise NotAllowed("该操作在此节点不可用")
    rewire(work, signer.id, signer.after)
    close_task(work, signer, TaskStatus.CANCELLED, f"{work.name(command.actor_id)}减签",
               command.actor_id)
    wake(work)
    work.emit(Event("workflow.signer.removed", actor_id=command.actor_id, node_id=node.id,
                    task_id=signer.id, user_ids=(command.user_id,)))
    check_node(work, node.id, command.actor_id)


def task_for(work: Work, task_id: str, actor_id: int, action: Action) -> tuple[Task, TaskNode]:
    """The actor's actionable task, or IllegalCommand/NotAllowed saying why not."""
    require_running(work)
    task = work.find_task(task_id)
    if task is None:
        closed = next((c for c in reversed(work.recent) if c.task_id == task_id), None)
        if closed is not None and closed.by_user_id is not None:
            raise IllegalCommand(f"该审批已被{work.name(closed.by_user_id)}处理")
        raise IllegalCommand("该审批已处理或不存在")
    if task.assignee_id != actor_id:
        raise NotAllowed("你不是该节点的审批人")
    if task.status is TaskStatus.WAITING:
        raise IllegalCommand("还没有轮到你处理")
    if task.status is TaskStatus.SUSPENDED:
        raise IllegalCommand("请等待加签人审批后再处理")
    node = work.definition.task_node(task.node_id)
    if not node.allows(action):
        raise NotAllowed("该操作在此节点不可用")
    return task, node


def require_running(work: Work) -> None:
    if work.status is not Status.RUNNING:
        raise IllegalCommand(f"该审批{work.status.label}，不能再处理")


def check_newcomer(work: Work, node_id: str, user_id: int) -> None:
    """A new assignee must be active and not already undecided at the node."""
    if not work.directory.is_active(user_id):
        raise NotAllowed(f"{work.name(user_id)}的账号已停用")
    if any(t.assignee_id == user_id for t in work.node_tasks(node_id)):
        raise NotAllowed(f"{work.name(user_id)}已是该节点的审批人")


def replace_assignee(work: Work, task: Task, user_id: int, reason: str,
                     by: int | None) -> Task:
    """Hand a task to someone else: the old task closes as transferred, a new one opens."""
    new = replace(task, id=work.new_task_id(), assignee_id=user_id, reason=reason,
                  status=TaskStatus.WAITING)
    rewire(work, task.id, (new.id,))
    work.tasks.insert(work.tasks.index(task) + 1, new)
    # The before-signers now hold up the new task; detach them so closing the old one
    # does not cancel them.
    detached = replace(task, after=())
    work.put_task(detached)
    close_task(work, detached, TaskStatus.TRANSFERRED, reason, by)
    work.participants.add(user_id)
    if task.status is TaskStatus.OPEN:
        return open_task(work, new)
    return new


def _check_return_target(work: Work, node: TaskNode, target: str) -> None:
    target_node = work.definition.find(target)
    if not isinstance(target_node, TaskNode) or target not in work.visited or not (
            work.definition.precedes(target, node.id)):
        raise NotAllowed("只能退回到之前经过的审批或办理节点")
    if not work.definition.inside(node.id, reentry_scope(work, target)):
        raise NotAllowed("只能退回到本分支或分支之前的节点")


def _node_name(work: Work, node_id: str) -> str:
    found = work.definition.find(node_id)
    return found.name if found else node_id
