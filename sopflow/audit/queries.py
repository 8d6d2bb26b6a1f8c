"""Reading and verifying the audit trail: chain verification, search, filter choices, export rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import labels
from .models import AuditChainHead, AuditEvent
from .services import GENESIS, compute_hash

EXPORT_HEADER = [
    "ID",
    "时间",
    "操作人",
    "操作",
    "动作代码",
    "对象类型",
    "对象 ID",
    "对象",
    "变更",
    "IP",
    "User-Agent",
    "渠道",
    "公司 ID",
    "哈希",
]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    checked: int
    broken_event_id: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def verify_chain(*, batch_size: int = 2000) -> VerifyResult:
    """Walk every event in id order; report the first whose stored hash or link does not hold.

    Detects an edited row (its hash no longer matches its content), a deleted row (the next row's
    `prev_hash` no longer matches), an inserted row (the row after it no longer links), and rows
    appended or removed at the end behind the recorder's back (the chain head disagrees).
    """
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        for event in batch:
            if event.prev_hash != prev:
                return VerifyResult(checked, event.pk, "链接断开：上一条记录被删除、插入或修改")
            if compute_hash(event, prev) != event.hash:
                return VerifyResult(checked, event.pk, "内容与哈希不符：该记录被修改")
            prev = event.hash
            checked += 1
            last_id = event.pk
        if batch:
            continue
        # The head is read after the rows: a writer commits its row and the head together, so a
        # head ahead of the last row seen means rows were committed meanwhile; walk on.
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is None or (head.last_event_id == last_id and head.last_hash == prev):
            return VerifyResult(checked, None, "")
        if head.last_event_id > last_id:
            if AuditEvent.objects.filter(pk__gt=last_id).exists():
                continue
            return VerifyResult(checked, head.last_event_id, "末尾记录被删除：链头指向的记录不存在")
        if head.last_event_id < last_id:
            forged = (
                AuditEvent.objects.filter(pk__gt=head.last_event_id)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            return VerifyResult(checked, forged or last_id, "记录绕过审计服务被追加到链尾")
        return VerifyResult(checked, last_id, "链头哈希与末条记录不符")


def search_events(
    *,
    base: QuerySet[AuditEvent],
    text: str = "",
    action: str = "",
    actor_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """Filter a visible queryset by free text, action prefix, actor and (local) date range.

    The text matches the actor, action, object, IP, user agent and the changed values.
    """
    events = base
    text = text.strip()
    if text:
        events = events.filter(
            Q(object_repr__icontains=text)
            | Q(actor_label__icontains=text)
            | Q(action__icontains=text)
            | Q(ip__icontains=text)
            | Q(user_agent__icontains=text)
            | Q(changes__icontains=text)
            | Q(object_id=text)
        )
    if action:
        events = events.filter(action__startswith=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if since:
        events = events.filter(occurred_at__date__gte=since)
    if until:
        events = events.filter(occurred_at__date__lte=until)
    return events.select_related("actor").order_by("-pk")


def action_choices(base: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """Action filter options: every app and noun prefix and every action that occurs in `base`,
    plus the known verbs, each with its Chinese name, sorted so prefixes precede their actions."""
    actions = set(base.order_by().values_list("action", flat=True).distinct()[:500])
    actions |= {key for key in labels.ACTION_LABELS if not key.endswith(".")}
    options: set[str] = set()
    for action in actions:
        parts = action.split(".")
        options.update(".".join(parts[:depth]) + "." for depth in range(1, len(parts)))
        options.add(action)
    return [(option, f"{labels.action_label(option)}（{option}）") for option in sorted(options)]


def actor_choices(base: QuerySet[AuditEvent], *, limit: int = 300) -> list[tuple[int, str]]:
    """People who appear as actors in `base`, by name (at most `limit`)."""
    pairs = (
        base.filter(actor__isnull=False)
        .order_by("actor__name")
        .values_list("actor_id", "actor__name", "actor__employee_no")
        .distinct()[:limit]
    )
    return [(actor_id, f"{name}（{employee_no}）") for actor_id, name, employee_no in pairs]


def export_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """CSV rows (header first) for `events`, streamed from the database in chunks."""
    yield EXPORT_HEADER
    for event in events.iterator(chunk_size=2000):
        yield [
            str(event.pk),
            timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
            event.actor_label,
            labels.action_label(event.action),
            event.action,
            event.object_type,
            event.object_id,
            event.object_repr,
            labels.summary_text(event.changes),
            event.ip or "",
            event.user_agent,
            labels.channel_label(event.channel),
            "" if event.company_id is None else str(event.company_id),
            event.hash,
        ]
