"""The engine's `Directory` port answered from the org tables, for one company.

Built fresh for each command (answers are memoised for that command only, so one transaction
sees a consistent org and repeated questions cost no extra queries). People and departments are
read with prepared statements (`core.sql`, decision 0010): every approval asks about them, and
`prefetch` reads everyone a command is likely to ask about in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from sopflow.core.sql import Table, cursor
from sopflow.org.models import Department, RoleAssignment, User
from sopflow.org.queries import holders_of_role as org_holders_of_role

_USERS = Table(User)
# What the engine, the notices and their e-mails read of a person (others load on access).
_USER_COLUMNS = ("id", "employee_no", "name", "email", "company_id", "department_id",
                 "position_id", "manager_id", "is_active", "language")
_DEPARTMENTS = Table(Department)
_HEADS = Department.heads.through._meta.db_table

if TYPE_CHECKING:
    from sopflow.worktime.calendar import CompanyCalendar


class OrgDirectory:
    """Org look-ups scoped to `company_id` (process admins come from that company)."""

    def __init__(self, company_id: int | None) -> None:
        self.company_id = company_id
        self._users: dict[int, User | None] = {}
        self._departments: dict[int, Department | None] = {}
        self._heads: dict[int, list[int]] = {}

    def prime(self, users: list[User]) -> None:
        """Seed the memo with already-loaded users (saves a query per known person)."""
        for user in users:
            self._users[user.pk] = user

    def prefetch(self, user_ids: set[int] | list[int] | frozenset[int],
                 department_ids: list[int] | tuple[int, ...] = ()) -> None:
        """Read, in one statement, the people a command will probably ask about (the initiator,
        the flow's named approvers) and departments with their heads (the initiator's), before
        the engine asks one at a time."""
        self._read(user_ids, department_ids)

    def user(self, user_id: int) -> User | None:
        if user_id not in self._users:
            self._read([user_id], ())
        return self._users[user_id]

    def users(self, user_ids: set[int] | list[int] | frozenset[int]) -> dict[int, User]:
        """The users that exist among `user_ids`, reading only the ones not memoised yet (one
        query for all of them)."""
        self._read(user_ids, ())
        return {pk: user for pk in user_ids if (user := self._users.get(pk)) is not None}

    def department(self, department_id: int) -> Department | None:
        """The department, with its heads and their user rows read in the same statement (a
        department is asked about for its head far more often than for anything else)."""
        if department_id not in self._departments:
            self._read((), [department_id])
        return self._departments[department_id]

    def _read(self, user_ids: Iterable[int], department_ids: Iterable[int]) -> None:
        users = sorted({pk for pk in user_ids if pk not in self._users})
        departments = sorted({pk for pk in department_ids if pk not in self._departments})
        if not users and not departments:
            return
        heads: dict[int, list[int]] = {pk: [] for pk in departments}
        with cursor() as c:
            c.execute(_SQL.read(len(users), len(departments)), [*users, *departments])
            for row in c.fetchall():
                user = (_USERS.load(row[:_USER_WIDTH], _USER_COLUMNS)
                        if row[0] is not None else None)
                if user is not None:
                    self._users.setdefault(user.pk, user)
                if row[_USER_WIDTH] is None:
                    continue  # a person asked for by id
                department_id = row[_USER_WIDTH]
                if department_id not in self._departments:
                    self._departments[department_id] = _DEPARTMENTS.load(row[_USER_WIDTH:])
                if user is not None:
                    heads[department_id].append(user.pk)
        for pk in users:
            self._users.setdefault(pk, None)
        for pk in departments:
            self._departments.setdefault(pk, None)
            if self._departments[pk] is not None:
                self._heads[pk] = sorted(heads[pk])

    # --- Directory protocol ---------------------------------------------------------------------

    def name_of(self, user_id: int) -> str:
        user = self.user(user_id)
        return user.name if user is not None else f"用户{user_id}"

    def is_active(self, user_id: int) -> bool:
        user = self.user(user_id)
        return user is not None and user.is_active

    def manager_of(self, user_id: int, level: int = 1) -> int | None:
        current: int | None = user_id
        seen: set[int] = set()
        for _ in range(level):
            user = self.user(current) if current is not None else None
            if user is None or current in seen:
                return None
            seen.add(user.pk)
            current = user.manager_id
        return current

    def department_of(self, user_id: int) -> int | None:
        user = self.user(user_id)
        return user.department_id if user is not None else None

    def department_ancestors(self, department_id: int) -> list[int]:
        found: list[int] = []
        department = self.department(department_id)
        while department is not None and department.parent_id is not None:
            if department.parent_id in found or department.parent_id == department_id:
                break
            found.append(department.parent_id)
            department = self.department(department.parent_id)
        return found

    def department_name(self, department_id: int) -> str:
        department = self.department(department_id)
        return department.name if department is not None else f"部门{department_id}"

    def heads_of(self, department_id: int) -> list[int]:
        if department_id not in self._heads:
            self.department(department_id)
            self._heads.setdefault(department_id, [])
        return self._heads[department_id]

    def company_of(self, user_id: int) -> int | None:
        user = self.user(user_id)
        return user.company_id if user is not None else None

    def holders_of_role(self, role: str, *, company_id: int | None,
                        department_id: int | None) -> list[int]:
        departments = None
        if department_id is not None:
            departments = [department_id, *self.department_ancestors(department_id)]
        return sorted(org_holders_of_role(role, company_id=company_id,
                                          department_ids=departments)
                      .values_list("pk", flat=True))

    def holders_of_position(self, position_id: int) -> list[int]:
        return sorted(User.objects.filter(position_id=position_id, is_active=True)
                      .values_list("pk", flat=True))

    def roles_of(self, user_id: int) -> set[str]:
        roles = set(RoleAssignment.objects.filter(user_id=user_id)
                    .values_list("role", flat=True))
        if Department.heads.through.objects.filter(user_id=user_id).exists():
            roles.add("department_head")
        return roles

    def position_of(self, user_id: int) -> int | None:
        user = self.user(user_id)
        return user.position_id if user is not None else None

    def process_admins(self) -> list[int]:
        return self._process_admins

    @cached_property
    def _process_admins(self) -> list[int]:
        grants = RoleAssignment.objects.filter(role=RoleAssignment.Role.PROCESS_ADMIN)
        if self.company_id is not None:
            grants = grants.filter(company_id=self.company_id) | grants.filter(
                company__isnull=True)
        return sorted(User.objects.filter(pk__in=grants.values("user_id"), is_active=True)
                      .values_list("pk", flat=True))


class CompanyWorkCalendar:
    """The engine's `WorkCalendar` port over the company calendar (statutory holidays, 调休
    make-up days and the company's own days, from the worktime tables). Loaded on first use, so
    commands that open no task with a working-time deadline pay no query."""

    def __init__(self, company_id: int | None) -> None:
        self.company_id = company_id

    @cached_property
    def calendar(self) -> CompanyCalendar:
        from sopflow.org.models import Company
        from sopflow.worktime.calendar import calendar_for

        return calendar_for(Company(pk=self.company_id) if self.company_id else None)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        from sopflow.worktime.calendar import DurationUnit, WorkDuration

        # Whole days keep the time of day; half days go through the company's working hours.
        return WorkDuration(Decimal(str(days)), DurationUnit.WORKING_DAYS).after(
            start, self.calendar)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.calendar.add_working_hours(start, hours)

    def local_date(self, moment: datetime) -> date:
        return self.calendar.local(moment).date()


_USER_WIDTH = len(_USER_COLUMNS)


class _Statements:
    """The directory's prepared read: people by id, and departments with their heads, in one
    statement (UNION ALL; a row is a person, a department's head with the department, or a
    department without heads)."""

    def __init__(self) -> None:
        self._texts: dict[tuple[int, int], str] = {}

    def read(self, users: int, departments: int) -> str:
        sql = self._texts.get((users, departments))
        if sql is None:
            user_table, department_table = _USERS.q(_USERS.name), _DEPARTMENTS.q(_DEPARTMENTS.name)
            parts = []
            if users:
                blank = ", ".join(["NULL"] * len(_DEPARTMENTS.fields))
                parts.append(f"SELECT {_USERS.columns('u', _USER_COLUMNS)}, {blank} "
                             f"FROM {user_table} u "
                             f"WHERE u.id IN ({', '.join(['%s'] * users)})")
            if departments:
                parts.append(f"SELECT {_USERS.columns('u', _USER_COLUMNS)}, "
                             f"{_DEPARTMENTS.columns('d')} FROM {department_table} d "
                             f"LEFT JOIN {_HEADS} h ON h.department_id = d.id "
                             f"LEFT JOIN {user_table} u ON u.id = h.user_id "
                             f"WHERE d.id IN ({', '.join(['%s'] * departments)})")
            sql = self._texts[(users, departments)] = " UNION ALL ".join(parts)
        return sql


_SQL = _Statements()
