"""Webhooks are managed by system and process admins of the subscription's company."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import NotFound
from sopflow.org.access import companies_visible_to, has_role
from sopflow.org.models import Company, RoleAssignment, User

from .models import WebhookDelivery, WebhookSubscription

Role = RoleAssignment.Role


def can_manage_webhooks(user: User, company: Company) -> bool:
    return has_role(user, Role.PROCESS_ADMIN, company=company)


def subscriptions_visible_to(user: User) -> QuerySet[WebhookSubscription]:
    manageable = [c.pk for c in companies_visible_to(user) if can_manage_webhooks(user, c)]
    return WebhookSubscription.objects.filter(company_id__in=manageable).select_related("company")


def get_subscription_for(user: User, subscription_id: int) -> WebhookSubscription:
    subscription = subscriptions_visible_to(user).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound(gettext("Webhook 订阅不存在"))
    return subscription


def get_delivery_for(user: User, delivery_id: int) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(
        pk=delivery_id, subscription__in=subscriptions_visible_to(user)
    ).select_related("subscription").first()
    if delivery is None:
        raise NotFound(gettext("投递记录不存在"))
    return delivery
