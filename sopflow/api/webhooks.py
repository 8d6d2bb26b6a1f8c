"""Webhook endpoints: subscriptions (the secret is returned once, at creation), test events,
the delivery log and replays. Same rules as the UI: system or process admins of the company."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from sopflow.org.access import get_company_for
from sopflow.org.models import User
from sopflow.webhooks import access, services
from sopflow.webhooks.models import WebhookDelivery, WebhookSubscription

router = Router(tags=["webhooks"])


class SubscriptionOut(Schema):
    id: int
    company_id: int
    name: str
    url: str
    event_types: list[str]
    is_active: bool
    secret_hint: str
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="签名密钥，只在创建时返回一次")


class SubscriptionIn(Schema):
    company_id: int
    name: str = Field("", max_length=100)
    url: str = Field(max_length=500)
    event_types: list[str] = Field(default_factory=lambda: ["*"])


class SubscriptionPatch(Schema):
    name: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=500)
    event_types: list[str] | None = None
    is_active: bool | None = None


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    replay_of_id: int | None
    is_test: bool


def _caller(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined, no-any-return]  # set by api_auth


@router.get("/subscriptions", response=list[SubscriptionOut], summary="Webhook 订阅列表")
def list_subscriptions(request: HttpRequest) -> list[WebhookSubscription]:
    return list(access.subscriptions_visible_to(_caller(request)))


@router.post("/subscriptions", response={201: SubscriptionCreated}, summary="新建 Webhook 订阅")
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> tuple[int, dict[str, object]]:
    """返回的 `secret` 只出现这一次，用于校验 `webhook-signature`（Standard Webhooks）。"""
    actor = _caller(request)
    company = get_company_for(actor, payload.company_id)
    created = services.create_subscription(actor=actor, company=company, name=payload.name,
                                           url=payload.url, event_types=payload.event_types)
    data = SubscriptionOut.from_orm(created.subscription).model_dump()
    return 201, data | {"secret": created.secret}


@router.patch("/subscriptions/{subscription_id}", response=SubscriptionOut, summary="修改订阅")
def update_subscription(request: HttpRequest, subscription_id: int,
                        payload: SubscriptionPatch) -> WebhookSubscription:
    actor = _caller(request)
    subscription = access.get_subscription_for(actor, subscription_id)
    return services.update_subscription(actor=actor, subscription=subscription, **payload.model_dump(exclude_unset=True))


@router.post("/subscriptions/{subscription_id}/test", response={202: DeliveryOut}, summary="发送测试事件")
def send_test(request: HttpRequest, subscription_id: int) -> tuple[int, WebhookDelivery]:
    actor = _caller(request)
    subscription = access.get_subscription_for(actor, subscription_id)
    return 202, services.send_test_event(actor=actor, subscription=subscription)


@router.get("/subscriptions/{subscription_id}/deliveries", response=list[DeliveryOut], summary="投递记录")
def list_deliveries(request: HttpRequest, subscription_id: int) -> list[WebhookDelivery]:
    subscription = access.get_subscription_for(_caller(request), subscription_id)
    return list(subscription.deliveries.all()[:200])


@router.post("/deliveries/{delivery_id}/replay", response={202: DeliveryOut}, summary="重发一次投递")
def replay(request: HttpRequest, delivery_id: int) -> tuple[int, WebhookDelivery]:
    actor = _caller(request)
    return 202, services.replay_delivery(actor=actor, delivery=access.get_delivery_for(actor, delivery_id))
