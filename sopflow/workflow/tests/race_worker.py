"""Child-process side of the PostgreSQL race tests (spawned, so it sets Django up itself)."""

from __future__ import annotations

import os
from typing import Any


def run(database_url: str, role: str, jobs: list[dict[str, Any]], barrier: Any,
        results: Any) -> None:
    """For each job: wait for the other process at the barrier, then fire one command."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connection

    from sopflow.core.errors import DomainError
    from sopflow.org.models import User
    from sopflow.workflow import idempotency, services

    users = {pk: User.objects.get(pk=pk) for pk in {job["actor"] for job in jobs}}
    for job in jobs:
        actor = users[job["actor"]]
        barrier.wait(timeout=60)
        try:
            if job["kind"] == "approve":
                services.approve(actor=actor, task_id=job["task"])
            elif job["kind"] == "withdraw":
                services.withdraw(actor=actor, instance_id=job["instance"])
            elif job["kind"] == "idempotent":
                idempotency.run_once(
                    user=actor, key=job["key"], request_fingerprint="same",
                    call=lambda job=job, actor=actor: {
                        "task": services.approve(actor=actor, task_id=job["task"]).pk})
            results.put((role, job["instance"], "ok"))
        except DomainError as error:
            results.put((role, job["instance"], f"{type(error).__name__}:{error.message}"))
    connection.close()
