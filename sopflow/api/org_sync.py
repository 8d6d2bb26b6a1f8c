"""Bulk upsert of employees by employee number, for syncing from an HR or attendance system.

All or nothing: if any row is bad, nothing is written and the answer lists every bad row.
Fields left out of a row keep their stored value; `null` clears an optional value.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from ninja import Router, Schema
from pydantic import Field

from sopflow.core.errors import NotFound, ValidationFailed
from sopflow.org import access, importing
from sopflow.org.models import Company, User

router = Router(tags=["org"])


class EmployeeSyncIn(Schema):
    employee_no: str = Field(max_length=30, description="工号（按工号新增或更新）")
    name: str | None = Field(None, max_length=50, description="姓名（新员工必填）")
    phone: str | None = Field(None, max_length=20)
    email: str | None = None
    department_code: str | None = Field(None, description="主部门编码")
    secondary_department_codes: list[str] | None = Field(None, description="兼职部门编码")
    position_code: str | None = Field(None, description="岗位编码")
    manager_employee_no: str | None = Field(None, description="直属上级工号")
    title: str | None = Field(None, max_length=50, description="职务")
    hired_on: date | None = Field(None, description="入职日期")
    is_active: bool | None = Field(None, description="false 表示停用（离职）")


class SyncCountsOut(Schema):
    created: int
    updated: int
    unchanged: int


@router.post("/employees", response=SyncCountsOut, summary="按工号批量同步员工")
def sync_employees(request: HttpRequest, employees: list[EmployeeSyncIn],
                   company_id: int | None = None) -> SyncCountsOut:
    """Create or update employees of `company_id` (default: the caller's company).

    Only HR admins and system admins of that company. On any bad row answers 422 with
    `details`: one `{"row", "field", "message"}` per problem, rows counted from 1.
    """
    actor: User = request.auth  # type: ignore[attr-defined]  # set by api_auth
    company = _company(actor, company_id)
    rows = [employee.model_dump(exclude_unset=True) for employee in employees]
    for row in rows:
        if row.get("secondary_department_codes", "") is None:
            row["secondary_department_codes"] = []
    report = importing.upsert_employees(actor=actor, company=company, rows=rows)
    if report.errors:
        details: list[dict[str, object]] = [
            {"row": error.row, "field": error.field, "message": error.message}
            for error in report.errors]
        raise ValidationFailed(ngettext("数据有误，未做任何修改（共 %(count)s 处错误）", "数据有误，未做任何修改（共 %(count)s 处错误）", len(details)) % {"count": len(details)}, details=details)
    counts = report.employees
    return SyncCountsOut(created=counts.created, updated=counts.updated, unchanged=counts.unchanged)


def _company(actor: User, company_id: int | None) -> Company:
    if company_id is not None:
        return access.get_company_for(actor, company_id, "manage")
    if actor.company_id is None:
        raise NotFound(gettext("请用 company_id 指明要同步的公司"))
    return access.get_company_for(actor, actor.company_id, "manage")
