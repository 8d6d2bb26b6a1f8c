"""Instance-level commands: resubmit, withdraw, urge, comment, admin actions and timers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from .commands import (
    AdminReassign,
    AdminRestartFrom,
    AdminSkip,
    AdminTerminate,
    Comment,
    Resubmit,
    TimerFired,
    Urge,
    Withdraw,
)
from .decide import check_newcomer, replace_assignee, require_running
from .effects import Event, Notify, NotifyKind
from .errors import IllegalCommand, NotAllowed
from .flow import (
    Work,
    close_task,
    drop_node,
    enter,
    finish,
    go,
    record_approval,
    reenter,
    schedule,
)
from .nodes import DueAction, NotifyTarget, TaskNode
from .resolve import chosen_for
from .route import check_route, resume_problem
from .state import Status, TaskStatus, Timer
from .values import FormData

URGE_INTERVAL = timedelta(hours=1)


def withdraw(work: Work, command: Withdraw) -> None:
    """The initiator withdraws: any time while returned, and while running only before anyone
    decided unless the definition allows `withdraw_after_decision`."""
    _require_initiator(work, command.actor_id, "只有发起人可以撤回")
    if work.status not in (Status.RUNNING, Status.RETURNED):
        raise IllegalCommand(f"该审批{work.status.label}，不能撤回")
    if (work.status is Status.RUNNING and work.has_decision
            and not work.definition.withdraw_after_decision):
        raise NotAllowed("已有审批人处理，不能撤回")
    finish(work, Status.WITHDRAWN, actor_id=command.actor_id, comment=command.reason)


def urge(work: Work, command: Urge) -> None:
    _require_initiator(work, command.actor_id, "只有发起人可以催办")
    require_running(work)
    last = work.last_urged_at
    if last is not None and work.now - last < URGE_INTERVAL:
        minutes = max(1, int((URGE_INTERVAL - (work.now - last)).total_seconds() // 60))
        raise NotAllowed(f"每小时只能催办一次，请 {minutes} 分钟后再试")
    user_ids = tuple(sorted({t.assignee_id for t in work.tasks if t.status is TaskStatus.OPEN}))
    work.last_urged_at = work.now
    work.effects.append(Notify(NotifyKind.URGE, user_ids))
    work.emit(Event("workflow.instance.urged", actor_id=command.actor_id, user_ids=user_ids))


def comment(work: Work, command: Comment) -> None:
    """Any participant may comment at any time, even after the item finished."""
    actor = command.actor_id
    if actor != work.base.initiator_id and actor not in work.participants and (
            actor not in work.directory.process_admins()):
        raise NotAllowed("只有审批参与人可以评论")
    if not command.text.strip():
        raise NotAllowed("评论内容不能为空")
    mentions = tuple(dict.fromkeys(m for m in command.mentions if m != actor))
    work.participants.update(mentions)
    if mentions:
        work.effects.append(Notify(NotifyKind.MENTION, mentions))
    work.emit(Event("workflow.comment.added", actor_id=actor, comment=command.text,
                    user_ids=mentions))


def resubmit(work: Work, command: Resubmit) -> None:
    """Only the initiator, only when returned. The route is recomputed from the new form; with
    `resubmit_to: returner` the item goes straight back to the node that returned it, unless
    the new form takes the route elsewhere (then it starts over and the event says why)."""
    _require_initiator(work, command.actor_id, "只有发起人可以重新提交")
    if work.status is not Status.RETURNED:
        raise IllegalCommand("只有被退回的审批可以重新提交")
    updated = FormData.from_mapping(command.form)
    changes = work.form.diff(updated)
    chosen = (chosen_for(work.definition, command.chosen_approvers, work.directory,
                         work.base.initiator_id)
              if command.chosen_approvers else work.base.chosen)
    check_route(work.definition, work.base.initiator_id, updated, chosen, work.directory)
    resume, work.resume = work.resume, None
    problem = resume_problem(work.definition, work.base.initiator_id, updated, chosen,
                             work.directory, resume, frozenset(work.visited)) if resume else ""
    work.base = replace(work.base, chosen=chosen, round=work.base.round + 1)
    work.form = updated
    work.status = Status.RUNNING
    if resume is not None and not problem:
        node = work.definition.find(resume.node_id)
        work.has_decision = bool(work.approved_by)
        work.emit(Event("workflow.instance.resubmitted", actor_id=command.actor_id,
                        changes=changes, node_id=resume.node_id, target="returner",
                        reason=f"直接回到“{node.name if node else resume.node_id}”"))
        work.joins = {join.group_id: list(join.arrived) for join in resume.joins}
        for node_id in resume.nodes:
            if work.status is Status.RUNNING and work.find_run(node_id) is None:
                enter(work, node_id)
        return
    work.visited.clear()
    work.approved_by.clear()
    work.previous_approvers = frozenset()
    work.next_approvers = ()
    work.has_decision = False
    work.emit(Event("workflow.instance.resubmitted", actor_id=command.actor_id,
                    changes=changes, target="start", reason=problem or "从头开始审批"))
    go(work, work.definition.root.id)


def admin_reassign(work: Work, command: AdminReassign) -> None:
    _require_admin(work, command.admin_id, command.reason)
    require_running(work)
    task = work.find_task(command.task_id)
    if task is None:
        raise IllegalCommand("该审批已处理或不存在")
    check_newcomer(work, task.node_id, command.to_user_id)
    new = replace_assignee(work, task, command.to_user_id, f"管理员转交：{command.reason}",
                           command.admin_id)
    work.emit(Event("workflow.task.reassigned", actor_id=command.admin_id,
                    node_id=task.node_id, task_id=task.id, target=new.id,
                    user_ids=(task.assignee_id, command.to_user_id), reason=command.reason))


def admin_skip(work: Work, command: AdminSkip) -> None:
    _require_admin(work, command.admin_id, command.reason)
    require_running(work)
    if work.find_run(command.node_id) is None:
        raise IllegalCommand("该节点当前不在审批中")
    drop_node(work, command.node_id, TaskStatus.SKIPPED, f"管理员跳过：{command.reason}",
              command.admin_id)
    work.emit(Event("workflow.node.skipped", actor_id=command.admin_id,
                    node_id=command.node_id, reason=command.reason))
    go(work, work.definition.exit_after(command.node_id))


def admin_terminate(work: Work, command: AdminTerminate) -> None:
    _require_admin(work, command.admin_id, command.reason)
    if work.status not in (Status.RUNNING, Status.RETURNED):
        raise IllegalCommand(f"该审批{work.status.label}，不能终止")
    finish(work, Status.TERMINATED, actor_id=command.admin_id, reason=command.reason)


def admin_restart_from(work: Work, command: AdminRestartFrom) -> None:
    """Re-enter a task node; also revives a returned or rejected item."""
    _require_admin(work, command.admin_id, command.reason)
    if not isinstance(work.definition.find(command.node_id), TaskNode):
        raise IllegalCommand("只能从审批或办理节点重新开始")
    if work.status not in (Status.RUNNING, Status.RETURNED, Status.REJECTED):
        raise IllegalCommand(f"该审批{work.status.label}，不能重新开始")
    work.status = Status.RUNNING
    work.resume = None
    work.emit(Event("workflow.instance.restarted", actor_id=command.admin_id,
                    node_id=command.node_id, reason=command.reason))
    reenter(work, command.node_id, f"管理员重新开始：{command.reason}", command.admin_id)


def timer_fired(work: Work, command: TimerFired) -> bool:
    """Run one rung of the overdue ladder. False (nothing to do) for stale or unknown timers."""
    timer = next((t for t in work.timers if t.key == command.timer_key), None)
    if work.status is not Status.RUNNING or timer is None:
        return False
    work.timers.remove(timer)
    task = work.find_task(timer.task_id)
    node = work.definition.task_node(timer.node_id)
    if task is None or node.deadline is None:
        return True
    step = node.deadline.on_due[timer.step]
    match step.action:
        case DueAction.NOTIFY:
            # Coalesce after an outage: when the next rung is already due, only it speaks.
            later = node.deadline.on_due[timer.step + 1:timer.step + 2]
            if not (timer.repeat == 0 and later and task.due_at is not None and work.now
                    >= task.due_at + timedelta(hours=later[0].after_hours)):
                _notify_overdue(work, timer, step.notify, step.user_ids)
            if timer.repeat < step.max_repeats and step.repeat_every_hours:
                schedule(work, task, timer.step, timer.repeat + 1)
            if timer.repeat == 0:
                schedule(work, task, timer.step + 1)
        case DueAction.AUTO_APPROVE:
            work.has_decision = True
            close_task(work, task, TaskStatus.APPROVED, "超时自动通过", None)
            work.emit(Event("workflow.task.auto_approved", node_id=node.id, task_id=task.id,
                            user_ids=(task.assignee_id,), reason="超时自动通过"))
            record_approval(work, task, None)
        case DueAction.AUTO_REJECT:
            work.has_decision = True
            close_task(work, task, TaskStatus.REJECTED, "超时自动驳回", None)
            work.emit(Event("workflow.task.auto_rejected", node_id=node.id, task_id=task.id,
                            user_ids=(task.assignee_id,), reason="超时自动驳回"))
            finish(work, Status.REJECTED, reason="超时自动驳回")
        case DueAction.TRANSFER:
            target = step.to_user_id or work.directory.manager_of(task.assignee_id, 1)
            if target is None or not work.directory.is_active(target) or any(
                    t.assignee_id == target for t in work.node_tasks(node.id)):
                _notify_overdue(work, timer, (NotifyTarget.ASSIGNEE,))
                return True
            new = replace_assignee(work, task, target, "超时转交", None)
            work.emit(Event("workflow.task.transferred", node_id=node.id, task_id=task.id,
                            target=new.id, user_ids=(target,), reason="超时转交"))
    return True


def _notify_overdue(work: Work, timer: Timer, targets: tuple[NotifyTarget, ...],
                    named: tuple[int, ...] = ()) -> None:
    task = work.find_task(timer.task_id)
    if task is None:
        return
    recipients: list[int] = []
    for target in targets:
        match target:
            case NotifyTarget.ASSIGNEE:
                recipients.append(task.assignee_id)
            case NotifyTarget.MANAGER:
                manager = work.directory.manager_of(task.assignee_id, 1)
                if manager is not None:
                    recipients.append(manager)
            case NotifyTarget.INITIATOR:
                recipients.append(work.base.initiator_id)
            case NotifyTarget.DEPARTMENT_HEAD:
                recipients.extend(_department_heads_above(work, task.assignee_id))
            case NotifyTarget.USERS:
                recipients.extend(named)
    user_ids = tuple(u for u in dict.fromkeys(recipients) if work.directory.is_active(u))
    # A rung before the due time is a friendly reminder, not an overdue notice.
    early = task.due_at is not None and timer.due_at < task.due_at
    work.effects.append(Notify(NotifyKind.DUE_SOON if early else NotifyKind.OVERDUE, user_ids,
                               task.id, task.node_id))
    work.emit(Event("workflow.task.due_soon" if early else "workflow.task.overdue",
                    node_id=task.node_id, task_id=task.id, user_ids=user_ids, target=timer.key))


def _department_heads_above(work: Work, user_id: int) -> list[int]:
    """Heads of the user's department; when the user heads it, the heads of the nearest parent
    department that has someone else."""
    department = work.directory.department_of(user_id)
    if department is None:
        return []
    for candidate in (department, *work.directory.department_ancestors(department)):
        heads = [h for h in work.directory.heads_of(candidate) if h != user_id]
        if heads:
            return heads
    return []


def _require_initiator(work: Work, actor_id: int, message: str) -> None:
    if actor_id != work.base.initiator_id:
        raise NotAllowed(message)


def _require_admin(work: Work, admin_id: int, reason: str) -> None:
    if admin_id not in work.directory.process_admins():
        raise NotAllowed("只有流程管理员可以执行此操作")
    if not reason.strip():
        raise NotAllowed("请填写操作原因")
    work.participants.add(admin_id)
