"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from .models import AuditEvent
from .services import GENESIS, compute_hash


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
    `prev_hash` no longer matches) and an inserted row.
    """
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not batch:
            return VerifyResult(checked, None, "")
        for event in batch:
            if event.prev_hash != prev:
                return VerifyResult(checked, event.pk, "链接断开：上一条记录被删除、插入或修改")
            if compute_hash(event, prev) != event.hash:
                return VerifyResult(checked, event.pk, "内容与哈希不符：该记录被修改")
            prev = event.hash
            checked += 1
            last_id = event.pk


def search_events(*, base: QuerySet[AuditEvent], text: str = "", action: str = "",
                  actor_id: int | None = None, since: date | None = None,
                  until: date | None = None) -> QuerySet[AuditEvent]:
    """Filter a visible queryset by free text, action prefix, actor and date range."""
    events = base
    if text:
        events = events.filter(Q(object_repr__icontains=text) | Q(actor_label__icontains=text)
                               | Q(action__icontains=text) | Q(ip__icontains=text))
    if action:
        events = events.filter(action__startswith=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if since:
        events = events.filter(occurred_at__date__gte=since)
    if until:
        events = events.filter(occurred_at__date__lte=until)
    return events.select_related("actor")
