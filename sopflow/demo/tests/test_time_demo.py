"""`make run` shows time working: the demo's approval items and the timer that fires in the
first two minutes (`seed_demo(activity=True)`, see `sopflow.workflow.demo`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from sopflow.core.clock import clock
from sopflow.demo.seed import seed_demo
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.scheduling.models import Timer
from sopflow.scheduling.services import fire_due_timers
from sopflow.workflow.models import ApprovalTask, Instance

pytestmark = pytest.mark.django_db

# A Saturday night: the 加急 deadlines count clock hours, so the marks do not depend on it.
SEEDED_AT = datetime(2026, 3, 14, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def demo() -> Iterator[Company]:
    clock.set(SEEDED_AT)
    yield seed_demo(activity=True)
    clock.unfreeze()


def person(number: str) -> User:
    return User.objects.get(employee_no=number)


def open_tasks() -> list[tuple[str, str, str, datetime | None]]:
    return [(t.instance.initiator.name, t.assignee.name, t.reason, t.due_at) for t in
            ApprovalTask.objects.filter(status="open").select_related(
                "instance__initiator", "assignee").order_by("due_at")]


def bell(number: str) -> list[str]:
    return list(Notification.objects.filter(recipient=person(number)).order_by(
        "created_at", "pk").values_list("kind", flat=True))


def test_the_demo_has_an_overdue_a_due_soon_and_a_soon_firing_item(demo: Company) -> None:
    assert Instance.objects.filter(company=demo, urgent=True, status="running").count() == 3
    assert open_tasks() == [
        ("张敏", "李强", "市场部负责人", SEEDED_AT - timedelta(hours=2)),
        ("赵磊", "张敏", "李强转交", SEEDED_AT + timedelta(seconds=90)),
        ("张敏", "李强", "市场部负责人", SEEDED_AT + timedelta(hours=3)),
    ]
    # The overdue item's reminder went out when it fell due; the next rung (his manager) waits.
    assert bell("E040") == ["workflow.task.assigned", "workflow.task.assigned",
                            "workflow.task.assigned", "workflow.task.escalated"]
    reminder = Notification.objects.get(kind="workflow.task.escalated")
    assert reminder.created_at == SEEDED_AT - timedelta(hours=2)
    assert reminder.title.startswith("审批已超时：费用报销")
    assert bell("E041") == ["workflow.task.assigned"]
    assert list(Timer.objects.filter(fired_at__isnull=True, cancelled_at__isnull=True)
                .order_by("due_at").values_list("due_at", flat=True)) == [
        SEEDED_AT + timedelta(seconds=90), SEEDED_AT + timedelta(hours=3),
        SEEDED_AT + timedelta(hours=22)]


def test_the_scheduler_tells_zhang_min_within_two_minutes(demo: Company) -> None:
    assert fire_due_timers(now=SEEDED_AT + timedelta(seconds=30)) == 0

    later = SEEDED_AT + timedelta(minutes=2)
    clock.set(later)
    assert fire_due_timers(now=later) == 1

    assert bell("E041") == ["workflow.task.assigned", "workflow.task.escalated"]
    told = Notification.objects.get(recipient=person("E041"), kind="workflow.task.escalated")
    assert told.title.startswith("审批已超时：费用报销 · 赵磊")
    assert told.link.startswith("/approvals/")
    assert fire_due_timers(now=later) == 0


def test_inboxes_show_the_marks(demo: Company, client: Client) -> None:
    client.force_login(person("E040"))
    inbox = client.get("/approvals/").content.decode()

    assert "已超时 2 小时" in inbox
    assert 'data-due="due_soon"' in inbox


def test_seeding_again_changes_nothing(demo: Company) -> None:
    before = (Instance.objects.count(), Notification.objects.count(), Timer.objects.count())

    seed_demo(activity=True)

    assert (Instance.objects.count(), Notification.objects.count(),
            Timer.objects.count()) == before
