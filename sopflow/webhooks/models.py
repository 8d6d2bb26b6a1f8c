"""Outbound webhooks: subscriptions, one delivery per event and subscription, and its attempts.

The signing secret must be readable to sign each message, so it is stored as is and shown only
once, at creation (docs/decisions/0007-webhook-and-robot-secrets.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


class WebhookSubscription(TimeStampedModel):
    """Another system's URL that receives `event_types` of one company ("*" = all)."""

    company = models.ForeignKey("org.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    secret = models.CharField(max_length=100)  # "whsec_" + base64 key (Standard Webhooks)
    event_types = models.JSONField(_("事件类型"), default=list)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("Webhook 订阅")

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one subscription. `message_id` stays the same across retries and replays
    get a new one, so receivers can de-duplicate (Standard Webhooks `webhook-id`)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("等待重试")
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=100)
    body = models.TextField()  # the exact JSON text that is signed and sent
    status = models.CharField(max_length=20, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    is_test = models.BooleanField(default=False)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Webhook 投递")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    is_success = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("Webhook 投递尝试")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code}"
