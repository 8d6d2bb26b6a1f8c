"""How many SQL statements a task completion costs: the issue's budget is 8, audit and outbox
rows included (decision 0010 lists them)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sopflow.audit.models import AuditEvent
from sopflow.audit.queries import verify_chain
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.workflow import services
from sopflow.workflow.models import ApprovalTask, InstanceEvent

from .builders import flow_template, head_then_finance, open_task, running_instance

pytestmark = pytest.mark.django_db


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]


def test_an_approval_that_opens_the_next_node_costs_at_most_8_statements(
        company: Company, alice: User, bob: User, carol: User) -> None:
    template = flow_template(company, head_then_finance([carol.pk]))
    warm = running_instance(alice, template)
    services.approve(actor=bob, task_id=open_task(warm, bob).pk)
    instance = running_instance(alice, template)
    task = open_task(instance, bob)
    audited = AuditEvent.objects.count()

    with CaptureQueriesContext(connection) as captured:
        services.approve(actor=bob, task_id=task.pk)

    statements = _statements(captured)
    if connection.vendor == "postgresql":
        # Load (task, item, flow, company flags, audit head), the people, and one statement
        # for every write (core.sql.Batch).
        assert len(statements) == 3
        assert statements[2].startswith("WITH state AS (UPDATE")
    else:
        assert [sql.split()[0] + " " + sql.split()[2 if sql.startswith("INSERT") else 1]
                for sql in statements] == [
            'SELECT t."id",',                        # task ⋈ item ⋈ flow + flags + audit head
            'SELECT u."id",',                        # the people the flow names
            'UPDATE "workflow_instance"',            # state, revision-checked
            'INSERT "workflow_approvaltask"',        # close this task + open the next (upsert)
            'INSERT "workflow_instanceevent"',       # the timeline
            'INSERT "audit_auditevent"',             # one audit row per event
            "UPDATE audit_auditchainhead",           # the chain head
            'INSERT "notify_notification"',          # the next approver's notice (outbox)
        ]
    # What those statements wrote: the whole step, nothing less.
    assert open_task(instance, carol).node_id == "finance"
    assert ApprovalTask.objects.get(pk=task.pk).status == ApprovalTask.Status.APPROVED
    events = list(InstanceEvent.objects.filter(instance=instance).order_by("pk")
                  .values_list("verb", flat=True))
    assert events[-3:] == ["workflow.task.approved", "workflow.node.completed",
                           "workflow.node.entered"]
    assert AuditEvent.objects.count() == audited + 3
    assert Notification.objects.filter(recipient=carol, kind="workflow.task.assigned").count() == 2
    assert verify_chain().ok


def test_a_refused_command_writes_nothing(company: Company, alice: User, bob: User,
                                          carol: User) -> None:
    from sopflow.core.errors import Conflict

    template = flow_template(company, head_then_finance([carol.pk]))
    instance = running_instance(alice, template)
    task = open_task(instance, bob)
    services.approve(actor=bob, task_id=task.pk)
    counts = (AuditEvent.objects.count(), InstanceEvent.objects.count(),
              ApprovalTask.objects.count(), Notification.objects.count())

    with pytest.raises(Conflict):
        services.approve(actor=bob, task_id=task.pk)

    assert (AuditEvent.objects.count(), InstanceEvent.objects.count(),
            ApprovalTask.objects.count(), Notification.objects.count()) == counts
