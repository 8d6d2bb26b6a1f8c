"""Races on PostgreSQL between separate OS processes, outside Django's TestCase transaction.

Each test builds its instances first, then two spawned processes fire conflicting commands at
the same moment (a barrier per round), 200 rounds each, and the database is checked afterwards.
Run with DATABASE_URL=postgres://… (skipped on SQLite; see test_sqlite_concurrency.py there).
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.db import connection

from sopflow.org.models import Company, User
from sopflow.workflow.models import ApprovalTask, IdempotencyKey, Instance, InstanceEvent

from . import race_worker
from .builders import approver, flow_template, running_instance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 200


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL race tests need DATABASE_URL=postgres://…")


def _url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _race(jobs_a: list[dict[str, Any]], jobs_b: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    connection.close()  # children must not share this process's connection
    workers = [context.Process(target=race_worker.run, args=(_url(), role, jobs, barrier,
                                                              results))
               for role, jobs in (("a", jobs_a), ("b", jobs_b))]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=300) for _ in range(len(jobs_a) + len(jobs_b))]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return collected


def _flow(first: list[int], mode: str, then: int) -> dict[str, Any]:
    return {"type": "start", "id": "start", "child": approver(
        "first", "会签节点", {"type": "users", "user_ids": first}, mode=mode,
        child=approver("next", "下一步", {"type": "users", "user_ids": [then]}))}


def _instances(alice: User, template: Any) -> list[Instance]:
    return [running_instance(alice, template) for _ in range(ROUNDS)]


def _task(instance: Instance, user: User) -> int:
    return ApprovalTask.objects.get(instance=instance, assignee=user, status="open").pk


def _chain_intact(instances: list[Instance]) -> None:
    """Both processes appended to the one audit chain: it still verifies end to end (a writer
    that chained from a stale head would fork it), and every timeline event of the raced items
    has exactly one audit row."""
    from sopflow.audit.models import AuditEvent
    from sopflow.audit.queries import verify_chain

    result = verify_chain()
    assert (result.ok, result.reason) == (True, "")
    ids = [str(instance.pk) for instance in instances]
    audited = AuditEvent.objects.filter(object_type="workflow.instance", object_id__in=ids)
    assert audited.count() == InstanceEvent.objects.filter(instance__in=instances).count()


def test_two_approvers_of_an_any_sign_node_advance_it_once(
        company: Company, alice: User, bob: User, carol: User, dave: User) -> None:
    template = flow_template(company, _flow([bob.pk, carol.pk], "any", dave.pk))
    instances = _instances(alice, template)

    results = _race(
        [{"kind": "approve", "actor": bob.pk, "task": _task(i, bob), "instance": i.pk}
         for i in instances],
        [{"kind": "approve", "actor": carol.pk, "task": _task(i, carol), "instance": i.pk}
         for i in instances])

    assert sum(1 for r in results if r[2] == "ok") == ROUNDS
    for instance in instances:
        assert ApprovalTask.objects.filter(instance=instance, node_id="next").count() == 1
        assert InstanceEvent.objects.filter(instance=instance,
                                            verb="workflow.node.completed").count() == 1
        assert ApprovalTask.objects.filter(instance=instance, node_id="first",
                                           status="approved").count() == 1
    _chain_intact(instances)


def test_last_two_signers_of_an_all_sign_node_advance_it_once(
        company: Company, alice: User, bob: User, carol: User, dave: User) -> None:
    template = flow_template(company, _flow([bob.pk, carol.pk], "all", dave.pk))
    instances = _instances(alice, template)

    results = _race(
        [{"kind": "approve", "actor": bob.pk, "task": _task(i, bob), "instance": i.pk}
         for i in instances],
        [{"kind": "approve", "actor": carol.pk, "task": _task(i, carol), "instance": i.pk}
         for i in instances])

    assert all(r[2] == "ok" for r in results)
    for instance in instances:
        assert ApprovalTask.objects.filter(instance=instance, node_id="next").count() == 1
        assert InstanceEvent.objects.filter(instance=instance,
                                            verb="workflow.node.completed").count() == 1
    _chain_intact(instances)


def test_withdraw_against_approve_one_wins(company: Company, alice: User, bob: User,
                                           carol: User, dave: User) -> None:
    template = flow_template(company, _flow([bob.pk], "any", dave.pk))
    instances = _instances(alice, template)

    results = _race(
        [{"kind": "approve", "actor": bob.pk, "task": _task(i, bob), "instance": i.pk}
         for i in instances],
        [{"kind": "withdraw", "actor": alice.pk, "instance": i.pk} for i in instances])

    by_instance: dict[int, list[str]] = {}
    for _, instance_id, outcome in results:
        by_instance.setdefault(instance_id, []).append(outcome)
    for instance in instances:
        assert sorted(o == "ok" for o in by_instance[instance.pk]) == [False, True]
        instance.refresh_from_db()
        approved = ApprovalTask.objects.filter(instance=instance, status="approved").exists()
        assert (instance.status == "withdrawn") != approved
    _chain_intact(instances)


def test_same_approve_twice_with_one_idempotency_key_has_one_effect(
        company: Company, alice: User, bob: User, carol: User, dave: User) -> None:
    template = flow_template(company, _flow([bob.pk], "any", dave.pk))
    instances = _instances(alice, template)
    jobs = [{"kind": "idempotent", "actor": bob.pk, "task": _task(i, bob), "instance": i.pk,
             "key": f"approve-{i.pk}"} for i in instances]

    results = _race(jobs, jobs)

    assert all(r[2] == "ok" for r in results)
    assert IdempotencyKey.objects.count() == ROUNDS
    for instance in instances:
        assert InstanceEvent.objects.filter(instance=instance,
                                            verb="workflow.task.approved").count() == 1
        assert ApprovalTask.objects.filter(instance=instance, node_id="next").count() == 1
    _chain_intact(instances)
