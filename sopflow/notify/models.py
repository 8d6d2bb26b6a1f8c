"""In-app notifications, per-user preferences, group-chat robots and the delivery outbox.

A notification is written in the caller's transaction together with its `Delivery` rows (e-mail,
robot); the worker sends deliveries after commit and records every `DeliveryAttempt`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


class Notification(models.Model):
    """One message in a person's bell. Read state is per row; `link` is a site-relative URL."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    translations = models.JSONField(default=dict, blank=True)  # {"en": {"title":…, "body":…}}
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_urgent = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True)  # what produced it, for idempotent jobs
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient"], name="notify_unread_idx",
                         condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> tuple[str, str]:
        translated = self.translations.get(language) or {}
        return translated.get("title", self.title), translated.get("body", self.body)


class NotificationPreference(models.Model):
    """A person's choice for one kind on one channel. No row = enabled, sent at once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        ROBOT = "robot", _("群机器人")

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("立即")
        HOURLY = "hourly", _("每小时汇总")
        DAILY = "daily", _("每日汇总")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=100)
    channel = models.CharField(max_length=20, choices=Channel)
    is_enabled = models.BooleanField(default=True)
    frequency = models.CharField(max_length=20, choices=Frequency, default=Frequency.IMMEDIATE)

    class Meta:
        verbose_name = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="notify_pref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel}"


class Robot(TimeStampedModel):
    """A group-chat robot (DingTalk, WeCom, Feishu) that receives messages for a department or a
    template. The secret is needed to sign every message, so it is stored (see docs/decisions)."""

    class Platform(models.TextChoices):
        DINGTALK = "dingtalk", _("钉钉")
        WECOM = "wecom", _("企业微信")
        FEISHU = "feishu", _("飞书")

    company = models.ForeignKey("org.Company", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    platform = models.CharField(_("平台"), max_length=20, choices=Platform)
    webhook_url = models.URLField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    template_key = models.CharField(_("模板"), max_length=100, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟上限"), default=20)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("群机器人")

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.name}"


class Delivery(models.Model):
    """One outbound message (an e-mail to a person, a robot post) with its retry state.

    scheduled (waiting for `next_attempt_at`: quiet hours, backoff, rate limit) → queued (a task
    is enqueued) → sending → sent | failed (after the last try). `held` rows wait for a digest.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        ROBOT = "robot", _("群机器人")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待发送")
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("失败")
        HELD = "held", _("等待汇总")
        DIGESTED = "digested", _("已汇总")

    channel = models.CharField(max_length=20, choices=Channel)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    robot = models.ForeignKey(Robot, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="deliveries")
    payload = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(max_length=20, blank=True)  # hourly|daily for held rows
    status = models.CharField(max_length=20, choices=Status, default=Status.SCHEDULED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("消息投递")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.status}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    is_success = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("投递尝试")
        indexes = [models.Index(fields=["attempted_at"])]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.attempted_at}"


class DigestRun(models.Model):
    """Proof that the digest for one frequency and period was made (UNIQUE: made once)."""

    frequency = models.CharField(max_length=20)
    period_start = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("汇总批次")
        constraints = [
            models.UniqueConstraint(fields=["frequency", "period_start"], name="notify_digest_unique")
        ]

    def __str__(self) -> str:
        return f"{self.frequency} {self.period_start}"
