"""Writing audit events. `record` must be called inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction

from sopflow.core import request_context
from sopflow.core.clock import clock
from sopflow.core.sql import Batch, JsonText, Table, cursor

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
    entries: Sequence[Entry],
    obj: models.Model | None = None,
    company_id: int | None = None,
    actor_label: str = "",
    object_repr: str = "",
    occurred_at: datetime | None = None,
    head: ChainHead | None = None,
    batch: Batch | None = None,
) -> list[AuditEvent]:
    """Append one event per `(action, changes)` entry, all by `actor` on `obj` (or on the
    entry's own third item, `(action, changes, other_obj)`), in order.

    Three statements however many entries: lock and read the chain head, insert the rows, move
    the head (two on PostgreSQL, where the last two are one: `core.sql.Batch`); `record` is the
    one-entry case. One less when the caller passes the `head` it read with its own first query
    (`head_select_sql`). With `batch`, the rows and the head's move join the caller's other
    writes, are written when the caller runs it, and nothing is returned (hot paths). Same
    locking and transaction rule as `record`; returns [] for no entries without touching the
    chain.
    """
    written = _append(actor=actor, entries=entries, obj=obj, company_id=company_id,
                      actor_label=actor_label, object_repr=object_repr,
                      occurred_at=occurred_at, head=head, batch=batch)
    return [] if batch is not None else [_EVENTS.build(pk, row) for pk, row in written]


# (action, changes) about the call's object, or (action, changes, object) about another one.
type Entry = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], models.Model]


def _append(
    *,
    actor: Any | None,
    entries: Sequence[Entry],
    obj: models.Model | None,
    company_id: int | None,
    actor_label: str,
    object_repr: str,
    occurred_at: datetime | None,
    head: ChainHead | None,
    batch: Batch | None = None,
) -> list[tuple[int | None, dict[str, Any]]]:
    global _writes
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "audit.record must run inside the write's transaction"
        )
    if not entries:
        return []
    context = request_context.current()
    at = occurred_at if occurred_at is not None else clock.now()
    label = actor_label or (str(actor) if actor is not None else "系统")
    actor_id = getattr(actor, "pk", None) or None
    target = _target(obj, actor, object_repr, company_id)
    previous = head.last_hash if head is not None and head.writes == _writes else None
    with cursor() as c:
        if previous is None:
            previous = _locked_head(c)
        rows, plains = [], []
        for entry in entries:
            action, changes = entry[0], entry[1]
            object_type, object_id, shown, company = (
                target if len(entry) == 2 else _target(entry[2], actor, "", company_id))
            # The hash covers the changes as they will read back from the database.
            text = _AS_STORED.encode(changes)
            plain = json.loads(text)  # what the hash covers
            plains.append(plain)
            digest = chain_hash(previous, at=at, actor_id=actor_id, actor_label=label,
                                action=action, object_type=object_type, object_id=object_id,
                                object_repr=shown, company_id=company, changes=plain,
                                ip=context.ip, user_agent=context.user_agent,
                                channel=context.channel)
            rows.append({"occurred_at": at, "actor_id": actor_id, "actor_label": label,
                         "action": action, "object_type": object_type, "object_id": object_id,
                         "object_repr": shown, "company_id": company,
                         "changes": JsonText(text),
                         "ip": context.ip, "user_agent": context.user_agent,
                         "channel": context.channel, "prev_hash": previous, "hash": digest})
            previous = digest
        _writes += 1
        # The rows and the head's move: one statement on PostgreSQL (core.sql.Batch), in the
        # caller's batch when it has one.
        own = batch is None
        writes = Batch() if batch is None else batch
        writes.insert(_EVENTS, rows, name="audit_rows", ids=own)
        writes.add(f"UPDATE {_HEAD_TABLE} SET last_hash = %s, "
                   f"last_event_id = {writes.last_id('audit_rows')} WHERE id = 1", [previous])
        if not own:
            return [(None, row) for row in rows]
        ids = writes.run(c)["audit_rows"]
    return [(pk, {**row, "changes": plain})
            for pk, row, plain in zip(ids, rows, plains, strict=True)]


def _target(obj: models.Model | None, actor: Any | None, object_repr: str,
            company_id: int | None) -> tuple[str, str, str, int | None]:
    """(object_type, object_id, object_repr, company_id) of the object an event is about."""
    return (obj._meta.label_lower if obj is not None else "",
            str(obj.pk) if obj is not None else "",
            (object_repr or (str(obj) if obj is not None else ""))[:200],
            company_id if company_id is not None else _company_of(obj, actor))


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The chain head's hash as the caller's own first query of this transaction read it (with
    `head_select_sql()` as one of its columns, which locks the head row on PostgreSQL).

    Only good while nothing else was audited since it was read: `record_many` checks the
    process's audit write counter and reads the head itself otherwise."""

    last_hash: str | None
    writes: int


def head_select_sql(vendor: str) -> str:
    """A scalar subquery for the head's hash, locking the head row on PostgreSQL (SQLite's
    IMMEDIATE transactions already hold the write lock). Lock order: the head first."""
    return f"({_head_sql(vendor)})"


def _head_sql(vendor: str) -> str:
    lock = " FOR UPDATE" if vendor == "postgresql" else ""
    return f"SELECT last_hash FROM {_HEAD_TABLE} WHERE id = 1{lock}"


def lock_chain() -> None:
    """Take the chain head's lock now (caller's transaction). A write that will both lock
    workflow items and record audit rows calls this first, to keep the lock order every
    workflow command uses (head, then the item) and so never deadlock with one."""
    with cursor() as c:
        _locked_head(c)


def chain_head(value: str | None) -> ChainHead:
    """Wrap the value a `head_select_sql()` column returned, for `record_many(head=…)`."""
    return ChainHead(value, _writes)


def _locked_head(cursor: Any) -> str:
    cursor.execute(_head_sql(cursor.db.vendor))
    row = cursor.fetchone()
    if row is not None:
        return str(row[0])
    # The migration creates the head; this only runs on a database where it was deleted.
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head.last_hash


_EVENTS = Table(AuditEvent)
_HEAD_TABLE = AuditChainHead._meta.db_table
# Audit writes made by this process; a ChainHead read before the latest one is stale.
_writes = 0


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
    return chain_hash(prev_hash, at=event.occurred_at, actor_id=event.actor_id,
                      actor_label=event.actor_label, action=event.action,
                      object_type=event.object_type, object_id=event.object_id,
                      object_repr=event.object_repr, company_id=event.company_id,
                      changes=event.changes, ip=event.ip, user_agent=event.user_agent,
                      channel=event.channel)


def chain_hash(prev_hash: str, *, at: datetime, actor_id: int | None, actor_label: str,
               action: str, object_type: str, object_id: str, object_repr: str,
               company_id: int | None, changes: Any, ip: str | None, user_agent: str,
               channel: str) -> str:
    """`compute_hash` over plain values (the recorder hashes rows before they exist)."""
    payload = {
        "prev": prev_hash,
        "at": _iso(at),
        "actor": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object": [object_type, object_id, object_repr],
        "company": company_id,
        "changes": changes,
        "ip": ip,
        "ua": user_agent,
        "channel": channel,
    }
    return hashlib.sha256(_CANONICAL.encode(payload).encode()).hexdigest()


# json.dumps(…, sort_keys=True, ensure_ascii=False, separators=(",", ":")) without building an
# encoder per call (the hash format must not change: `audit_verify` recomputes old rows).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_AS_STORED = json.JSONEncoder(default=str, ensure_ascii=False)


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


