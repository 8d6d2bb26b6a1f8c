"""Rows that make time-driven work reliable: timers, scheduled rules with their fired rows, and
job runs (retry bookkeeping for background jobs).

Nothing here runs code; `services.py` claims and fires these rows, `jobs.py` executes job runs.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


class Timer(models.Model):
    """Something to do at `due_at` (a deadline, a reminder), handled by the handler for `kind`.

    Claimed with a conditional UPDATE on `fired_at`, so it fires once in effect however many
    sweepers run. `run_at` is when the next try may happen: `due_at` at first, later after a
    handler failure pushed it back. `due_at` itself never moves, so handlers can tell how stale
    a timer is (`now - due_at`).
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)  # "app_label.model"
    target_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    company = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due_at = models.DateTimeField()
    run_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("定时器")
        indexes = [
            models.Index(
                fields=["run_at"],
                name="scheduling_timer_pending_idx",
                condition=Q(fired_at__isnull=True, cancelled_at__isnull=True, failed_at__isnull=True),
            ),
            models.Index(fields=["due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} @ {self.due_at:%Y-%m-%d %H:%M}"


class ScheduleRule(TimeStampedModel):
    """A per-company daily job: at `time_of_day` (company time zone), every day or working days
    only, run the rule handler `handler` with `payload` (e.g. the 19:00 daily-report reminder)."""

    class Days(models.TextChoices):
        WORKING = "working", _("仅工作日")
        EVERY_DAY = "every_day", _("每天")

    company = models.ForeignKey("org.Company", on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=100)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    time_of_day = models.TimeField(_("时间"))
    days = models.CharField(_("日期"), max_length=20, choices=Days, default=Days.WORKING)
    handler = models.CharField(_("处理类型"), max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    catch_up_minutes = models.PositiveIntegerField(
        _("补发时限（分钟）"), default=120,
        help_text=_("调度器停机后，超过这个时长的当天任务不再补发"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["company_id", "time_of_day", "pk"]
        verbose_name = _("定时规则")
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="scheduling_rule_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.key} {self.time_of_day:%H:%M}"


class ScheduleFire(models.Model):
    """The proof that `rule` fired for `period_on`; the UNIQUE pair stops a second scheduler."""

    rule = models.ForeignKey(ScheduleRule, on_delete=models.CASCADE, related_name="fires")
    period_on = models.DateField()
    fired_at = models.DateTimeField()
    job_run = models.ForeignKey("JobRun", null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-period_on", "pk"]
        verbose_name = _("定时规则触发记录")
        constraints = [
            models.UniqueConstraint(fields=["rule", "period_on"], name="scheduling_fire_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} @ {self.period_on}"


class JobRun(models.Model):
    """One background job with its retries: queued → running → succeeded, or → retrying (with
    `next_attempt_at`) → … → failed after the last try, when admins see it on the jobs page."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("执行中")
        RETRYING = "retrying", _("等待重试")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    name = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict, blank=True)
    company = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("后台任务")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} {self.status}"
