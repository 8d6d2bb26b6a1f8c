"""`manage.py sync_cn_calendar [--years 2025 2026]`: seed national holidays and 调休 from
chinese-calendar into the calendar table (idempotent; hand-entered rows are kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sopflow.core import request_context
from sopflow.core.clock import clock
from sopflow.worktime.services import sync_national_days


class Command(BaseCommand):
    help = "从 chinese-calendar 同步法定节假日与调休上班日（可重复执行）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--years", nargs="+", type=int, help="默认：今年和明年")

    def handle(self, *args: Any, **options: Any) -> None:
        this_year = clock.today_local().year
        years = options["years"] or [this_year, this_year + 1]
        with request_context.using(request_context.RequestContext(channel="system")):
            results = sync_national_days(years=years)
        for result in results:
            if not result.available:
                self.stdout.write(self.style.WARNING(
                    f"{result.year}: chinese-calendar 没有该年数据，请在“工作日历”页面按国务院通知手工录入。"))
            else:
                self.stdout.write(
                    f"{result.year}: 新增 {result.created}，更新 {result.updated}，删除 {result.removed}")
