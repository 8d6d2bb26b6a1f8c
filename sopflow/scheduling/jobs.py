"""Background entry points of the scheduler app and the one helper every app uses to enqueue.

`enqueue(task, *args)` keeps the outbox promise: with django-tasks-db the task row is written in
the caller's transaction (a rollback removes it); with other backends (ImmediateBackend in
tests) the task is enqueued on commit, so it never runs for a rolled-back change.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.tasks import Task, task

from sopflow.core.clock import clock

from . import registry, services
from .models import ScheduleFire


def enqueue(job: Task[Any, Any], *args: Any) -> None:
    backend = job.get_backend()
    if type(backend).__module__.startswith("django_tasks_db"):
        job.enqueue(*args)
    else:
        transaction.on_commit(lambda: job.enqueue(*args))


@task(queue_name="default")
def run_job(job_run_id: int) -> None:
    services.execute_job_run(job_run_id)


def run_scheduled_rule(*, fire_id: int) -> None:
    """The job behind every rule fire: call the rule's handler with its payload and period."""
    fire = ScheduleFire.objects.select_related("rule").get(pk=fire_id)
    rule = fire.rule
    handler = registry.rule_handlers.get(rule.handler)
    if handler is None:
        raise LookupError(f"no rule handler registered for {rule.handler!r}")
    handler(registry.RuleRun(rule_id=rule.pk, company_id=rule.company_id, key=rule.key,
                             payload=rule.payload, period_on=fire.period_on, now=clock.now()))


registry.register_job("scheduling.rule", run_scheduled_rule)
