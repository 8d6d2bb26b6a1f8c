"""Builders for calendar rows in tests."""

from __future__ import annotations

from sopflow.worktime.services import sync_national_days


def seed_national_2026() -> None:
    """The real 2026 statutory days (国庆 10-01..10-07, 调休 09-20 and 10-10, …)."""
    sync_national_days(years=[2026])
