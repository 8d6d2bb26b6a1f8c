"""`record_many`: several events on one object, chained in order, in three statements (two on
PostgreSQL, where the rows and the head's move are one statement: `core.sql.Batch`)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sopflow.audit.models import AuditChainHead, AuditEvent
from sopflow.audit.queries import verify_chain
from sopflow.audit.services import compute_hash, record, record_many
from sopflow.org.models import Company


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]


def test_record_many_chains_the_entries_in_order_and_moves_the_head(db: None) -> None:
    company = Company.objects.create(name="链测试", code="chain")
    with transaction.atomic():
        first = record(actor=None, action="test.before", actor_label="测试")
        events = record_many(actor=None, obj=company, actor_label="测试", company_id=company.pk,
                             entries=[("test.a", {"n": 1}), ("test.b", {"n": 2}),
                                      ("test.c", {"n": 3})])

    assert [event.action for event in events] == ["test.a", "test.b", "test.c"]
    assert events[0].prev_hash == first.hash
    assert events[1].prev_hash == events[0].hash
    assert events[2].hash == compute_hash(events[2], events[1].hash)
    assert {(e.object_type, e.object_id, e.company_id) for e in events} == {
        ("org.company", str(company.pk), company.pk)}
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_event_id, head.last_hash) == (events[2].pk, events[2].hash)
    assert verify_chain().ok
    assert verify_chain().checked == 4


def test_record_many_costs_three_statements_however_many_entries(db: None) -> None:
    with transaction.atomic():
        record(actor=None, action="test.warm")
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        record_many(actor=None, entries=[("test.x", {"n": n}) for n in range(10)])

    statements = _statements(captured)
    assert statements[0].startswith("SELECT last_hash FROM audit_auditchainhead")
    if connection.vendor == "postgresql":
        assert len(statements) == 2
        assert statements[1].startswith("WITH audit_rows AS (INSERT INTO")
    else:
        assert len(statements) == 3
        assert statements[1].startswith('INSERT INTO "audit_auditevent"')
        assert statements[2].startswith("UPDATE audit_auditchainhead SET last_hash")
    assert AuditEvent.objects.count() == 11
    assert verify_chain().ok


def test_record_many_with_no_entries_writes_nothing(db: None) -> None:
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        assert record_many(actor=None, entries=[]) == []

    assert _statements(captured) == []


def test_record_many_refuses_outside_a_transaction(transactional_db: None) -> None:
    with pytest.raises(transaction.TransactionManagementError):
        record_many(actor=None, entries=[("test.x", {})])

    assert AuditEvent.objects.count() == 0
