"""Read side: the inbox tabs (plain indexed SQL on task, instance and CC rows), the badge count,
and what the item page shows (route steps, timeline, available actions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_noop

from sopflow.core.clock import clock
from sopflow.org.models import User

from . import access, definitions
from .directory import OrgDirectory
from .engine import Action, InstanceState, NodeKind, RouteStep, Status, preview_route
from .engine.nodes import TaskNode
from .models import ApprovalTask, CarbonCopy, Instance, InstanceEvent

Tab = Literal["todo", "done", "mine", "cc"]
TABS: list[tuple[Tab, str]] = [("todo", gettext_noop("待我处理")), ("done", gettext_noop("我已处理")), ("mine", gettext_noop("我发起的")),
                               ("cc", gettext_noop("抄送我的"))]
PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    q: str = ""
    template_id: int | None = None
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    urgent: bool = False
    overdue: bool = False
    sort: str = ""  # "due" sorts by due time (soonest first)


@dataclass(frozen=True)
class InboxRow:
    instance: Instance
    task: ApprovalTask | None = None
    cc: CarbonCopy | None = None


def badge_count(user: User) -> int:
    """Open tasks of the user, the same number as the 待我处理 tab (one COUNT on the assignee
    and delegated-from indexes): tasks they delegated away count too, because they still see
    and may decide them (decision 0009). The status sits in each OR branch so both are index
    ranges (`wf_task_inbox`, `wf_task_deleg_inbox`): the cost follows the open tasks, not the
    history."""
    return ApprovalTask.objects.filter(_holds(user, status=ApprovalTask.Status.OPEN)).count()


COUNT_CAP = 99  # tab counts above this show as "99+": they stay flat however long the history


def inbox_counts(user: User) -> dict[str, int]:
    """Counts per tab in one statement: open tasks (exact, like the badge); decided tasks, my
    items and unread CCs counted over a `LIMIT COUNT_CAP + 1` subquery each, so a count above
    `COUNT_CAP` comes back as `COUNT_CAP + 1` ("99+", `count_label`) and the cost does not grow
    with the history."""
    decided = ApprovalTask.objects.filter(decided_at__isnull=False)
    parts: list[tuple[str, QuerySet[Any], bool]] = [
        ("todo", ApprovalTask.objects.filter(_holds(user, status=ApprovalTask.Status.OPEN)),
         False),
        # the two halves each along their own index (an OR would let the planner scan)
        ("done", decided.filter(assignee=user), True),
        ("done", decided.filter(delegated_from=user).exclude(assignee=user), True),
        ("mine", Instance.objects.filter(initiator=user), True),
        ("cc", CarbonCopy.objects.filter(user=user, read_at__isnull=True), True),
    ]
    selects: list[str] = []
    params: list[Any] = []
    for number, (_key, rows, capped) in enumerate(parts):
        rows = rows.order_by().values("pk")
        sql, sub_params = (rows[:COUNT_CAP + 1] if capped else rows).query.sql_with_params()
        # ORM-compiled SQL with its parameters kept apart: nothing user-supplied is inlined
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{number})")  # noqa: S608
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    counts: dict[str, int] = {}
    for (key, _rows, capped), value in zip(parts, row, strict=True):
        total = counts.get(key, 0) + int(value)
        counts[key] = min(total, COUNT_CAP + 1) if capped else total
    return counts


def count_label(count: int) -> str:
    """A tab count as shown: "99+" once it passes `COUNT_CAP`."""
    return f"{COUNT_CAP}+" if count > COUNT_CAP else str(count)


def inbox_for(user: User, tab: Tab, filters: Filters | None = None,
              limit: int = PAGE_SIZE) -> list[InboxRow]:
    """One page of a tab, newest first (or soonest due with `sort="due"`). One query."""
    filters = filters or Filters()
    if tab in ("todo", "done"):
        wanted = ({"status__in": ApprovalTask.OPEN_STATUSES} if tab == "todo"
                  else {"decided_at__isnull": False})
        # Tasks without a deadline sort last on SQLite and PostgreSQL alike.
        order = ([F("due_at").asc(nulls_last=True), "-opened_at", "-pk"]
                 if filters.sort == "due" else ["-opened_at", "-pk"] if tab == "todo"
                 else ["-decided_at", "-pk"])
        # The first page of each half (assigned to me; delegated away by me) is read along
        # its own index, then the two are merged: the cost follows the page, not the history
        # (an OR over both columns would sort every decided task of the user).
        halves = []
        for half in (Q(assignee=user), Q(delegated_from=user) & ~Q(assignee=user)):
            rows = _filter(ApprovalTask.objects.filter(half, **wanted), filters, "instance__")
            if filters.overdue:
                rows = rows.filter(due_at__lt=clock.now(),
                                   status__in=ApprovalTask.OPEN_STATUSES)
            # wrapped: SQLite allows no LIMIT directly inside a UNION
            halves.append(ApprovalTask.objects.filter(
                pk__in=rows.order_by(*order).values("pk")[:limit]).values("pk"))
        tasks = ApprovalTask.objects.filter(
            pk__in=halves[0].union(halves[1], all=True)).select_related(
            "instance", "instance__initiator", "instance__template", "assignee",
            "delegated_from").order_by(*order)[:limit]
        return [InboxRow(task.instance, task=task) for task in tasks]
    if tab == "mine":
        instances = _filter(Instance.objects.filter(initiator=user), filters, "")
        if filters.overdue:
            instances = instances.filter(tasks__due_at__lt=clock.now(),
                                         tasks__status=ApprovalTask.Status.OPEN).distinct()
        # The soonest deadline among the item's open tasks, for the overdue marker and sorting.
        instances = instances.annotate(next_due_at=Subquery(ApprovalTask.objects.filter(
            instance=OuterRef("pk"), status__in=ApprovalTask.OPEN_STATUSES,
            due_at__isnull=False).order_by("due_at").values("due_at")[:1]))
        order = ([F("next_due_at").asc(nulls_last=True), "-started_at"]
                 if filters.sort == "due" else ["-started_at", "-pk"])
        instances = instances.select_related("initiator", "template").order_by(*order)[:limit]
        return [InboxRow(instance) for instance in instances]
    ccs = _filter(CarbonCopy.objects.filter(user=user), filters, "instance__")
    if filters.overdue:
        ccs = ccs.filter(instance__tasks__due_at__lt=clock.now(),
                         instance__tasks__status=ApprovalTask.Status.OPEN).distinct()
    # Like 我发起的: the item's soonest open deadline, for the overdue marker and sorting.
    ccs = ccs.annotate(next_due_at=Subquery(ApprovalTask.objects.filter(
        instance=OuterRef("instance"), status__in=ApprovalTask.OPEN_STATUSES,
        due_at__isnull=False).order_by("due_at").values("due_at")[:1]))
    cc_order = ([F("next_due_at").asc(nulls_last=True), "-created_at"]
                if filters.sort == "due" else ["-created_at", "-pk"])
    ccs = ccs.select_related("instance", "instance__initiator", "instance__template").order_by(
        *cc_order)[:limit]
    cc_rows: list[InboxRow] = []
    for cc in ccs:
        cc.instance.next_due_at = cc.next_due_at  # type: ignore[attr-defined]  # annotated
        cc_rows.append(InboxRow(cc.instance, cc=cc))
    return cc_rows


def _holds(user: User, **conditions: Any) -> Q:
    """Tasks of `user`: assigned to them, or delegated away by them (the original person
    still sees, and may act on, a delegated task — decision 0009). `conditions` go into both
    branches, so each is one index range."""
    return Q(assignee=user, **conditions) | Q(delegated_from=user, **conditions)


def _filter[M: Any](rows: QuerySet[M], filters: Filters, prefix: str) -> QuerySet[M]:
    if filters.q:
        rows = rows.filter(Q(**{f"{prefix}title__icontains": filters.q})
                           | Q(**{f"{prefix}initiator__name__icontains": filters.q}))
    if filters.template_id:
        rows = rows.filter(**{f"{prefix}template_id": filters.template_id})
    if filters.status:
        rows = rows.filter(**{f"{prefix}status": filters.status})
    if filters.urgent:
        rows = rows.filter(**{f"{prefix}urgent": True})
    tz = timezone.get_current_timezone()
    if filters.date_from:
        rows = rows.filter(**{f"{prefix}started_at__gte": datetime.combine(
            filters.date_from, time.min, tz)})
    if filters.date_to:
        rows = rows.filter(**{f"{prefix}started_at__lte": datetime.combine(
            filters.date_to, time.max, tz)})
    return rows


# --- the item page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteView:
    label: str
    state: Literal["done", "active", "pending", "skipped", "ended"]
    people: str = ""
    reason: str = ""


@dataclass
class ItemPage:
    instance: Instance
    route: list[RouteView]
    timeline: list[InstanceEvent]
    tasks: list[ApprovalTask]
    my_task: ApprovalTask | None
    actions: set[str] = field(default_factory=set)
    reject_reasons: tuple[str, ...] = ()
    return_reasons: tuple[str, ...] = ()
    return_targets: list[tuple[str, str]] = field(default_factory=list)
    hidden_fields: set[str] = field(default_factory=set)
    diff: list[dict[str, Any]] = field(default_factory=list)
    needs_signature: bool = False
    editable_fields: list[str] = field(default_factory=list)  # a handler node fills these
    admin_nodes: list[tuple[str, str]] = field(default_factory=list)  # (node id, name)
    removable_signers: list[tuple[int, int, str]] = field(default_factory=list)
    # ↑ (the user's own task id, signer's user id, signer's name): 减签 candidates
    resubmit_to: str = ""  # while returned: "returner" (back to resume_node_name) or "start"
    resume_node_name: str = ""


def item_page(user: User, instance: Instance) -> ItemPage:
    """Everything the item page shows, for `user` (who already passed `get_instance_for`)."""
    spec = definitions.spec_of(instance.definition_version_id, instance.definition_version.spec)
    state = InstanceState.from_dict(instance.state)
    tasks = list(instance.tasks.select_related("assignee", "delegated_from").order_by(
        "opened_at", "pk"))
    timeline = list(instance.events.select_related("actor").order_by("at", "pk"))
    for event in timeline:
        event.label = VERB_LABELS.get(event.verb, event.verb)  # type: ignore[attr-defined]
    my_task = next((t for t in tasks if t.assignee_id == user.pk and t.is_open), None) or next(
        (t for t in tasks if t.delegated_from_id == user.pk and t.is_open), None)
    page = ItemPage(instance, _route(spec, state, instance, tasks), timeline, tasks, my_task,
                    reject_reasons=spec.reject_reasons, return_reasons=spec.return_reasons)
    running = instance.status == Instance.Status.RUNNING
    if my_task is not None and my_task.status == ApprovalTask.Status.OPEN and running:
        node = spec.definition.task_node(my_task.node_id)
        page.actions |= {str(action) for action in node.allowed_actions}
        page.hidden_fields = {key for key, level in node.field_permissions
                              if str(level) == "hidden"}
        page.needs_signature = "approve" in page.actions and node.require_signature_on_approve
        if "complete" in page.actions:
            page.editable_fields = [key for key, level in node.field_permissions
                                    if str(level) == "edit"]
        page.return_targets = [(node_id, name) for node_id, name in _earlier_nodes(
            spec, tasks, my_task.node_id)]
    if instance.initiator_id == user.pk:
        if running:
            page.actions |= {"urge"}
            if not state.has_decision or spec.definition.withdraw_after_decision:
                page.actions.add("withdraw")
        if instance.status == Instance.Status.RETURNED:
            page.actions |= {"resubmit", "withdraw"}
    if state.status is Status.RETURNED:
        resume_node = spec.definition.find(state.resume.node_id) if state.resume else None
        page.resubmit_to = "returner" if state.resume else "start"
        page.resume_node_name = resume_node.name if resume_node else ""
    if user.pk in state.participants or instance.initiator_id == user.pk or any(
            t.assignee_id == user.pk for t in tasks):
        page.actions.add("comment")
    if running:
        page.removable_signers = _removable_signers(user, tasks)
    if access.is_process_admin(user, instance.company_id):
        page.actions.add("admin")
        page.admin_nodes = [(node.id, node.name) for node in spec.definition.nodes()
                            if isinstance(node, TaskNode)]
    resubmissions = [e for e in timeline if e.verb == "workflow.instance.resubmitted"]
    if resubmissions:
        page.diff = _with_file_names(resubmissions[-1].payload.get("diff", []))
    return page


def _with_file_names(diff: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """File fields change as lists of attachment ids; show their file names instead."""
    from sopflow.form_templates.models import Attachment

    def ids(value: Any) -> list[int] | None:
        if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            return value
        return None

    wanted = {pk for change in diff for side in ("old", "new")
              for pk in ids(change.get(side)) or []}
    if not wanted:
        return diff
    names = dict(Attachment.objects.filter(pk__in=wanted).values_list("pk", "original_name"))
    return [{**change, **{side: "、".join(names.get(pk, f"#{pk}") for pk in found)
                          for side in ("old", "new") if (found := ids(change.get(side)))}}
            for change in diff]


def editable_fields(task: ApprovalTask) -> list[str]:
    """The form fields `task`'s node may fill (field permission `edit`; handler nodes)."""
    spec = definitions.spec_of(task.instance.definition_version_id)
    node = spec.definition.task_node(task.node_id)
    return [key for key, level in node.field_permissions if str(level) == "edit"]


def _removable_signers(user: User, tasks: list[ApprovalTask]) -> list[tuple[int, int, str]]:
    """Undecided signers `user` added (减签), with the user's own task at that node."""
    own = {t.node_id: t.pk for t in tasks if t.assignee_id == user.pk}
    return [(own[t.node_id], t.assignee_id, t.assignee.name) for t in tasks
            if t.added_by_id == user.pk and t.is_open and t.node_id in own]


def _earlier_nodes(spec: definitions.Spec, tasks: list[ApprovalTask],
                   node_id: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for task in tasks:
        if task.node_id != node_id and task.status == ApprovalTask.Status.APPROVED \
                and spec.definition.precedes(task.node_id, node_id):
            seen.setdefault(task.node_id, task.node_name)
    return list(seen.items())


def _route(spec: definitions.Spec, state: InstanceState, instance: Instance,
           tasks: list[ApprovalTask]) -> list[RouteView]:
    """已提交 → each task node on the predicted route with its state → the final status."""
    steps: list[RouteStep] = preview_route(
        spec.definition, initiator_id=instance.initiator_id, form=state.form.to_dict(),
        directory=OrgDirectory(instance.company_id),
        chosen_approvers={c.node_id: c.user_ids for c in state.chosen})
    views = [RouteView("已提交", "done", instance.initiator.name)]
    active = set(state.active_nodes)
    round_start = max((t.opened_at for t in tasks if t.node_id == _first_task_node(steps)),
                      default=None)
    for step in steps:
        if step.kind not in (NodeKind.APPROVER, NodeKind.HANDLER, NodeKind.CC):
            continue
        node_tasks = [t for t in tasks if t.node_id == step.node_id
                      and (round_start is None or t.opened_at >= round_start)]
        people = "、".join(dict.fromkeys(
            [t.assignee.name for t in node_tasks] or [a.name for a in step.assignees]))
        reason = "；".join(dict.fromkeys(a.reason for a in step.assignees))
        if step.kind is NodeKind.CC:
            label, status = step.node_name, ("done" if node_tasks or step.node_id in state.visited
                                             else "pending")
        elif step.node_id in active:
            label, status = step.node_name + ("中" if step.node_name.endswith(
                ("审核", "审批", "办理", "备案", "会签")) else "审批中"), "active"
        elif node_tasks and all(not t.is_open for t in node_tasks) and any(
                t.status in ("approved", "completed") for t in node_tasks):
            label, status = step.node_name, "done"
        else:
            label, status = step.node_name, "pending"
        views.append(RouteView(label, status, people, reason))  # type: ignore[arg-type]  # literal
    final = Status(instance.status)
    if final is not Status.RUNNING:
        views.append(RouteView(final.label, "ended"))
    else:
        views.append(RouteView("已通过", "pending"))
    return views


def _first_task_node(steps: list[RouteStep]) -> str:
    return next((s.node_id for s in steps if s.kind in (NodeKind.APPROVER, NodeKind.HANDLER)), "")


def people_choices(user: User) -> list[tuple[int, str]]:
    """Colleagues to transfer to / add as signers / mention."""
    if user.company_id is None:
        return []
    return list(User.objects.filter(company_id=user.company_id, is_active=True)
                .exclude(pk=user.pk).order_by("name").values_list("pk", "name"))


ACTION_LABELS = {Action.APPROVE: "同意", Action.REJECT: "驳回", Action.RETURN: "退回",
                 Action.TRANSFER: "转交", Action.ADD_SIGNER: "加签", Action.COMPLETE: "办理完成"}

VERB_LABELS = {
    "workflow.instance.submitted": "提交", "workflow.instance.resubmitted": "重新提交",
    "workflow.instance.returned": "退回发起人", "workflow.instance.approved": "审批通过",
    "workflow.instance.rejected": "审批驳回", "workflow.instance.withdrawn": "撤回",
    "workflow.instance.terminated": "终止", "workflow.instance.restarted": "重新开始",
    "workflow.instance.urged": "催办", "workflow.task.approved": "同意",
    "workflow.task.rejected": "驳回", "workflow.task.returned": "退回",
    "workflow.task.completed": "办理完成", "workflow.task.transferred": "转交",
    "workflow.task.reassigned": "改派", "workflow.task.auto_approved": "自动通过",
    "workflow.task.auto_rejected": "自动驳回", "workflow.task.overdue": "超时",
    "workflow.node.entered": "进入节点", "workflow.node.completed": "节点完成",
    "workflow.node.skipped": "跳过节点", "workflow.node.auto_approved": "节点自动通过",
    "workflow.branch.chosen": "条件分支", "workflow.signer.added": "加签",
    "workflow.signer.removed": "减签", "workflow.cc.sent": "抄送",
    "workflow.comment.added": "评论",
}
