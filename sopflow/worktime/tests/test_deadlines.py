"""The overdue / time-left marker: clock hours after the due time, working hours before it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from sopflow.core.clock import clock
from sopflow.worktime.calendar import CompanyCalendar, calendar_for
from sopflow.worktime.deadlines import DueLevel, DueStatus, due_status, working_hours_between
from sopflow.worktime.tests.builders import seed_national_2026

SH = ZoneInfo("Asia/Shanghai")
PLAIN = CompanyCalendar()  # 09:00–12:00, 13:30–18:00, Saturday/Sunday off, no holidays


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.mark.parametrize(("case", "now", "due", "expected"), [
    ("exactly at the due time", "2026-03-02 10:00", "2026-03-02 10:00",
     DueStatus(DueLevel.OVERDUE, 0, "已超时 不到 1 小时")),
    ("59 minutes late", "2026-03-02 10:59", "2026-03-02 10:00",
     DueStatus(DueLevel.OVERDUE, 0, "已超时 不到 1 小时")),
    ("late over night counts clock hours", "2026-03-03 09:30", "2026-03-02 17:00",
     DueStatus(DueLevel.OVERDUE, 16, "已超时 16 小时")),
    ("a minute left", "2026-03-02 09:59", "2026-03-02 10:00",
     DueStatus(DueLevel.DUE_SOON, 0, "剩余 不到 1 工作小时")),
    ("lunch break does not count", "2026-03-02 11:00", "2026-03-02 15:30",
     DueStatus(DueLevel.DUE_SOON, 3, "剩余 3 工作小时")),
    ("exactly four working hours is still soon", "2026-03-02 09:00", "2026-03-02 14:30",
     DueStatus(DueLevel.DUE_SOON, 4, "剩余 4 工作小时")),
    ("weekend does not count", "2026-03-06 17:00", "2026-03-09 17:00",
     DueStatus(DueLevel.ON_TIME, 7, "剩余 7 工作小时")),
    ("two full working days", "2026-03-02 09:00", "2026-03-04 09:00",
     DueStatus(DueLevel.ON_TIME, 15, "剩余 15 工作小时")),
    ("due in the evening counts to 18:00", "2026-03-02 17:00", "2026-03-02 20:00",
     DueStatus(DueLevel.DUE_SOON, 1, "剩余 1 工作小时")),
])
def test_marker_on_plain_calendar(case: str, now: str, due: str, expected: DueStatus) -> None:
    assert due_status(due_at=at(due), now=at(now), calendar=PLAIN) == expected


def test_national_day_holiday_leaves_only_working_hours(db: None) -> None:
    seed_national_2026()
    calendar = calendar_for(None)

    status = due_status(due_at=at("2026-10-08 10:00"), now=at("2026-09-30 17:00"),
                        calendar=calendar)

    # 09-30 17:00–18:00, then 10-01..10-07 off (10-03/04 a weekend), then 10-08 09:00–10:00.
    assert status == DueStatus(DueLevel.DUE_SOON, 2, "剩余 2 工作小时")


def test_working_hours_between_is_zero_for_an_empty_or_reversed_range() -> None:
    moment = at("2026-03-02 10:00")

    assert working_hours_between(PLAIN, moment, moment).total_seconds() == 0
    assert working_hours_between(PLAIN, moment, at("2026-03-02 09:00")).total_seconds() == 0


def test_template_tag_renders_a_badge_with_the_clock(db: None) -> None:
    template = Template("{% load worktime %}{% due_marker due %}|{% due_marker none %}")

    with clock.frozen(at("2026-03-02 13:00")):
        html = template.render(Context({"due": at("2026-03-02 10:00"), "none": None}))

    assert html == '<span class="badge bg-red-lt" data-due="overdue">已超时 3 小时</span>|'
