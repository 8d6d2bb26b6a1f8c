from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction

from sopflow.core.clock import clock
from sopflow.notify.delivery import requeue_due_deliveries, send_due_digests
from sopflow.notify.models import Delivery, DeliveryAttempt, Notification, NotificationPreference
from sopflow.notify.services import mark_all_read, mark_read, notify, set_preference
from sopflow.org.models import User

SH = ZoneInfo("Asia/Shanghai")
AFTERNOON = datetime(2026, 3, 16, 15, 0, tzinfo=SH)
LATE_EVENING = datetime(2026, 3, 16, 23, 0, tzinfo=SH)


@pytest.fixture
def afternoon() -> object:
    with clock.frozen(AFTERNOON):
        yield AFTERNOON


def test_notify_writes_in_app_row_and_email_delivery_in_callers_transaction(
    afternoon: datetime, alice: User, bob: User, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():  # type: ignore[operator]
        notify(recipients=[alice], kind="workflow.task.assigned", title="请审批：市场活动",
               body="预算 200,000", link="/workflow/tasks/7/", actor=bob)
        in_transaction = (Notification.objects.count(), Delivery.objects.count(), len(mail.outbox))

    assert in_transaction == (1, 1, 0)  # nothing is sent before commit
    notification = Notification.objects.get()
    assert (notification.recipient, notification.actor, notification.read_at) == (alice, bob, None)
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "sent", 1)
    assert DeliveryAttempt.objects.get().is_success is True
    assert [m.to for m in mail.outbox] == [["alice@example.cn"]]
    assert mail.outbox[0].subject == "[sopflow] 请审批：市场活动"
    assert "http://127.0.0.1:8000/workflow/tasks/7/" in mail.outbox[0].body


def test_rollback_leaves_no_notification_and_sends_nothing(
    afternoon: datetime, alice: User, django_capture_on_commit_callbacks: object
) -> None:
    def approve_then_fail() -> None:
        with transaction.atomic():
            notify(recipients=[alice], kind="workflow.task.assigned", title="请审批")
            raise RuntimeError("the approval failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):  # type: ignore[operator]
        approve_then_fail()

    assert Notification.objects.exists() is False
    assert Delivery.objects.exists() is False
    assert mail.outbox == []


def test_quiet_hours_delay_email_until_eight_but_in_app_is_immediate(
    alice: User, django_capture_on_commit_callbacks: object
) -> None:
    with clock.frozen(LATE_EVENING), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        notify(recipients=[alice], kind="workflow.task.reminder", title="请尽快审批")
    delivery = Delivery.objects.get()
    scheduled = (delivery.status, delivery.next_attempt_at)

    morning = datetime(2026, 3, 17, 8, 0, tzinfo=SH)
    with clock.frozen(morning), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        too_early = requeue_due_deliveries(morning - timedelta(minutes=1))
        on_time = requeue_due_deliveries(morning)

    assert Notification.objects.count() == 1
    assert scheduled == ("scheduled", morning)
    assert (too_early, on_time) == (0, 1)
    assert len(mail.outbox) == 1
    assert Delivery.objects.get().status == "sent"


def test_urgent_ignores_quiet_hours(alice: User, django_capture_on_commit_callbacks: object) -> None:
    with clock.frozen(LATE_EVENING), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        notify(recipients=[alice], kind="workflow.task.reminder", title="加急：请审批", urgent=True)

    assert Delivery.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_email_preference_off_keeps_only_the_in_app_row(afternoon: datetime, alice: User) -> None:
    set_preference(actor=alice, kind="workflow.instance.finished", channel="email", is_enabled=False)

    notify(recipients=[alice], kind="workflow.instance.finished", title="已通过")

    assert Notification.objects.filter(recipient=alice).count() == 1
    assert Delivery.objects.exists() is False


def test_email_is_in_the_recipients_language(
    afternoon: datetime, alice: User, bob: User, django_capture_on_commit_callbacks: object
) -> None:
    bob.email, bob.language = "bob@example.cn", "en"
    bob.save()

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        notify(recipients=[alice, bob], kind="workflow.task.assigned", title="请审批：报销",
               link="/x/", translations={"en": {"title": "Please approve: expense claim"}})

    by_address = {m.to[0]: m for m in mail.outbox}
    english, chinese = by_address["bob@example.cn"], by_address["alice@example.cn"]
    assert english.subject == "[sopflow] Please approve: expense claim"
    assert "View details" in english.body
    assert "Hello 李强," in english.body
    assert chinese.subject == "[sopflow] 请审批：报销"
    assert "查看详情" in chinese.body
    assert "张敏，您好：" in chinese.body
    assert "查看详情" in chinese.alternatives[0].content


def test_cc_digest_bundles_held_emails_once_per_hour(
    alice: User, django_capture_on_commit_callbacks: object
) -> None:
    set_preference(actor=alice, kind="workflow.instance.cc", channel="email", is_enabled=True,
                   frequency="hourly")
    with clock.frozen(AFTERNOON):
        notify(recipients=[alice], kind="workflow.instance.cc", title="抄送：采购申请")
        notify(recipients=[alice], kind="workflow.instance.cc", title="抄送：请假申请")
    held = list(Delivery.objects.values_list("status", flat=True))

    next_hour = AFTERNOON + timedelta(hours=1, minutes=1)
    with clock.frozen(next_hour), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        made = send_due_digests(next_hour)
        again = send_due_digests(next_hour + timedelta(minutes=1))

    assert held == ["held", "held"]
    assert (made, again) == (1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[sopflow] 您有 2 条抄送消息"
    assert "抄送：采购申请" in mail.outbox[0].body
    assert "抄送：请假申请" in mail.outbox[0].body


def test_read_marks(afternoon: datetime, alice: User, bob: User) -> None:
    first, = notify(recipients=[alice], kind="system.notice", title="一")
    notify(recipients=[alice], kind="system.notice", title="二")

    mark_read(actor=alice, notification_id=first.pk)
    unread_after_one = Notification.objects.filter(recipient=alice, read_at__isnull=True).count()
    marked = mark_all_read(actor=alice)

    assert (unread_after_one, marked) == (1, 1)
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_actor_and_inactive_people_are_not_notified(afternoon: datetime, alice: User, bob: User) -> None:
    alice.is_active = False
    alice.save()

    created = notify(recipients=[alice, bob], kind="system.notice", title="x", actor=bob)

    assert created == []


def test_preference_rejects_digest_for_non_cc_kinds(alice: User) -> None:
    from sopflow.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        set_preference(actor=alice, kind="workflow.task.assigned", channel="email",
                       is_enabled=True, frequency="daily")

    assert NotificationPreference.objects.exists() is False
