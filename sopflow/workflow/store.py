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
from django.db.models import F

from sopflow.audit.models import AuditChainHead, AuditEvent
from sopflow.audit.services import compute_hash
from sopflow.core import request_context
from sopflow.core.errors import Conflict
from sopflow.notify.services import notify
from sopflow.org.models import Company, User
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


def load(instance_id: int, *, for_update: bool = True) -> tuple[Instance, Spec, InstanceState]:
    """The instance row (locked on PostgreSQL), its pinned definition and its state."""
    rows = Instance.objects.all()
    if for_update and connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    row = rows.select_related("definition_version").get(pk=instance_id)
    spec = spec_of(row.definition_version_id, row.definition_version.spec)
    return row, spec, InstanceState.from_dict(row.state)


def save(row: Instance, spec: Spec, outcome: Outcome, *, actor: User | None, now: datetime,
         directory: OrgDirectory, extras: Extras | None = None, created: bool = False) -> None:
    """Persist `outcome` for `row` (see module docstring). Raises Conflict when another command
    changed the instance since it was loaded; the caller's transaction then rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("store.save needs the command's transaction")
    extras = extras or Extras()
    state = outcome.state
    _write_state(row, spec, state, now, created=created)
    writer = _Writer(row, spec, actor, now, directory, extras)
    writer.effects(outcome.effects)
    writer.events(outcome.events)
    writer.flush()


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
                    self.new_tasks.append(ApprovalTask(
                        instance=self.row, company_id=self.row.company_id, key=effect.task_id,
                        node_id=effect.node_id, node_name=self.node_name(effect.node_id),
                        assignee_id=effect.assignee_id, reason=effect.reason[:200],
                        added_by_id=effect.added_by, opened_at=self.now, due_at=effect.due_at))
                    self.news[("workflow.task.assigned", f"待你处理：{title}",
                               self.node_name(effect.node_id))].add(effect.assignee_id)
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
                    self.news[(kind, f"{text}：{title}", "")].update(effect.user_ids)
                case ScheduleTimer():
                    schedule_timer(key=f"wf:{self.row.pk}:{effect.key}", kind=TIMER_KIND,
                                   due_at=effect.due_at, target=self.row,
                                   payload={"key": effect.key},
                                   company=Company(pk=self.row.company_id))
                case CancelTimer():
                    cancel_timer(f"wf:{self.row.pk}:{effect.key}", now=self.now)
                case Finish():
                    pass

    def events(self, events: tuple[Event, ...]) -> None:
        self.event_list = events
        for event in events:
            news = _INITIATOR_NEWS.get(event.name)
            if news is not None:
                body = "；".join(part for part in (event.reason, event.comment) if part)
                self.news[(news[0], f"{news[1]}：{self.row.title}", body)].add(
                    self.row.initiator_id)

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
        if events:
            InstanceEvent.objects.bulk_create([self.timeline_row(event) for event in events])
            _audit(events, row, self.actor, now)
            self.publish(events)
        self.send_news()

    def timeline_row(self, event: Event) -> InstanceEvent:
        payload: dict[str, Any] = event.to_dict()
        payload.pop("name", None)
        payload.update(self.extras.payload.get(event.name, {}))
        if event.name in ("workflow.task.transferred", "workflow.task.reassigned") \
                and event.target.isdigit():
            payload["target_name"] = self.directory.name_of(int(event.target))
        if event.user_ids:
            payload["user_names"] = [self.directory.name_of(pk) for pk in event.user_ids]
        return InstanceEvent(instance=self.row, verb=event.name, actor_id=event.actor_id,
                             at=self.now, node_id=event.node_id or "",
                             node_name=self.node_name(event.node_id), comment=event.comment,
                             payload=payload)

    def publish(self, events: tuple[Event, ...]) -> None:
        # One cheap check instead of one subscription query per event for the usual company
        # without webhooks.
        if not WebhookSubscription.objects.filter(company_id=self.row.company_id,
                                                  is_active=True).exists():
            return
        company = Company.objects.get(pk=self.row.company_id)
        for event in events:
            publish_event(event_type=event.name, company=company, payload={
                "instance_id": self.row.pk, "submission_id": self.row.submission_id,
                "template_id": self.row.template_id, "status": self.row.status,
                **event.to_dict()})

    def send_news(self) -> None:
        if not self.news:
            return
        wanted = {pk for ids in self.news.values() for pk in ids}
        people = {user.pk: user for user in User.objects.filter(pk__in=wanted, is_active=True)}
        link = f"/approvals/{self.row.pk}/"
        for (kind, title, body), ids in self.news.items():
            recipients = [people[pk] for pk in sorted(ids) if pk in people]
            if recipients:
                notify(recipients=recipients, kind=kind, title=title, body=body, link=link,
                       actor=self.actor, urgent=self.row.urgent,
                       company=Company(pk=self.row.company_id),
                       template_key=f"workflow:{self.row.template_id}",
                       source=f"workflow.instance:{self.row.pk}")


_NOTIFY_KINDS = {
    "urge": ("workflow.task.reminder", "催办"),
    "mention": ("workflow.comment.mentioned", "有人在审批中提到了你"),
    "overdue": ("workflow.task.escalated", "审批已超时"),
}


def _audit(events: tuple[Event, ...], row: Instance, actor: User | None,
           now: datetime) -> None:
    """One audit row per event, chained like `audit.record` but in three statements in all
    (lock the chain head, insert the rows, move the head) instead of three per event."""
    context = request_context.current()
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    previous = head.last_hash
    rows = []
    for event in events:
        item = AuditEvent(
            occurred_at=now, actor=actor if actor is not None and actor.pk else None,
            actor_label=str(actor) if actor is not None else "系统", action=event.name,
            object_type=Instance._meta.label_lower, object_id=str(row.pk),
            object_repr=row.title[:200], company_id=row.company_id,
            changes=_plain(event.to_dict()), ip=context.ip, user_agent=context.user_agent,
            channel=context.channel, prev_hash=previous)
        item.hash = compute_hash(item, previous)
        previous = item.hash
        rows.append(item)
    created = AuditEvent.objects.bulk_create(rows)
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous,
                                               last_event_id=created[-1].pk)


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
