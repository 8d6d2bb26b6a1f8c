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


def build_user(
    company: Company | None = None, *, password: str = TEST_PASSWORD, **overrides: Any
) -> User:
    n = next(_numbers)
    company = company if company is not None else build_company()
    values: dict[str, Any] = {
        "employee_no": f"T{n:04d}",
        "name": f"员工{n}",
        "company": company,
    } | overrides
    return User.objects.create_user(password=password, **values)


def grant(
    user: User, role: str, company: Company | None = None, department: Department | None = None
) -> RoleAssignment:
    return RoleAssignment.objects.create(
        user=user, role=role, company=company, department=department
    )


DEPARTMENT_HEADER = ["编码", "名称", "上级部门编码", "负责人工号", "排序"]
POSITION_HEADER = ["编码", "名称", "岗位职责"]
EMPLOYEE_HEADER = ["工号", "姓名", "手机号", "邮箱", "主部门编码", "兼职部门编码", "岗位编码",
                   "直属上级工号", "职务", "入职日期", "状态"]


def build_workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An .xlsx in the import format: {"部门": [row, ...], ...}, header rows added."""
    import io

    import openpyxl

    headers = {"部门": DEPARTMENT_HEADER, "岗位": POSITION_HEADER, "员工": EMPLOYEE_HEADER}
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        worksheet.append(headers[title])
        for row in rows:
            worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def employee_row(employee_no: str, name: str, **overrides: Any) -> list[Any]:
    """One 员工 row in column order; keyword names follow the column keys."""
    values: dict[str, Any] = {"phone": "", "email": "", "department_code": "",
                              "secondary_department_codes": "", "position_code": "",
                              "manager_employee_no": "", "title": "", "hired_on": "",
                              "is_active": "在职"} | overrides
    return [employee_no, name, values["phone"], values["email"], values["department_code"],
            values["secondary_department_codes"], values["position_code"],
            values["manager_employee_no"], values["title"], values["hired_on"], values["is_active"]]
