"""SQLite: concurrent approvals from threads serialise (IMMEDIATE transactions + busy timeout);
no "database is locked" reaches the caller."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sopflow.core.errors import DomainError
from sopflow.org.models import Company, User
from sopflow.workflow import services
from sopflow.workflow.models import ApprovalTask

from .builders import approver, flow_template, running_instance

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_any_sign_approvals_on_sqlite(company: Company, alice: User, bob: User,
                                                 carol: User, dave: User) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific")
    if connection.is_in_memory_db():
        # The in-memory shared-cache test database uses table locks that fail at once
        # (SQLITE_LOCKED ignores busy_timeout); production runs a WAL file database.
        pytest.skip("needs a file-based SQLite database (WAL + busy timeout)")
    flow = {"type": "start", "id": "start", "child": approver(
        "first", "或签", {"type": "users", "user_ids": [bob.pk, carol.pk]}, mode="any",
        child=approver("next", "下一步", {"type": "users", "user_ids": [dave.pk]}))}
    instances = [running_instance(alice, flow_template(company, flow)) for _ in range(5)]
    jobs = [(user, ApprovalTask.objects.get(instance=i, assignee=user).pk)
            for i in instances for user in (bob, carol)]
    errors: list[BaseException] = []
    outcomes: list[str] = []

    def work(user: User, task_id: int) -> None:
        try:
            services.approve(actor=user, task_id=task_id)
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        except BaseException as error:  # noqa: BLE001  (the test is about these)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes.count("ok") == len(instances)
    for instance in instances:
        assert ApprovalTask.objects.filter(instance=instance, node_id="next").count() == 1
