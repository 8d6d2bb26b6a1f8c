"""Load and save engine state ↔ rows: the only place that knows both the engine and the ORM.

`save` writes everything one command produced, inside the caller's transaction: the state
(conditional on `revision`, so a concurrent writer makes the loser fail with `Conflict`), task
rows, CC rows, timers, timeline rows, one audit row per event, notification and webhook outbox
rows. Statements are batched (one UPDATE per task-status group, `bulk_create` for new rows, one
chained audit write for all events) because every approval runs this path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from sopflow.audit.services import record_many
from sopflow.core.errors import Conflict
from sopflow.notify.models import Robot
from sopflow.notify.services import notify, robots_for
from sopflow.org.models import Company, Delegation, User
from sopflow.scheduling.services import cancel_timer, schedule_timer
from sopflow.webhooks.models import WebhookSubscription
from sopflow.webhooks.services import publish_event

from .definitions import Spec, spec_of
from .directory import OrgDirectory
from .engine import (
    CancelTimer,
    CloseTask,
    Event,
    Finish,
    InstanceState,
    Notify,
    NotifyCC,
    OpenTask,
    Outcome,
    ResumeTask,
    ScheduleTimer,
    SuspendTask,
    status_text,
)
from .models import ApprovalTask, CarbonCopy, Instance, InstanceEvent

CONFLICT_MESSAGE = "该事项已被他人更新，请刷新后重试"
TIMER_KIND = "workflow.deadline"

# Which events the initiator hears about, and with which notification kind and title.
_INITIATOR_NEWS = {
    "workflow.instance.approved": ("workflow.instance.finished", "审批已通过"),
    "workflow.instance.rejected": ("workflow.instance.finished", "审批被驳回"),
    "workflow.instance.returned": ("workflow.instance.returned", "审批被退回，请补充后重新提交"),
    "workflow.instance.terminated": ("workflow.instance.finished", "审批已被管理员终止"),
}


@dataclass
class Extras:
    """What a service adds to the stored events: the acting task's comment, and per-event
    payload additions (e.g. the labelled field diff of a resubmission)."""

    task_comment: tuple[str, str] | None = None
    payload: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A delegate acting on a task delegated to them: the engine sees the original person (this
    # id) act; the timeline shows the delegate "代 X 处理".
    on_behalf_of: int | None = None


def load(instance_id: int, *, for_update: bool = True) -> tuple[Instance, Spec, InstanceState]:
    """The instance row (locked on PostgreSQL), its pinned definition and its state."""
    rows = Instance.objects.annotate(**_company_flags("company_id"))
    if for_update and connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    row = rows.select_related("definition_version").get(pk=instance_id)
    spec = spec_of(row.definition_version_id, row.definition_version.spec)
    return row, spec, InstanceState.from_dict(row.state)


def load_task(task_id: int, *, company_id: int | None,
              for_update: bool = True) -> tuple[ApprovalTask, Spec, InstanceState] | None:
    """A task of `company_id` with its instance (locked on PostgreSQL), pinned definition and
    state, in one query (`load` for the task commands); None when there is no such task. The
    caller checks access on the task before acting."""
    rows = (ApprovalTask.objects.filter(pk=task_id, company_id=company_id)
            .select_related("instance", "instance__definition_version")
            .annotate(**_company_flags("company_id")))
    if for_update and connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("instance",))
    task = rows.first()
    if task is None:
        return None
    row = task.instance
    for name in _FLAGS:
        setattr(row, name, getattr(task, name))
    spec = spec_of(row.definition_version_id, row.definition_version.spec)
    return task, spec, InstanceState.from_dict(row.state)


def save(row: Instance, spec: Spec, outcome: Outcome, *, actor: User | None, now: datetime,
         directory: OrgDirectory, extras: Extras | None = None,
         created: bool = False) -> dict[str, dict[str, Any]]:
    """Persist `outcome` for `row` (see module docstring). Raises Conflict when another command
    changed the instance since it was loaded; the caller's transaction then rolls back.

    Returns the columns written to existing tasks, by task key ({"status", "decided_at",
    "comment"}), so a caller holding a task row can bring it up to date without reading it."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("store.save needs the command's transaction")
    extras = extras or Extras()
    state = outcome.state
    _write_state(row, spec, state, now, created=created)
    writer = _Writer(row, spec, actor, now, directory, extras)
    writer.effects(outcome.effects)
    writer.events(outcome.events)
    writer.flush()
    return writer.task_changes()


def new_instance_row(*, submission: Any, version_id: int, spec: Spec, initiator: User,
                     state: InstanceState, urgent: bool, now: datetime) -> Instance:
    """The row for a just-started instance (inserted by `save(..., created=True)`)."""
    return Instance(company_id=submission.company_id, submission=submission,
                    template_id=submission.template_id, definition_version_id=version_id,
                    initiator=initiator, title=submission.title or str(submission)[:200],
                    state=state.to_dict(), urgent=urgent, started_at=now, revision=0)


def current_nodes_text(spec: Spec, state: InstanceState) -> str:
    names = []
    for node_id in state.active_nodes:
        node = spec.definition.find(node_id)
        if node is not None:
            names.append(node.name)
    return "、".join(names)


# --- internals ----------------------------------------------------------------------------------

# Whether the company has webhook subscriptions, group robots or live delegations, read with
# the instance (one query) so the usual company without them pays no query per command.
_FLAGS = ("wf_has_webhooks", "wf_has_robots", "wf_has_delegations")


def _company_flags(company_field: str) -> dict[str, Exists]:
    company = OuterRef(company_field)
    return {
        "wf_has_webhooks": Exists(WebhookSubscription.objects.filter(company_id=company,
                                                                     is_active=True)),
        "wf_has_robots": Exists(Robot.objects.filter(company_id=company, is_active=True)),
        "wf_has_delegations": Exists(Delegation.objects.filter(company_id=company,
                                                               cancelled_at__isnull=True)),
    }


def _flag(row: Instance, name: str) -> bool:
    """The flag read with the row; True (look it up) for a row loaded without flags."""
    return bool(getattr(row, name, True))


def _write_state(row: Instance, spec: Spec, state: InstanceState, now: datetime, *,
                 created: bool) -> None:
    finished = state.status.value not in (Instance.Status.RUNNING, Instance.Status.RETURNED)
    columns = {
        "state": state.to_dict(), "status": state.status.value,
        "status_text": status_text(spec.definition, state)[:200],
        "current_nodes": current_nodes_text(spec, state)[:300],
        "finished_at": now if finished else None, "last_urged_at": state.last_urged_at,
        "urgent": state.is_urgent,
    }
    if created:
        for key, value in columns.items():
            setattr(row, key, value)
        row.revision = 1
        row.save(force_insert=True)
        return
    # Optimistic lock: another command that saved first bumped `revision`, so this matches 0 rows.
    updated = Instance.objects.filter(pk=row.pk, revision=row.revision).update(
        revision=F("revision") + 1, **columns)
    if updated != 1:
        raise Conflict(CONFLICT_MESSAGE)
    for key, value in columns.items():
        setattr(row, key, value)
    row.revision += 1


class _Writer:
    def __init__(self, row: Instance, spec: Spec, actor: User | None, now: datetime,
                 directory: OrgDirectory, extras: Extras) -> None:
        self.row, self.spec, self.actor, self.now = row, spec, actor, now
        self.directory, self.extras = directory, extras
        self.new_tasks: list[ApprovalTask] = []
        self.closed: dict[str, list[str]] = defaultdict(list)
        self.status_changes: dict[str, list[str]] = defaultdict(list)
        self.ccs: list[CarbonCopy] = []
        self.reminded: list[tuple[str, str, Notify]] = []
        self.extra_events: list[tuple[Event, dict[str, Any]]] = []
        # (kind, title, body) → recipient ids
        self.news: dict[tuple[str, str, str], set[int]] = defaultdict(set)

    def node_name(self, node_id: str | None) -> str:
        node = self.spec.definition.find(node_id) if node_id else None
        return node.name if node is not None else ""

    # effects → rows
    def effects(self, effects: tuple[Any, ...]) -> None:
        title = self.row.title
        for effect in effects:
            match effect:
                case OpenTask():
                    # The assigned notice is added by `delegate_new_tasks` (it may go to a
                    # delegate instead).
                    self.new_tasks.append(ApprovalTask(
                        instance=self.row, company_id=self.row.company_id, key=effect.task_id,
                        node_id=effect.node_id, node_name=self.node_name(effect.node_id),
                        assignee_id=effect.assignee_id, reason=effect.reason[:200],
                        added_by_id=effect.added_by, opened_at=self.now, due_at=effect.due_at))
                case CloseTask():
                    self.closed[effect.status.value].append(effect.task_id)
                case SuspendTask():
                    self.status_changes[ApprovalTask.Status.SUSPENDED].append(effect.task_id)
                case ResumeTask():
                    self.status_changes[ApprovalTask.Status.OPEN].append(effect.task_id)
                case NotifyCC():
                    name = self.node_name(effect.node_id)
                    for user_id in effect.user_ids:
                        self.ccs.append(CarbonCopy(instance=self.row, user_id=user_id,
                                                   node_id=effect.node_id, node_name=name,
                                                   created_at=self.now))
                    self.news[("workflow.instance.cc", f"抄送给你：{title}", name)].update(
                        effect.user_ids)
                case Notify():
                    kind, text = _NOTIFY_KINDS[effect.kind.value]
                    self.reminded.append((kind, f"{text}：{title}", effect))
                case ScheduleTimer():
                    schedule_timer(key=f"wf:{self.row.pk}:{effect.key}", kind=TIMER_KIND,
                                   due_at=effect.due_at, target=self.row,
                                   payload={"key": effect.key},
                                   company=Company(pk=self.row.company_id))
                case CancelTimer():
                    cancel_timer(f"wf:{self.row.pk}:{effect.key}", now=self.now)
                case Finish():
                    pass
        self.delegate_new_tasks()
        self.remind_delegates()

    def delegate_new_tasks(self) -> None:
        """Out-of-office delegation, resolved once when a task opens (one hop, company-local
        date, the item's template): the row goes to the delegate, `delegated_from` keeps the
        original person, and a `workflow.task.delegated` event records the delegation."""
        if not self.new_tasks:
            return
        from django.utils import timezone

        from sopflow.org.delegation import resolve_assignees

        resolved = resolve_assignees(user_ids=[t.assignee_id for t in self.new_tasks],
                                     template_id=self.row.template_id,
                                     at=timezone.localtime(self.now).date()) \
            if _flag(self.row, "wf_has_delegations") else {}
        for task in self.new_tasks:
            found = resolved.get(task.assignee_id)
            if found is not None and found.is_delegated:
                task.assignee_id, task.delegated_from_id = (found.assignee_id,
                                                            found.delegated_from_id)
                original = self.directory.name_of(task.delegated_from_id)
                self.extra_events.append((Event(
                    "workflow.task.delegated", node_id=task.node_id, task_id=task.key,
                    user_ids=(task.assignee_id,), target=str(task.delegated_from_id),
                    reason=f"代 {original} 处理"), {
                        "delegation_id": found.delegation_id,
                        "delegated_from": task.delegated_from_id,
                        "delegated_from_name": original}))
            self.news[("workflow.task.assigned", f"待你处理：{self.row.title}",
                       task.node_name)].add(task.assignee_id)

    def remind_delegates(self) -> None:
        """Urge/overdue notices name the engine's assignee (the original person); a task that
        was delegated is the delegate's to handle, so they are told instead."""
        if not self.reminded:
            return
        delegated = {(key, original): delegate for key, original, delegate in
                     ApprovalTask.objects.filter(
                         instance=self.row, status__in=ApprovalTask.OPEN_STATUSES,
                         delegated_from__isnull=False)
                     .values_list("key", "delegated_from_id", "assignee_id")
                     } if _flag(self.row, "wf_has_delegations") else {}
        for kind, title, effect in self.reminded:
            recipients = set()
            if effect.kind.value == "mention":  # a mention names a person, not a task
                self.news[(kind, title, "")].update(effect.user_ids)
                continue
            for user_id in effect.user_ids:
                delegate = next((d for (key, original), d in delegated.items() if
                                 original == user_id and effect.task_id in (None, key)), None)
                recipients.add(delegate or user_id)
            self.news[(kind, title, "")].update(recipients)

    def events(self, events: tuple[Event, ...]) -> None:
        self.event_list = events
        for event in events:
            news = _INITIATOR_NEWS.get(event.name)
            if news is not None:
                body = "；".join(part for part in (event.reason, event.comment) if part)
                self.news[(news[0], f"{news[1]}：{self.row.title}", body)].add(
                    self.row.initiator_id)

    def task_changes(self) -> dict[str, dict[str, Any]]:
        """What `flush` wrote to existing task rows, by key."""
        comment_key, comment = self.extras.task_comment or ("", "")
        changes: dict[str, dict[str, Any]] = {}
        for status, keys in self.closed.items():
            for key in keys:
                changes[key] = {"status": status, "decided_at": self.now}
                if key == comment_key and comment:
                    changes[key]["comment"] = comment
        for status, keys in self.status_changes.items():
            for key in keys:
                changes.setdefault(key, {})["status"] = status
        return changes

    def flush(self) -> None:
        row, now = self.row, self.now
        if self.new_tasks:
            ApprovalTask.objects.bulk_create(self.new_tasks)
        comment_key, comment = self.extras.task_comment or ("", "")
        for status, keys in self.closed.items():
            tasks = ApprovalTask.objects.filter(instance=row, key__in=keys)
            if comment_key in keys and comment:
                tasks.filter(key=comment_key).update(status=status, decided_at=now,
                                                     comment=comment)
                tasks = tasks.exclude(key=comment_key)
                if len(keys) == 1:
                    continue
            tasks.update(status=status, decided_at=now)
        for status, keys in self.status_changes.items():
            ApprovalTask.objects.filter(instance=row, key__in=keys).update(status=status)
        if self.ccs:
            CarbonCopy.objects.bulk_create(self.ccs, ignore_conflicts=True)
        events = getattr(self, "event_list", ())
        if self.extra_events:
            events = (*events, *(event for event, _ in self.extra_events))
        if events:
            InstanceEvent.objects.bulk_create([self.timeline_row(event) for event in events])
            record_many(actor=self.actor, obj=row, object_repr=row.title, occurred_at=now,
                        company_id=row.company_id,
                        entries=[self.audit_entry(event) for event in events])
            self.publish(events)
        self.send_news()

    def audit_entry(self, event: Event) -> tuple[str, dict[str, Any]]:
        """The audit row of an event: the engine's event plus what only the store knows (the
        delegation behind a delegated task, the person a delegate acted for)."""
        changes: dict[str, Any] = event.to_dict()
        changes.update(next((extra for known, extra in self.extra_events if known is event), {}))
        behalf = self.extras.on_behalf_of
        if behalf is not None and event.actor_id == behalf:
            changes["on_behalf_of"] = behalf
        return event.name, changes

    def timeline_row(self, event: Event) -> InstanceEvent:
        payload: dict[str, Any] = event.to_dict()
        payload.pop("name", None)
        payload.update(self.extras.payload.get(event.name, {}))
        payload.update(next((extra for known, extra in self.extra_events if known is event), {}))
        if event.name in ("workflow.task.transferred", "workflow.task.reassigned") \
                and event.target.isdigit():
            payload["target_name"] = self.directory.name_of(int(event.target))
        if event.user_ids:
            payload["user_names"] = [self.directory.name_of(pk) for pk in event.user_ids]
        actor_id = event.actor_id
        behalf = self.extras.on_behalf_of
        if behalf is not None and actor_id == behalf and self.actor is not None:
            actor_id = self.actor.pk
            payload |= {"on_behalf_of": behalf,
                        "on_behalf_of_name": self.directory.name_of(behalf)}
        return InstanceEvent(instance=self.row, verb=event.name, actor_id=actor_id,
                             at=self.now, node_id=event.node_id or "",
                             node_name=self.node_name(event.node_id), comment=event.comment,
                             payload=payload)

    def publish(self, events: tuple[Event, ...]) -> None:
        # One cheap check instead of one subscription query per event for the usual company
        # without webhooks.
        if not _flag(self.row, "wf_has_webhooks") or not WebhookSubscription.objects.filter(
                company_id=self.row.company_id, is_active=True).exists():
            return
        company = Company(pk=self.row.company_id)
        for event in events:
            publish_event(event_type=event.name, company=company, payload={
                "instance_id": self.row.pk, "submission_id": self.row.submission_id,
                "template_id": self.row.template_id, "status": self.row.status,
                **event.to_dict()})

    def send_news(self) -> None:
        if not self.news:
            return
        wanted = {pk for ids in self.news.values() for pk in ids}
        # Usually the people the engine just asked the directory about: no second read.
        people = {pk: user for pk, user in self.directory.users(wanted).items()
                  if user.is_active}
        company = Company(pk=self.row.company_id)
        template_key = f"workflow:{self.row.template_id}"
        # Looked up once for all the notices of this command (none without a robot flag).
        robots = robots_for(company, None, template_key) \
            if _flag(self.row, "wf_has_robots") else []
        link = f"/approvals/{self.row.pk}/"
        for (kind, title, body), ids in self.news.items():
            recipients = [people[pk] for pk in sorted(ids) if pk in people]
            if recipients:
                notify(recipients=recipients, kind=kind, title=title, body=body, link=link,
                       actor=self.actor, urgent=self.row.urgent,
                       working_days_only=kind in _WORKING_DAY_KINDS, company=company,
                       template_key=template_key, robots=robots,
                       source=f"workflow.instance:{self.row.pk}")


_NOTIFY_KINDS = {
    "urge": ("workflow.task.reminder", "催办"),
    "mention": ("workflow.comment.mentioned", "有人在审批中提到了你"),
    "overdue": ("workflow.task.escalated", "审批已超时"),
    "due_soon": ("workflow.task.due_soon", "审批即将到期"),
}
# Deadline reminders wait for a working day by e-mail/robot (in-app rows are immediate; 加急
# items skip quiet hours altogether, see `notify`).
_WORKING_DAY_KINDS = {"workflow.task.escalated", "workflow.task.due_soon"}
