"""Working-day calendar rows: per-company settings and the day table (national + company days).

The day table is the single source of truth at runtime; `chinese-calendar` is only read by
`manage.py sync_cn_calendar`. Arithmetic over these rows lives in `calendar.py`.
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sopflow.core.models import TimeStampedModel


def default_working_periods() -> list[list[str]]:
    return [["09:00", "12:00"], ["13:30", "18:00"]]


def default_weekend_days() -> list[int]:
    return [5, 6]  # Saturday, Sunday (Monday is 0)


class WorkCalendar(TimeStampedModel):
    """A company's time settings: time zone, working hours, weekend days and quiet hours.

    A company without a row uses the defaults (Asia/Shanghai, 09:00–12:00 + 13:30–18:00,
    Saturday/Sunday off, quiet 22:00–08:00).
    """

    company = models.OneToOneField(
        "org.Company", on_delete=models.CASCADE, related_name="work_calendar"
    )
    timezone = models.CharField(_("时区"), max_length=50, default="Asia/Shanghai")
    working_periods = models.JSONField(_("工作时段"), default=default_working_periods)
    weekend_days = models.JSONField(_("休息日（周几）"), default=default_weekend_days)
    quiet_start = models.TimeField(_("免打扰开始"), default=time(22, 0))
    quiet_end = models.TimeField(_("免打扰结束"), default=time(8, 0))

    class Meta:
        verbose_name = _("工作日历设置")

    def __str__(self) -> str:
        return f"{self.company} · {self.timezone}"


class CalendarDay(models.Model):
    """One exception to the weekly pattern: a day off (holiday) or a make-up working day (调休).

    `company` null means a national (statutory) day; a company row for the same date wins.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("休息日")
        MAKEUP_WORKDAY = "makeup_workday", _("调休上班")

    class Source(models.TextChoices):
        CHINESE_CALENDAR = "chinese-calendar", "chinese-calendar"
        MANUAL = "manual", _("手工录入")

    company = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_days"
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source, default=Source.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("日历日")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "date"],
                condition=Q(company__isnull=False),
                name="worktime_day_company_unique",
            ),
            models.UniqueConstraint(
                fields=["date"], condition=Q(company__isnull=True), name="worktime_day_national_unique"
            ),
        ]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
