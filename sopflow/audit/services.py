"""Writing audit events. `record` must be called inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction

from sopflow.core import request_context
from sopflow.core.clock import clock

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    company_id: int | None = None,
    actor_label: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    The chain head row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers
    with IMMEDIATE transactions), so two writers never compute from the same previous hash.
    Raises TransactionManagementError when called outside `transaction.atomic()`.
    """
    return record_many(actor=actor, obj=obj, entries=[(action, changes or {})],
                       company_id=company_id, actor_label=actor_label, object_repr=object_repr)[0]


def record_many(
    *,
    actor: Any | None,
    entries: Sequence[tuple[str, dict[str, Any]]],
    obj: models.Model | None = None,
    company_id: int | None = None,
    actor_label: str = "",
    object_repr: str = "",
    occurred_at: datetime | None = None,
) -> list[AuditEvent]:
    """Append one event per `(action, changes)` entry, all by `actor` on `obj`, in order.

    Three statements however many entries: lock the chain head, insert the rows, move the head
    (`record` is the one-entry case). Same locking and transaction rule as `record`; returns []
    for no entries without touching the chain.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "audit.record must run inside the write's transaction"
        )
    if not entries:
        return []
    context = request_context.current()
    at = occurred_at if occurred_at is not None else clock.now()
    label = actor_label or (str(actor) if actor is not None else "系统")
    object_type = obj._meta.label_lower if obj is not None else ""
    object_id = str(obj.pk) if obj is not None else ""
    shown = (object_repr or (str(obj) if obj is not None else ""))[:200]
    company = company_id if company_id is not None else _company_of(obj, actor)
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    previous = head.last_hash
    rows = []
    for action, changes in entries:
        event = AuditEvent(
            occurred_at=at,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=shown,
            company_id=company,
            changes=_jsonable(changes),
            ip=context.ip,
            user_agent=context.user_agent,
            channel=context.channel,
            prev_hash=previous,
        )
        event.hash = compute_hash(event, previous)
        previous = event.hash
        rows.append(event)
    created = AuditEvent.objects.bulk_create(rows)
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous, last_event_id=created[-1].pk)
    return created


def record_export(*, actor: Any, filters: dict[str, Any], row_count: int) -> AuditEvent:
    """Note that `actor` downloaded `row_count` audit rows matching `filters` (its own transaction)."""
    with transaction.atomic():
        return record(
            actor=actor,
            action="audit.export.downloaded",
            changes={"filters": filters, "rows": row_count},
        )


def compute_hash(event: AuditEvent, prev_hash: str) -> str:
    """Hash of an event's content chained to `prev_hash`. Must stay stable across versions."""
    payload = {
        "prev": prev_hash,
        "at": _iso(event.occurred_at),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object": [event.object_type, event.object_id, event.object_repr],
        "company": event.company_id,
        "changes": event.changes,
        "ip": event.ip,
        "ua": event.user_agent,
        "channel": event.channel,
    }
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _company_of(obj: models.Model | None, actor: Any | None) -> int | None:
    for candidate in (obj, actor):
        company_id = getattr(candidate, "company_id", None)
        if company_id is not None:
            return int(company_id)
    return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
