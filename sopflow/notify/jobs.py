"""Background entry points of notify, registered with the scheduler: the delivery and digest
sweeps, the demo reminder rule, the reminder timer kind and the year-end calendar warning."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from sopflow.org.models import Company, RoleAssignment, User
from sopflow.org.queries import audience_member_ids
from sopflow.scheduling.models import Timer
from sopflow.scheduling.registry import (
    FiredTimer,
    RuleRun,
    register_rule_handler,
    register_sweep,
    register_timer_handler,
)
from sopflow.worktime.queries import year_missing_holiday_data

from .delivery import requeue_due_deliveries, send_due_digests
from .models import Notification
from .services import notify

CALENDAR_WARNING_KIND = "system.notice"


def send_reminder_rule(run: RuleRun) -> None:
    """Rule handler "notify.reminder": payload {"audience" | "user_ids", "title", "body", "link"}.

    An `audience` (departments, positions, people) is resolved again at every run.

    Idempotent per period: people already reminded by this rule today are skipped, so a re-run
    after a worker crash sends nothing twice.
    """
    company = Company.objects.get(pk=run.company_id)
    marker = f"rule:{run.rule_id}:{run.period_on}"
    already = set(Notification.objects.filter(
        kind="schedule.reminder", source=marker
    ).values_list("recipient_id", flat=True))
    audience = run.payload.get("audience")
    user_ids = (audience_member_ids(company, **audience) if isinstance(audience, dict)
                else run.payload.get("user_ids", []))
    people = User.objects.filter(pk__in=user_ids, company=company,
                                 is_active=True).exclude(pk__in=already)
    notify(recipients=list(people), kind="schedule.reminder",
           title=run.payload.get("title", "提醒"), body=run.payload.get("body", ""),
           link=run.payload.get("link", ""), company=company, source=marker,
           working_days_only=run.payload.get("days") == "working")


def fire_reminder_timer(timer: FiredTimer) -> None:
    """Timer kind "notify.reminder": payload {"user_ids", "title", "body", "link", "urgent",
    "series"}. When several reminders of one `series` are overdue at once (after an outage),
    only the latest is sent: the earlier ones are stale and would only be noise."""
    series = timer.payload.get("series")
    if series:
        newer_due = Timer.objects.filter(
            kind=timer.kind, payload__series=series, fired_at__isnull=True,
            cancelled_at__isnull=True, due_at__gt=timer.due_at, due_at__lte=timer.now,
        ).exists()
        if newer_due:
            return
    company = Company.objects.filter(pk=timer.company_id).first()
    people = User.objects.filter(pk__in=timer.payload.get("user_ids", []), is_active=True)
    notify(recipients=list(people), kind=timer.payload.get("kind", "workflow.task.reminder"),
           title=timer.payload.get("title", "提醒"), body=timer.payload.get("body", ""),
           link=timer.payload.get("link", ""), urgent=bool(timer.payload.get("urgent")),
           company=company, working_days_only=True)


def warn_missing_calendar(now: datetime) -> int:
    """From 1 December: tell HR and system admins once that next year has no holiday data."""
    year = year_missing_holiday_data(now=now)
    if year is None:
        return 0
    title = f"{year} 年的法定节假日尚未录入"
    if Notification.objects.filter(kind=CALENDAR_WARNING_KIND, title=title).exists():
        return 0
    admins = User.objects.filter(
        is_active=True,
        role_assignments__role__in=[RoleAssignment.Role.HR_ADMIN, RoleAssignment.Role.SYSTEM_ADMIN],
    ).distinct()
    with transaction.atomic():
        created = notify(
            recipients=list(admins), kind=CALENDAR_WARNING_KIND, title=title,
            body="chinese-calendar 还没有该年数据。请按国务院办公厅的放假通知，在“工作日历”中录入节假日和调休上班日，"
                 "否则截止时间和定时提醒会按普通周末计算。",
            link="/time/calendar/", urgent=True,
        )
    return len(created)


register_sweep("notify.deliveries", requeue_due_deliveries)
register_sweep("notify.digests", send_due_digests)
register_sweep("worktime.next_year_warning", warn_missing_calendar)
register_rule_handler("notify.reminder", send_reminder_rule)
register_timer_handler("notify.reminder", fire_reminder_timer)
