import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from sopflow.audit.models import AuditChainHead, AuditEvent
from sopflow.audit.queries import verify_chain
from sopflow.audit.services import compute_hash, record
from sopflow.org.models import User


def _append(count: int, actor: User | None = None) -> list[AuditEvent]:
    events = []
    for number in range(count):
        with transaction.atomic():
            events.append(
                record(
                    actor=actor,
                    action="test.thing.happened",
                    changes={"n": number},
                    actor_label="测试",
                )
            )
    return events


def test_audit_verify_passes_when_chain_is_clean(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _append(5)

    call_command("audit_verify")

    assert capsys.readouterr().out.strip() == "审计链完好：共校验 5 条记录。"


def test_audit_verify_passes_when_there_are_no_events(db: None) -> None:
    assert verify_chain().ok
    assert verify_chain().checked == 0


def test_audit_verify_names_the_row_when_its_changes_were_edited(db: None) -> None:
    events = _append(5)
    AuditEvent.objects.filter(pk=events[2].pk).update(changes={"n": 999})

    with pytest.raises(CommandError) as error:
        call_command("audit_verify")

    assert f"id={events[2].pk}" in str(error.value)
    assert "内容与哈希不符" in str(error.value)
    assert verify_chain().checked == 2


def test_audit_verify_names_the_next_row_when_a_middle_row_was_deleted(db: None) -> None:
    events = _append(5)
    AuditEvent.objects.filter(pk=events[2].pk).delete()

    with pytest.raises(CommandError) as error:
        call_command("audit_verify")

    assert f"id={events[3].pk}" in str(error.value)
    assert "链接断开" in str(error.value)


def test_audit_verify_names_the_forged_row_when_one_is_inserted_with_a_bogus_hash(db: None) -> None:
    events = _append(3)
    forged = AuditEvent.objects.create(
        occurred_at=events[1].occurred_at,
        actor_label="伪造",
        action="org.employee.created",
        prev_hash=events[2].hash,
        hash="f" * 64,
    )

    result = verify_chain()

    assert (result.ok, result.broken_event_id) == (False, forged.pk)


def test_audit_verify_names_the_forged_row_when_appended_with_a_correct_hash(db: None) -> None:
    events = _append(3)
    forged = AuditEvent(
        occurred_at=events[2].occurred_at,
        actor_label="伪造",
        action="org.employee.created",
        prev_hash=events[2].hash,
    )
    forged.hash = compute_hash(forged, events[2].hash)
    forged.save()

    with pytest.raises(CommandError) as error:
        call_command("audit_verify")

    assert f"id={forged.pk}" in str(error.value)
    assert "绕过审计服务" in str(error.value)


def test_audit_verify_fails_when_the_last_row_was_deleted(db: None) -> None:
    events = _append(3)
    AuditEvent.objects.filter(pk=events[2].pk).delete()

    result = verify_chain()

    assert (result.ok, result.broken_event_id, result.checked) == (False, events[2].pk, 2)


def test_chain_head_points_at_the_last_event_when_appending(db: None) -> None:
    events = _append(2)

    head = AuditChainHead.objects.get(pk=1)

    assert (head.last_event_id, head.last_hash) == (events[1].pk, events[1].hash)
    assert events[1].prev_hash == events[0].hash


def test_record_refuses_when_called_outside_a_transaction(transactional_db: None) -> None:
    with pytest.raises(transaction.TransactionManagementError):
        record(actor=None, action="test.thing.happened")

    assert AuditEvent.objects.count() == 0
