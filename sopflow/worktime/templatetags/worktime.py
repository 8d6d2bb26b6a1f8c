"""`{% load worktime %}{% due_marker task.due_at company %}`: the overdue / time-left badge.

Presentation only; the wording and arithmetic live in `sopflow.worktime.deadlines`.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sopflow.core.clock import clock
from sopflow.worktime.calendar import calendar_for
from sopflow.worktime.deadlines import DueLevel, due_status

register = template.Library()

_BADGE = {DueLevel.OVERDUE: "bg-red-lt", DueLevel.DUE_SOON: "bg-orange-lt",
          DueLevel.ON_TIME: "bg-secondary-lt"}


@register.simple_tag
def due_marker(due_at: datetime | None, company: object | None = None) -> SafeString | str:
    """A badge for `due_at` (nothing when there is no due time). `company` picks the working
    calendar; the calendar is memoised on the company object, so a list pays one load."""
    if due_at is None:
        return ""
    status = due_status(due_at=due_at, now=clock.now(), calendar=calendar_for(company))
    return format_html('<span class="badge {}" data-due="{}">{}</span>',
                       _BADGE[status.level], status.level.value, status.label)
