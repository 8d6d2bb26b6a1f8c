"""Builders for schema tests: plain dicts in, parsed schemas out; defaults for everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sopflow.form_templates.schema.fields import Json, Schema

TODAY = date(2026, 9, 1)


def field(key: str, type_: str, label: str = "", **settings: Json) -> dict[str, Json]:
    return {"key": key, "type": type_, "label": label or key, **settings}


def schema(*fields: dict[str, Json]) -> Schema:
    return Schema.from_dict({"fields": list(fields)})


@dataclass(frozen=True, slots=True)
class StatutoryCalendar:
    """2026 National Day: 10-01..10-07 off, Saturday 10-10 a make-up working day (调休)."""

    holidays: frozenset[date] = frozenset(date(2026, 10, 1) + timedelta(days=n) for n in range(7))
    extra_working_days: frozenset[date] = frozenset({date(2026, 10, 10)})

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays


def expense_claim(*extra: dict[str, Json]) -> Schema:
    """S1 费用报销: type, 明细 (item, amount) with a total, the computed total, an invoice."""
    return schema(
        field("f_type", "single_choice", "类型", required=True,
              options=[{"value": "差旅", "label": "差旅"}, {"value": "办公", "label": "办公"}]),
        field("f_items", "table", "明细", required=True, totals=["f_amount"], columns=[
            field("f_item", "text", "项目", required=True),
            field("f_amount", "money", "金额", required=True, min="0.01"),
        ]),
        field("f_total", "formula", "合计", expression="SUM(f_items.f_amount)", result="money"),
        field("f_invoice", "attachment", "电子发票", required=True, accept=["pdf"], max_files=3,
              max_size_mb=10),
        *extra,
    )


def expense_values() -> dict[str, Json]:
    return {
        "f_type": "差旅",
        "f_items": [{"f_item": "交通", "f_amount": "1,200.00"},
                    {"f_item": "住宿", "f_amount": "2000"}],
        "f_invoice": [41],
    }


def leave_request() -> Schema:
    """S3 请假: a date range; working days come from the calendar."""
    return schema(field("f_period", "date_range", "请假时间", required=True))


def daily_report() -> Schema:
    """S4 出差日报: 客户需求 needs at least 100 characters."""
    return schema(
        field("f_talk", "textarea", "客户沟通内容", required=True),
        field("f_need", "textarea", "客户需求", required=True, min_length=100),
    )
