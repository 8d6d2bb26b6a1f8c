"""Plain builders for org rows in tests. Defaults for everything; override what matters."""

from __future__ import annotations

import itertools
from typing import Any

from sopflow.org.models import Company, Department, Position, RoleAssignment, User

_numbers = itertools.count(1)
TEST_PASSWORD = "correct-horse-42"


def build_company(**overrides: Any) -> Company:
    n = next(_numbers)
    values: dict[str, Any] = {"name": f"测试公司{n}", "code": f"co{n}"} | overrides
    return Company.objects.create(**values)


def build_department(company: Company | None = None, **overrides: Any) -> Department:
    n = next(_numbers)
    company = company or build_company()
    values: dict[str, Any] = {"company": company, "name": f"部门{n}", "code": f"d{n}"} | overrides
    heads = values.pop("heads", None)
    department = Department.objects.create(**values)
    if heads:
        department.heads.set(heads)
    return department


def build_position(company: Company | None = None, **overrides: Any) -> Position:
    n = next(_numbers)
    company = company or build_company()
    values: dict[str, Any] = {"company": company, "name": f"岗位{n}", "code": f"p{n}"} | overrides
    return Position.objects.create(**values)


def build_user(company: Company | None = None, *, password: str = TEST_PASSWORD, **overrides: Any) -> User:
    n = next(_numbers)
    company = company if company is not None else build_company()
    values: dict[str, Any] = {"employee_no": f"T{n:04d}", "name": f"员工{n}", "company": company} | overrides
    return User.objects.create_user(password=password, **values)


def grant(user: User, role: str, company: Company | None = None,
          department: Department | None = None) -> RoleAssignment:
    return RoleAssignment.objects.create(user=user, role=role, company=company, department=department)
