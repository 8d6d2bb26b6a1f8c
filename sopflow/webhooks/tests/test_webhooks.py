import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden
from sopflow.notify.tests.local_server import LocalServer
from sopflow.org.models import Company, User
from sopflow.webhooks import signing
from sopflow.webhooks.delivery import requeue_due_webhooks
from sopflow.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from sopflow.webhooks.services import (
    create_subscription,
    publish_event,
    replay_delivery,
    send_test_event,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=SH)


def test_signature_matches_the_standard_webhooks_example() -> None:
    # The worked example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'

    signature = signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)

    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.fixture
def subscription(company: Company, admin: User, local_server: LocalServer) -> tuple[WebhookSubscription, str]:
    created = create_subscription(actor=admin, company=company, name="ERP", event_types=["workflow.instance.approved"],
                                  url=f"{local_server.base_url}/hooks")
    return created.subscription, created.secret


def test_published_event_is_delivered_signed_after_commit(
    subscription: tuple[WebhookSubscription, str], company: Company, local_server: LocalServer,
    django_capture_on_commit_callbacks: object,
) -> None:
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        publish_event(event_type="workflow.instance.approved", payload={"instance_id": 7},
                      company=company)
        publish_event(event_type="workflow.instance.rejected", payload={"instance_id": 8},
                      company=company)

    request, = local_server.received
    body = request.body.decode()
    assert signing.verify(subscription[1], request.headers, body) is True
    assert json.loads(body) == {"type": "workflow.instance.approved",
                                "timestamp": NOW.isoformat(), "data": {"instance_id": 7}}
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == ("succeeded", 200, 1)
    assert request.headers["webhook-id"] == delivery.message_id


def test_server_error_is_retried_with_backoff_until_it_succeeds(
    subscription: tuple[WebhookSubscription, str], company: Company, local_server: LocalServer,
    django_capture_on_commit_callbacks: object,
) -> None:
    local_server.statuses = [500, 503]
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        publish_event(event_type="workflow.instance.approved", payload={"instance_id": 7},
                      company=company)
    after_first = WebhookDelivery.objects.values_list("status", "next_attempt_at").get()

    moments = [NOW + timedelta(seconds=59), NOW + timedelta(minutes=1),
               NOW + timedelta(minutes=5), NOW + timedelta(minutes=6)]
    requeued = []
    for moment in moments:
        with clock.frozen(moment), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            requeued.append(requeue_due_webhooks(moment))

    assert after_first == ("scheduled", NOW + timedelta(minutes=1))
    assert requeued == [0, 1, 0, 1]
    assert [a.status_code for a in WebhookAttempt.objects.order_by("pk")] == [500, 503, 200]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    ids = {r.headers["webhook-id"] for r in local_server.received}
    assert ids == {delivery.message_id}  # retries keep the message id


def test_delivery_gives_up_after_a_day(
    subscription: tuple[WebhookSubscription, str], company: Company, local_server: LocalServer,
    django_capture_on_commit_callbacks: object,
) -> None:
    local_server.statuses = [500] * 10
    moment = NOW
    with clock.frozen(moment), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        publish_event(event_type="workflow.instance.approved", payload={}, company=company)
    for _ in range(6):
        moment = WebhookDelivery.objects.get().next_attempt_at
        with clock.frozen(moment), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            requeue_due_webhooks(moment)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 7, 500)
    assert moment - NOW == timedelta(days=1)


def test_replay_sends_the_same_body_as_a_new_message(
    subscription: tuple[WebhookSubscription, str], company: Company, admin: User,
    local_server: LocalServer, django_capture_on_commit_callbacks: object,
) -> None:
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        original, = publish_event(event_type="workflow.instance.approved", payload={"n": 1},
                                  company=company)
        replay = replay_delivery(actor=admin, delivery=original)

    first, second = local_server.received
    assert first.body == second.body
    assert second.headers["webhook-id"] == replay.message_id != original.message_id
    assert signing.verify(subscription[1], second.headers, second.body.decode()) is True
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of_id) == ("succeeded", original.pk)
    assert AuditEvent.objects.get(action="webhooks.delivery.replayed").actor == admin


def test_test_event_reaches_the_subscriber(
    subscription: tuple[WebhookSubscription, str], admin: User, local_server: LocalServer,
    django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        send_test_event(actor=admin, subscription=subscription[0])

    request, = local_server.received
    assert request.json()["type"] == "webhook.test"
    assert WebhookDelivery.objects.get().is_test is True


def test_employee_cannot_create_a_subscription(company: Company, alice: User) -> None:
    with pytest.raises(Forbidden):
        create_subscription(actor=alice, company=company, name="x", url="https://example.cn/h",
                            event_types=["*"])

    assert WebhookSubscription.objects.exists() is False
    assert AuditEvent.objects.exists() is False
