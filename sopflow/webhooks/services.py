"""Webhook use cases: manage subscriptions, publish events (outbox), test events and replays."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden, ValidationFailed
from sopflow.org.models import Company, User
from sopflow.scheduling.jobs import enqueue

from . import access, signing
from .models import WebhookDelivery, WebhookSubscription

TEST_EVENT = "webhook.test"


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown to the admin once; never again


def create_subscription(
    *, actor: User, company: Company, name: str, url: str, event_types: list[str]
) -> CreatedSubscription:
    """Add a subscription with a fresh signing secret (returned once)."""
    _require_manager(actor, company)
    _validate(url, event_types)
    secret = signing.new_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            company=company, name=name[:100] or url[:100], url=url, secret=secret,
            event_types=sorted(set(event_types)), created_by=actor,
        )
        record(actor=actor, action="webhooks.subscription.created", obj=subscription,
               company_id=company.pk, changes={"url": url, "event_types": subscription.event_types})
    return CreatedSubscription(subscription, secret)


def update_subscription(
    *, actor: User, subscription: WebhookSubscription, url: str | None = None,
    event_types: list[str] | None = None, is_active: bool | None = None, name: str | None = None,
) -> WebhookSubscription:
    _require_manager(actor, subscription.company)
    _validate(url or subscription.url, event_types if event_types is not None else ["*"])
    with transaction.atomic():
        before = {"url": subscription.url, "event_types": subscription.event_types,
                  "is_active": subscription.is_active, "name": subscription.name}
        if url is not None:
            subscription.url = url
        if event_types is not None:
            subscription.event_types = sorted(set(event_types))
        if is_active is not None:
            subscription.is_active = is_active
        if name is not None:
            subscription.name = name[:100]
        subscription.save()
        after = {"url": subscription.url, "event_types": subscription.event_types,
                 "is_active": subscription.is_active, "name": subscription.name}
        record(actor=actor, action="webhooks.subscription.updated", obj=subscription,
               company_id=subscription.company_id, changes={"before": before, "after": after})
    return subscription


def publish_event(
    *, event_type: str, payload: dict[str, Any], company: Company
) -> list[WebhookDelivery]:
    """Fan an event out to the company's active subscriptions, in the caller's transaction.

    The body `{"type", "timestamp", "data"}` is frozen now, so retries and replays send exactly
    what happened. Sending happens after commit, from the outbox rows.
    """
    now = clock.now()
    deliveries = []
    with transaction.atomic():
        for subscription in WebhookSubscription.objects.filter(company=company, is_active=True):
            if subscription.wants(event_type):
                deliveries.append(_outbox(subscription, event_type, payload, now=now))
    return deliveries


def send_test_event(*, actor: User, subscription: WebhookSubscription) -> WebhookDelivery:
    """A `webhook.test` event to this one subscription (even when inactive)."""
    _require_manager(actor, subscription.company)
    with transaction.atomic():
        delivery = _outbox(subscription, TEST_EVENT,
                           {"message": "来自 sopflow 的测试事件", "subscription_id": subscription.pk},
                           now=clock.now(), is_test=True)
        record(actor=actor, action="webhooks.test_event.sent", obj=subscription,
               company_id=subscription.company_id, changes={"message_id": delivery.message_id})
    return delivery


def replay_delivery(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a past delivery's body again as a new message (new `webhook-id`, new attempts)."""
    subscription = delivery.subscription
    _require_manager(actor, subscription.company)
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            subscription=subscription, message_id=_message_id(), event_type=delivery.event_type,
            body=delivery.body, status=WebhookDelivery.Status.QUEUED, created_at=clock.now(),
            next_attempt_at=clock.now(), replay_of=delivery, is_test=delivery.is_test,
        )
        record(actor=actor, action="webhooks.delivery.replayed", obj=replay,
               company_id=subscription.company_id,
               changes={"replay_of": delivery.message_id, "event_type": delivery.event_type})
        _kick(replay)
    return replay


def _outbox(subscription: WebhookSubscription, event_type: str, payload: dict[str, Any], *,
            now: Any, is_test: bool = False) -> WebhookDelivery:
    body = json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": payload},
                      ensure_ascii=False, separators=(",", ":"), default=str)
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, message_id=_message_id(), event_type=event_type, body=body,
        status=WebhookDelivery.Status.QUEUED, created_at=now, next_attempt_at=now, is_test=is_test,
    )
    _kick(delivery)
    return delivery


def _kick(delivery: WebhookDelivery) -> None:
    from .delivery import deliver_webhook

    enqueue(deliver_webhook, delivery.pk)


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _validate(url: str, event_types: list[str]) -> None:
    if not url.startswith(("https://", "http://")):
        raise ValidationFailed(gettext("地址需以 https:// 开头"), field="url")
    if not event_types or any(not isinstance(e, str) or not e.strip() for e in event_types):
        raise ValidationFailed(gettext("至少选择一个事件类型（* 表示全部）"), field="event_types")


def _require_manager(actor: User, company: Company) -> None:
    if not access.can_manage_webhooks(actor, company):
        raise Forbidden(gettext("只有系统管理员或流程管理员可以管理 Webhook"))
