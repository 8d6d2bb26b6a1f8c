"""Webhook subscriptions (system and process admins): create, enable/disable, test, log, replay."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from sopflow.core.errors import DomainError
from sopflow.org.access import companies_visible_to
from sopflow.webhooks import access, services


def subscription_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    companies = [c for c in companies_visible_to(user) if access.can_manage_webhooks(user, c)]  # type: ignore[arg-type]  # logged in
    created = None
    error = ""
    if request.method == "POST":
        company = next((c for c in companies if str(c.pk) == request.POST.get("company")), None)
        try:
            if company is None:
                raise DomainError(gettext("请选择公司"))
            created = services.create_subscription(
                actor=user, company=company, name=request.POST.get("name", ""),  # type: ignore[arg-type]  # logged in
                url=request.POST.get("url", "").strip(),
                event_types=[e.strip() for e in request.POST.get("event_types", "*").split(",") if e.strip()],
            )
        except DomainError as failure:
            error = failure.message
    return render(request, "web/webhooks/list.html", {
        "subscriptions": access.subscriptions_visible_to(user),  # type: ignore[arg-type]  # logged in
        "companies": companies, "created": created, "error": error,
    }, status=422 if error else 200)


def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = access.get_subscription_for(request.user, subscription_id)  # type: ignore[arg-type]  # logged in
    deliveries = subscription.deliveries.prefetch_related("attempt_log")[:50]
    return render(request, "web/webhooks/detail.html",
                  {"subscription": subscription, "deliveries": deliveries})


@require_POST
def subscription_toggle(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = access.get_subscription_for(request.user, subscription_id)  # type: ignore[arg-type]  # logged in
    services.update_subscription(actor=request.user, subscription=subscription,  # type: ignore[arg-type]  # logged in
                                 is_active=not subscription.is_active)
    return redirect("web:webhooks-detail", subscription_id)


@require_POST
def subscription_test(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = access.get_subscription_for(request.user, subscription_id)  # type: ignore[arg-type]  # logged in
    services.send_test_event(actor=request.user, subscription=subscription)  # type: ignore[arg-type]  # logged in
    messages.success(request, gettext("测试事件已排队发送"))
    return redirect("web:webhooks-detail", subscription_id)


@require_POST
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = access.get_delivery_for(request.user, delivery_id)  # type: ignore[arg-type]  # logged in
    services.replay_delivery(actor=request.user, delivery=delivery)  # type: ignore[arg-type]  # logged in
    messages.success(request, gettext("已重新发送"))
    return redirect("web:webhooks-detail", delivery.subscription_id)
