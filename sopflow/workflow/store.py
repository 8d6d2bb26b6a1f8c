"""Load and save engine state ↔ rows: the only place that knows both the engine and the ORM.

`save` writes everything one command produced, inside the caller's transaction: the state
(conditional on `revision`, so a concurrent writer makes the loser fail with `Conflict`), task
rows, CC rows, timers, timeline rows, one audit row per event, notification and webhook outbox
rows. Every approval runs this path, so it is written for the database's work, not the ORM's
(decision 0010): the load is one prepared SELECT (task, item, pinned definition, company flags,
and the audit chain head, locked first on PostgreSQL), and the writes are one `Batch`: the state
UPDATE, one upsert that closes the acting task and opens the next, one INSERT each for the
timeline, the audit rows and the notifications, the head's move. An approval that opens the
next node costs 8 statements on SQLite and 3 on PostgreSQL (where the batch is one statement).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from sopflow.audit.services import chain_head, head_select_sql, record_many
from sopflow.core.errors import Conflict
from sopflow.core.sql import Batch, Table, cursor
from sopflow.notify.models import Robot
from sopflow.notify.services import notify, robots_for
from sopflow.org.models import Company, Delegation, User
from sopflow.scheduling.services import cancel_timer, schedule_timer
from sopflow.webhooks.models import WebhookSubscription
from sopflow.webhooks.services import publish_event

from .definitions import Spec, spec_of_text
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
from .models import (
    ApprovalTask,
    CarbonCopy,
    DefinitionVersion,
    Instance,
    InstanceEvent,
    WorkflowDefinition,
)

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
    # Audit rows of the same command about other objects, written first in the same chained
    # write (the submission's "submitted" when a submit starts the workflow).
    audit_before: tuple[tuple[str, dict[str, Any], Any], ...] = ()


def load(instance_id: int, *, for_update: bool = True) -> tuple[Instance, Spec, InstanceState]:
    """The instance row (locked on PostgreSQL, with the audit chain head), its pinned definition
    and its state. Raises Instance.DoesNotExist."""
    with cursor() as c:
        c.execute(_SQL.load(for_update), [*_SQL.flag_params, instance_id])
        found = c.fetchone()
    if found is None:
        raise Instance.DoesNotExist(f"instance {instance_id}")
    row = _INSTANCES.load(found[:_INSTANCE_WIDTH])
    spec = _tail(row, found[_INSTANCE_WIDTH:], for_update)
    return row, spec, InstanceState.from_dict(row.state)


def load_task(task_id: int, *, company_id: int | None,
              for_update: bool = True) -> tuple[ApprovalTask, Spec, InstanceState] | None:
    """A task of `company_id` with its instance (locked on PostgreSQL), pinned definition and
    state, in one query (`load` for the task commands); None when there is no such task. The
    caller checks access on the task before acting."""
    if company_id is None:
        return None
    with cursor() as c:
        c.execute(_SQL.load_task(for_update), [*_SQL.flag_params, task_id])
        found = c.fetchone()
    # The company is checked here, not in the WHERE: by primary key alone the plan is always
    # the primary key (PostgreSQL once chose the company index on stale statistics).
    if found is None or found[_TASKS.index["company_id"]] != company_id:
        return None
    task = _TASKS.load(found[:_TASK_WIDTH])
    row = _INSTANCES.load(found[_TASK_WIDTH:_TASK_WIDTH + _INSTANCE_WIDTH])
    spec = _tail(row, found[_TASK_WIDTH + _INSTANCE_WIDTH:], for_update)
    ApprovalTask.instance.field.set_cached_value(task, row)
    return task, spec, InstanceState.from_dict(row.state)


def current_spec(template_id: int) -> tuple[int, Spec, tuple[Any, ...]] | None:
    """The template's current published flow for starting an item: (version id, parsed spec,
    the company flags and audit chain head read and locked like `load` does, for
    `new_instance_row`). None when the template has no published flow."""
    with cursor() as c:
        c.execute(_SQL.start(), [*_SQL.flag_params, template_id])
        found = c.fetchone()
    if found is None:
        return None
    version_id, spec_text, *context = found
    return version_id, spec_of_text(version_id, spec_text), tuple(context)


def _tail(row: Instance, values: tuple[Any, ...], locked: bool) -> Spec:
    """The columns after the instance's: spec text, the three company flags, the chain head."""
    spec_text, *context = values
    _set_context(row, context, locked)
    return spec_of_text(row.definition_version_id, spec_text)


def _set_context(row: Instance, values: Sequence[Any], locked: bool) -> None:
    """What a command knows about the item's company (see _FLAGS) and the audit chain head."""
    webhooks, robots, delegations, head = values
    row.wf_has_webhooks = bool(webhooks)  # type: ignore[attr-defined]  # see _FLAGS
    row.wf_has_robots = bool(robots)  # type: ignore[attr-defined]
    row.wf_has_delegations = bool(delegations)  # type: ignore[attr-defined]
    # Only a head read under this transaction's lock may be chained from.
    row.wf_audit_head = chain_head(head) if locked else None  # type: ignore[attr-defined]


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
    batch = Batch()
    _write_state(row, spec, state, now, created=created, batch=batch)
    writer = _Writer(row, spec, actor, now, directory, extras, batch)
    writer.effects(outcome.effects)
    writer.events(outcome.events)
    writer.flush()
    with cursor() as c:
        counts = batch.run(c)
    if counts.get("state", 1) != 1:
        raise Conflict(CONFLICT_MESSAGE)  # the caller's transaction rolls back every write
    return writer.task_changes()


def new_instance_row(*, submission: Any, version_id: int, context: Sequence[Any],
                     initiator: User, urgent: bool, now: datetime) -> Instance:
    """The row for a just-started instance, with the `context` `current_spec` read (inserted,
    state and all, by `save(..., created=True)`)."""
    row = Instance(company_id=submission.company_id, submission=submission,
                   template_id=submission.template_id, definition_version_id=version_id,
                   initiator=initiator, title=submission.title or str(submission)[:200],
                   urgent=urgent, started_at=now, revision=0)
    _set_context(row, context, locked=True)
    return row


def current_nodes_text(spec: Spec, state: InstanceState) -> str:
    names = []
    for node_id in state.active_nodes:
        node = spec.definition.find(node_id)
        if node is not None:
            names.append(node.name)
    return "、".join(names)


# --- internals ----------------------------------------------------------------------------------

_TASKS = Table(ApprovalTask)
_INSTANCES = Table(Instance)
_TIMELINE = Table(InstanceEvent)
_CCS = Table(CarbonCopy)
_TASK_WIDTH = len(_TASKS.fields)
_INSTANCE_WIDTH = len(_INSTANCES.fields)

# Whether the company has webhook subscriptions, group robots or live delegations, read with
# the instance (one query) so the usual company without them pays no query per command.
_FLAGS = ("wf_has_webhooks", "wf_has_robots", "wf_has_delegations")


class _Statements:
    """The store's prepared SQL, per backend."""

    flag_params = (True, True)

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, bool], str] = {}

    def _text(self, kind: str, for_update: bool) -> str:
        vendor = connection.vendor
        key = (vendor, kind, for_update)
        sql = self._cache.get(key)
        if sql is None:
            sql = self._cache[key] = self._build(vendor, kind, for_update)
        return sql

    def load(self, for_update: bool) -> str:
        return self._text("load", for_update)

    def load_task(self, for_update: bool) -> str:
        return self._text("task", for_update)

    def start(self) -> str:
        return self._text("start", True)

    @staticmethod
    def _build(vendor: str, kind: str, for_update: bool) -> str:
        q = _TASKS.q
        webhooks = q(WebhookSubscription._meta.db_table)
        robots = q(Robot._meta.db_table)
        delegations = q(Delegation._meta.db_table)
        company = "d.company_id" if kind == "start" else "i.company_id"
        tail = (
            f"v.spec, "
            f"EXISTS (SELECT 1 FROM {webhooks} w WHERE w.company_id = {company} "
            f"AND w.is_active = %s), "
            f"EXISTS (SELECT 1 FROM {robots} r WHERE r.company_id = {company} "
            f"AND r.is_active = %s), "
            f"EXISTS (SELECT 1 FROM {delegations} g WHERE g.company_id = {company} "
            f"AND g.cancelled_at IS NULL), "
            + (head_select_sql(vendor) if for_update else "NULL"))
        versions = q(DefinitionVersion._meta.db_table)
        if kind == "start":
            definitions = q(WorkflowDefinition._meta.db_table)
            return (f"SELECT v.id, {tail} FROM {versions} v "
                    f"JOIN {definitions} d ON d.id = v.definition_id "
                    f"WHERE d.template_id = %s AND v.published_at IS NOT NULL "
                    f"ORDER BY v.number DESC LIMIT 1")
        instances = q(_INSTANCES.name)
        lock = " FOR UPDATE OF i" if for_update and vendor == "postgresql" else ""
        if kind == "load":
            return (f"SELECT {_INSTANCES.columns('i')}, {tail} FROM {instances} i "
                    f"JOIN {versions} v ON v.id = i.definition_version_id "
                    f"WHERE i.id = %s{lock}")
        return (f"SELECT {_TASKS.columns('t')}, {_INSTANCES.columns('i')}, {tail} "
                f"FROM {q(_TASKS.name)} t JOIN {instances} i ON i.id = t.instance_id "
                f"JOIN {versions} v ON v.id = i.definition_version_id "
                f"WHERE t.id = %s{lock}")


_SQL = _Statements()
# Closing a task and opening the next in one statement: rows for tasks that exist (every task
# the engine closes or pauses was opened, so has a row) update only these columns.
_TASK_UPSERT = (
    'ON CONFLICT ("instance_id", "key") DO UPDATE SET "status" = EXCLUDED."status", '
    '"decided_at" = EXCLUDED."decided_at", "comment" = CASE WHEN EXCLUDED."comment" = \'\' '
    f'THEN {_TASKS.q(_TASKS.name)}."comment" ELSE EXCLUDED."comment" END')


def _flag(row: Instance, name: str) -> bool:
    """The flag read with the row; True (look it up) for a row loaded without flags."""
    return bool(getattr(row, name, True))


def _write_state(row: Instance, spec: Spec, state: InstanceState, now: datetime, *,
                 created: bool, batch: Batch) -> None:
    """The instance row: inserted now when `created` (the other rows need its id), otherwise an
    UPDATE queued in `batch` that matches only the revision this command loaded (optimistic
    lock: a command that saved first bumped it, so this counts 0 rows and `save` refuses)."""
    finished = state.status.value not in (Instance.Status.RUNNING, Instance.Status.RETURNED)
    columns = {
        "state": state.to_dict(), "status": state.status.value,
        "status_text": status_text(spec.definition, state)[:200],
        "current_nodes": current_nodes_text(spec, state)[:300],
        "finished_at": now if finished else None, "last_urged_at": state.last_urged_at,
        "urgent": state.is_urgent,
    }
    for key, value in columns.items():
        setattr(row, key, value)
    if created:
        row.revision = 1
        with cursor() as c:
            row.pk = _INSTANCES.insert(c, [{
                field.attname: getattr(row, field.attname) for field in _INSTANCES.fields
                if not field.primary_key}])[0]
        row._state.adding = False
        return
    assignments, params = _INSTANCES.set_values(list(columns), list(columns.values()))
    batch.add(f"UPDATE {_INSTANCES.q(_INSTANCES.name)} SET revision = revision + 1, "
              f"{assignments} WHERE id = %s AND revision = %s",
              [*params, row.pk, row.revision], name="state", count=True)
    row.revision += 1


class _Writer:
    def __init__(self, row: Instance, spec: Spec, actor: User | None, now: datetime,
                 directory: OrgDirectory, extras: Extras, batch: Batch) -> None:
        self.row, self.spec, self.actor, self.now = row, spec, actor, now
        self.directory, self.extras, self.batch = directory, extras, batch
        # Task rows to write, by key: opened ones whole, changed ones as (status, decided_at)
        # in effect order (a task opened and closed by the same command is written closed).
        self.new_tasks: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, tuple[str, datetime | None]] = {}
        self.ccs: list[dict[str, Any]] = []
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
                    self.new_tasks[effect.task_id] = self.task_row(
                        effect.task_id, node_id=effect.node_id, assignee_id=effect.assignee_id,
                        reason=effect.reason[:200], added_by_id=effect.added_by,
                        due_at=effect.due_at)
                case CloseTask():
                    self.changed[effect.task_id] = (effect.status.value, self.now)
                case SuspendTask():
                    self.changed[effect.task_id] = (ApprovalTask.Status.SUSPENDED, None)
                case ResumeTask():
                    self.changed[effect.task_id] = (ApprovalTask.Status.OPEN, None)
                case NotifyCC():
                    name = self.node_name(effect.node_id)
                    for user_id in effect.user_ids:
                        self.ccs.append({"instance_id": self.row.pk, "user_id": user_id,
                                         "node_id": effect.node_id, "node_name": name,
                                         "created_at": self.now, "read_at": None})
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

    def task_row(self, key: str, *, node_id: str, assignee_id: int, reason: str = "",
                 added_by_id: int | None = None, due_at: datetime | None = None,
                 ) -> dict[str, Any]:
        return {"instance_id": self.row.pk, "company_id": self.row.company_id, "key": key,
                "node_id": node_id, "node_name": self.node_name(node_id),
                "assignee_id": assignee_id, "delegated_from_id": None,
                "added_by_id": added_by_id, "status": ApprovalTask.Status.OPEN,
                "reason": reason, "comment": "", "opened_at": self.now, "decided_at": None,
                "due_at": due_at}

    def delegate_new_tasks(self) -> None:
        """Out-of-office delegation, resolved once when a task opens (one hop, company-local
        date, the item's template): the row goes to the delegate, `delegated_from` keeps the
        original person, and a `workflow.task.delegated` event records the delegation."""
        if not self.new_tasks:
            return
        from django.utils import timezone

        from sopflow.org.delegation import resolve_assignees

        tasks = list(self.new_tasks.values())
        resolved = resolve_assignees(user_ids=[t["assignee_id"] for t in tasks],
                                     template_id=self.row.template_id,
                                     at=timezone.localtime(self.now).date()) \
            if _flag(self.row, "wf_has_delegations") else {}
        for task in tasks:
            found = resolved.get(task["assignee_id"])
            if found is not None and found.is_delegated:
                task["assignee_id"] = found.assignee_id
                task["delegated_from_id"] = found.delegated_from_id
                original = self.directory.name_of(found.delegated_from_id)  # type: ignore[arg-type]  # set when delegated
                self.extra_events.append((Event(
                    "workflow.task.delegated", node_id=task["node_id"], task_id=task["key"],
                    user_ids=(found.assignee_id,), target=str(found.delegated_from_id),
                    reason=f"代 {original} 处理"), {
                        "delegation_id": found.delegation_id,
                        "delegated_from": found.delegated_from_id,
                        "delegated_from_name": original}))
            self.news[("workflow.task.assigned", f"待你处理：{self.row.title}",
                       task["node_name"])].add(task["assignee_id"])

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
        for key, (status, decided_at) in self.changed.items():
            if key in self.new_tasks:
                continue
            changes[key] = {"status": status}
            if decided_at is not None:
                changes[key]["decided_at"] = decided_at
                if key == comment_key and comment:
                    changes[key]["comment"] = comment
        return changes

    def task_rows(self) -> list[dict[str, Any]]:
        """New task rows, and for changed tasks a row the upsert turns into an UPDATE of status,
        decided_at and comment (its other columns are placeholders: the row exists)."""
        rows = dict(self.new_tasks)
        comment_key, comment = self.extras.task_comment or ("", "")
        for key, (status, decided_at) in self.changed.items():
            row = rows.get(key)
            if row is None:
                row = rows[key] = self.task_row(key, node_id="",
                                                assignee_id=self.row.initiator_id)
            row["status"], row["decided_at"] = status, decided_at
            if key == comment_key and comment and decided_at is not None:
                row["comment"] = comment
        return list(rows.values())

    def flush(self) -> None:
        row, now = self.row, self.now
        events = getattr(self, "event_list", ())
        if self.extra_events:
            events = (*events, *(event for event, _ in self.extra_events))
        batch = self.batch
        batch.insert(_TASKS, self.task_rows(), suffix=_TASK_UPSERT)
        batch.insert(_CCS, self.ccs, suffix="ON CONFLICT DO NOTHING")
        batch.insert(_TIMELINE, [self.timeline_row(event) for event in events])
        if events or self.extras.audit_before:
            record_many(actor=self.actor, obj=row, object_repr=row.title, occurred_at=now,
                        company_id=row.company_id,
                        entries=[*self.extras.audit_before,
                                 *(self.audit_entry(event) for event in events)],
                        head=getattr(row, "wf_audit_head", None), batch=batch)
        if events:
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

    def timeline_row(self, event: Event) -> dict[str, Any]:
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
        return {"instance_id": self.row.pk, "verb": event.name, "actor_id": actor_id,
                "at": self.now, "node_id": event.node_id or "",
                "node_name": self.node_name(event.node_id), "comment": event.comment,
                "payload": payload}

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
        template_key = f"workflow:{self.row.template_id}"
        has_robots = _flag(self.row, "wf_has_robots")
        # The company is only needed for e-mail calendars and robots (most commands: neither).
        company = Company(pk=self.row.company_id) if has_robots or any(
            user.email for user in people.values()) else None
        # Looked up once for all the notices of this command (none without a robot flag).
        robots = robots_for(company, None, template_key) if has_robots else []
        link = f"/approvals/{self.row.pk}/"
        for (kind, title, body), ids in self.news.items():
            recipients = [people[pk] for pk in sorted(ids) if pk in people]
            if recipients:
                notify(recipients=recipients, kind=kind, title=title, body=body, link=link,
                       actor=self.actor, urgent=self.row.urgent,
                       working_days_only=kind in _WORKING_DAY_KINDS, company=company,
                       template_key=template_key, robots=robots,
                       source=f"workflow.instance:{self.row.pk}", batch=self.batch)


_NOTIFY_KINDS = {
    "urge": ("workflow.task.reminder", "催办"),
    "mention": ("workflow.comment.mentioned", "有人在审批中提到了你"),
    "overdue": ("workflow.task.escalated", "审批已超时"),
    "due_soon": ("workflow.task.due_soon", "审批即将到期"),
}
# Deadline reminders wait for a working day by e-mail/robot (in-app rows are immediate; 加急
# items skip quiet hours altogether, see `notify`).
_WORKING_DAY_KINDS = {"workflow.task.escalated", "workflow.task.due_soon"}
