"""Ports the engine asks questions through: the org directory and the working-time calendar.

The Django side implements both (`sopflow/org/`); tests use `testing.FakeDirectory`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class Directory(Protocol):
    """Read-only org questions. Unknown ids answer None / empty, never raise."""

    def name_of(self, user_id: int) -> str:
        """Display name, used in messages such as "该审批已被王芳处理"."""
        ...

    def is_active(self, user_id: int) -> bool:
        """False for disabled accounts: they never receive tasks."""
        ...

    def manager_of(self, user_id: int, level: int = 1) -> int | None:
        """The `level`-th manager up the reporting line (1 = direct manager)."""
        ...

    def department_of(self, user_id: int) -> int | None:
        """The user's main department."""
        ...

    def department_ancestors(self, department_id: int) -> list[int]:
        """Parent departments, nearest first, not including the department itself."""
        ...

    def department_name(self, department_id: int) -> str: ...

    def heads_of(self, department_id: int) -> list[int]:
        """The department's heads (负责人), in a stable order."""
        ...

    def company_of(self, user_id: int) -> int | None: ...

    def holders_of_role(self, role: str, *, company_id: int | None,
                        department_id: int | None) -> list[int]:
        """Holders of `role`; narrowed to a company and/or to assignments covering a department."""
        ...

    def holders_of_position(self, position_id: int) -> list[int]: ...

    def roles_of(self, user_id: int) -> set[str]: ...

    def position_of(self, user_id: int) -> int | None: ...

    def process_admins(self) -> list[int]:
        """Who receives tasks nobody else can take, and who may run admin commands."""
        ...


class WorkCalendar(Protocol):
    """Adds working time to a moment (skipping weekends and holidays, counting make-up days).

    `days` may be fractional (half of 3 working days for an urgent item); `add_working_hours`
    is only asked for `deadline.working_hours`.
    """

    def add_working_days(self, start: datetime, days: float) -> datetime: ...

    def add_working_hours(self, start: datetime, hours: float) -> datetime: ...


class CalendarDays:
    """Fallback calendar where every day and hour is working time (for tests and simple setups)."""

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return start + timedelta(days=days)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return start + timedelta(hours=hours)


CALENDAR_DAYS = CalendarDays()
