"""Checking an import before anything is written: every row against the file and the database.

`Plan` reads the company once, validates all rows (references to rows further down the file
included, loops in parents and managers, duplicates within the file and against other people)
and notes which existing rows would change. `importing.py` applies a plan without errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from . import spreadsheets
from .models import Company, Department, Position, User
from .spreadsheets import DEPARTMENTS, EMPLOYEES, POSITIONS, Sheet, SourceRow

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
STATUS_VALUES = {"在职": True, "启用": True, "停用": False, "已停用": False, "离职": False}


class Keep:
    """A column absent from the source: leave the stored value as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    field: str
    message: str


@dataclass
class DepartmentRow:
    source: SourceRow
    code: str
    name: str
    parent_code: str | None | Keep
    heads: list[str] | Keep
    sort_order: int | Keep
    existing: Department | None
    changed: bool = True


@dataclass
class PositionRow:
    source: SourceRow
    code: str
    name: str
    responsibilities: str | Keep
    existing: Position | None
    changed: bool = True


@dataclass
class EmployeeRow:
    source: SourceRow
    employee_no: str
    values: dict[str, Any]  # present columns only, already cleaned
    existing: User | None
    changed: bool = True


class Plan:
    """Reads the company once, checks every row and records what applying would change."""

    def __init__(self, actor: User, company: Company, rows: dict[str, list[SourceRow]]) -> None:
        self.actor, self.company = actor, company
        self.errors: list[RowError] = []
        self.departments_db = {d.code: d for d in Department.objects.filter(company=company)}
        self.code_of_department = {d.pk: d.code for d in self.departments_db.values()}
        self.positions_db = {p.code: p for p in Position.objects.filter(company=company)}
        self.people_db = {p.employee_no: p for p in User.objects.filter(company=company)
                          .prefetch_related("secondary_departments")}
        self.number_of_person = {p.pk: p.employee_no for p in self.people_db.values()}
        self.heads_db: dict[int, set[str]] = {}
        for department_id, user_id in Department.heads.through.objects.filter(
                department__company=company).values_list("department_id", "user_id"):
            self.heads_db.setdefault(department_id, set()).add(self.number_of_person.get(user_id, ""))
        self.departments = self._plan_departments(rows.get(DEPARTMENTS.kind, []))
        self.positions = self._plan_positions(rows.get(POSITIONS.kind, []))
        self.employees = self._plan_employees(rows.get(EMPLOYEES.kind, []))
        self._check_department_references()
        self._check_employee_references()

    # departments

    def _plan_departments(self, rows: list[SourceRow]) -> list[DepartmentRow]:
        planned: list[DepartmentRow] = []
        first_row: dict[str, int] = {}
        for row in rows:
            code = self._text(DEPARTMENTS, row, "code", required=True, max_length=40)
            name = self._text(DEPARTMENTS, row, "name", required=True, max_length=100)
            if not code or not name:
                continue
            if code in first_row:
                self._error(DEPARTMENTS, row, "code", _("编码“%(code)s”与第 %(row)d 行重复")
                            % {"code": code, "row": first_row[code]})
                continue
            first_row[code] = row.number
            parent_code: str | None | Keep = KEEP
            if "parent_code" in row.values:
                parent_code = text_of(row.values["parent_code"]) or None
            heads: list[str] | Keep = KEEP
            if "head_employee_nos" in row.values:
                heads = spreadsheets.split_list(row.values["head_employee_nos"])
            sort_order: int | Keep = KEEP
            if "sort_order" in row.values:
                sort_order = self._integer(DEPARTMENTS, row, "sort_order")
            existing = self.departments_db.get(code)
            planned.append(DepartmentRow(row, code, name, parent_code, heads, sort_order, existing))
        return planned

    def _check_department_references(self) -> None:
        file_codes = {row.code for row in self.departments}
        people = set(self.people_db) | {row.employee_no for row in self.employees}
        final_parent = {code: self.code_of_department.get(d.parent_id or 0)
                        for code, d in self.departments_db.items()}
        for row in self.departments:
            if (isinstance(row.parent_code, str) and row.parent_code not in file_codes
                    and row.parent_code not in self.departments_db):
                self._error(DEPARTMENTS, row.source, "parent_code", _("部门编码“%(code)s”不存在")
                            % {"code": row.parent_code})
                row.parent_code = KEEP
            for number in row.heads if isinstance(row.heads, list) else []:
                if number not in people:
                    self._error(DEPARTMENTS, row.source, "head_employee_nos",
                                _("工号“%(no)s”不存在") % {"no": number})
            if not isinstance(row.parent_code, Keep):
                final_parent[row.code] = row.parent_code
            elif row.existing is None:
                final_parent[row.code] = None
        for row in self.departments:
            if _in_loop(row.code, final_parent):
                self._error(DEPARTMENTS, row.source, "parent_code",
                            _("上级部门不能是自己或自己的下级部门（形成循环）"))
        for row in self.departments:
            if row.existing is not None:
                row.changed = (row.name != row.existing.name
                               or final_parent.get(row.code) != self.code_of_department.get(
                                   row.existing.parent_id or 0)
                               or (not isinstance(row.sort_order, Keep)
                                   and row.sort_order != row.existing.sort_order)
                               or (isinstance(row.heads, list)
                                   and set(row.heads) != self.heads_db.get(row.existing.pk, set())))

    # positions

    def _plan_positions(self, rows: list[SourceRow]) -> list[PositionRow]:
        planned: list[PositionRow] = []
        first_row: dict[str, int] = {}
        for row in rows:
            code = self._text(POSITIONS, row, "code", required=True, max_length=40)
            name = self._text(POSITIONS, row, "name", required=True, max_length=100)
            if not code or not name:
                continue
            if code in first_row:
                self._error(POSITIONS, row, "code", _("编码“%(code)s”与第 %(row)d 行重复")
                            % {"code": code, "row": first_row[code]})
                continue
            first_row[code] = row.number
            text: str | Keep = KEEP
            if "responsibilities" in row.values:
                text = text_of(row.values["responsibilities"])
            existing = self.positions_db.get(code)
            changed = existing is None or name != existing.name or (
                isinstance(text, str) and text != existing.responsibilities)
            planned.append(PositionRow(row, code, name, text, existing, changed))
        return planned

    # employees

    def _plan_employees(self, rows: list[SourceRow]) -> list[EmployeeRow]:
        planned: list[EmployeeRow] = []
        numbers = [text_of(row.values.get("employee_no")) for row in rows]
        taken_elsewhere = set(User.objects.filter(employee_no__in=numbers).exclude(
            company=self.company).values_list("employee_no", flat=True))
        first: dict[tuple[str, str], int] = {}
        for row in rows:
            number = self._text(EMPLOYEES, row, "employee_no", required=True, max_length=30)
            if not number:
                continue
            if ("employee_no", number) in first:
                self._error(EMPLOYEES, row, "employee_no", _("工号“%(no)s”与第 %(row)d 行重复")
                            % {"no": number, "row": first["employee_no", number]})
                continue
            first["employee_no", number] = row.number
            if number in taken_elsewhere:
                self._error(EMPLOYEES, row, "employee_no", _("工号“%(no)s”已被其他公司的员工使用")
                            % {"no": number})
                continue
            existing = self.people_db.get(number)
            values = self._employee_values(row, existing)
            for key in ("phone", "email"):
                value = values.get(key)
                if value:
                    if (key, value) in first:
                        self._error(EMPLOYEES, row, key, _("“%(value)s”与第 %(row)d 行重复")
                                    % {"value": value, "row": first[key, value]})
                    first[key, value] = row.number
            planned.append(EmployeeRow(row, number, values, existing))
        self._check_taken(planned, "phone", _("手机号“%(value)s”已被工号 %(no)s 使用"))
        self._check_taken(planned, "email", _("邮箱“%(value)s”已被工号 %(no)s 使用"))
        return planned

    def _employee_values(self, row: SourceRow, existing: User | None) -> dict[str, Any]:
        values: dict[str, Any] = {}
        present = row.values
        if "name" in present or existing is None:
            values["name"] = self._text(EMPLOYEES, row, "name", required=True, max_length=50)
        if "phone" in present:
            phone = text_of(present["phone"]).replace(" ", "").replace("-", "")
            if phone and not (phone.isdigit() and 6 <= len(phone) <= 20):
                self._error(EMPLOYEES, row, "phone", _("手机号只能包含数字（6–20 位）"))
            values["phone"] = phone or None
        if "email" in present:
            email = text_of(present["email"]).lower()
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    self._error(EMPLOYEES, row, "email", _("邮箱格式不正确"))
            values["email"] = email or None
        for key in ("department_code", "position_code", "manager_employee_no"):
            if key in present:
                values[key] = text_of(present[key]) or None
        if values.get("manager_employee_no") == text_of(present.get("employee_no")):
            self._error(EMPLOYEES, row, "manager_employee_no", _("直属上级不能是自己"))
        if "secondary_department_codes" in present:
            values["secondary_department_codes"] = spreadsheets.split_list(
                present["secondary_department_codes"])
        if "title" in present:
            values["title"] = self._text(EMPLOYEES, row, "title", max_length=50)
        if "hired_on" in present:
            values["hired_on"] = self._date(EMPLOYEES, row, "hired_on")
        if "is_active" in present:
            values["is_active"] = self._status(row, existing)
        return values

    def _check_taken(self, planned: list[EmployeeRow], key: str, message: str) -> None:
        wanted = {row.values[key]: row for row in planned if row.values.get(key)}
        holders = User.objects.filter(**{f"{key}__in": list(wanted)}).values_list(key, "employee_no")
        for value, number in holders:
            row = wanted.get(value.lower() if key == "email" else value)
            if row is not None and number != row.employee_no:
                self._error(EMPLOYEES, row.source, key, message % {"value": value, "no": number})

    def _check_employee_references(self) -> None:
        departments = set(self.departments_db) | {row.code for row in self.departments}
        positions = set(self.positions_db) | {row.code for row in self.positions}
        people = set(self.people_db) | {row.employee_no for row in self.employees}
        final_manager = {number: self.number_of_person.get(person.manager_id or 0)
                         for number, person in self.people_db.items()}
        for row in self.employees:
            values = row.values
            checks = [("department_code", [values.get("department_code")], departments, "部门编码"),
                      ("secondary_department_codes", values.get("secondary_department_codes", []),
                       departments, "部门编码"),
                      ("position_code", [values.get("position_code")], positions, "岗位编码"),
                      ("manager_employee_no", [values.get("manager_employee_no")], people, "工号")]
            for key, codes, known, label in checks:
                for code in codes:
                    if code and code not in known:
                        self._error(EMPLOYEES, row.source, key, _("%(label)s“%(code)s”不存在")
                                    % {"label": _(label), "code": code})
            if "manager_employee_no" in values:
                final_manager[row.employee_no] = values["manager_employee_no"]
            elif row.existing is None:
                final_manager[row.employee_no] = None
        for row in self.employees:
            if row.values.get("manager_employee_no") and _in_loop(row.employee_no, final_manager):
                self._error(EMPLOYEES, row.source, "manager_employee_no",
                            _("直属上级不能形成循环（不能是自己的下属）"))
            if row.existing is not None:
                row.changed = _employee_changed(row, self.code_of_department, self.positions_db,
                                                self.number_of_person)

    # cell helpers

    def _text(self, sheet: Sheet, row: SourceRow, key: str, *, required: bool = False,
              max_length: int = 0) -> str:
        value = text_of(row.values.get(key))
        if required and not value:
            self._error(sheet, row, key, _("请填写%(column)s") % {"column": _(sheet.column(key).header)})
        elif max_length and len(value) > max_length:
            self._error(sheet, row, key, _("不能超过 %(count)d 个字") % {"count": max_length})
        return value

    def _integer(self, sheet: Sheet, row: SourceRow, key: str) -> int:
        value = text_of(row.values.get(key))
        try:
            return int(value or 0)
        except ValueError:
            self._error(sheet, row, key, _("须为整数"))
            return 0

    def _date(self, sheet: Sheet, row: SourceRow, key: str) -> date | None:
        value = row.values.get(key)
        if isinstance(value, date):
            return value
        text = text_of(value)
        if not text:
            return None
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(text, pattern).date()  # noqa: DTZ007  (a date, no time)
            except ValueError:
                continue
        self._error(sheet, row, key, _("日期格式不正确，应为 2024-03-01"))
        return None

    def _status(self, row: SourceRow, existing: User | None) -> bool | None:
        value = row.values.get("is_active")
        if isinstance(value, bool):
            active: bool | None = value
        else:
            text = text_of(value)
            if not text:
                return None
            active = STATUS_VALUES.get(text)
            if active is None:
                self._error(EMPLOYEES, row, "is_active", _("状态只能是“在职”或“停用”"))
                return None
        if active is False and existing is not None and existing.pk == self.actor.pk:
            self._error(EMPLOYEES, row, "is_active", _("不能停用自己的账号"))
        return active

    def _error(self, sheet: Sheet, row: SourceRow, key: str, message: str) -> None:
        self.errors.append(RowError(_(sheet.title), row.number, _(sheet.column(key).header), key,
                                    message))



# --- helpers -------------------------------------------------------------------------------

def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _in_loop(start: str, parent_of: dict[str, str | None]) -> bool:
    """True when following parents from `start` comes back to `start` (not merely into a loop)."""
    seen = {start}
    current = parent_of.get(start)
    while current is not None:
        if current == start:
            return True
        if current in seen:
            return False
        seen.add(current)
        current = parent_of.get(current)
    return False


def _employee_changed(row: EmployeeRow, code_of_department: dict[int, str],
                      positions: dict[str, Position], number_of_person: dict[int, str]) -> bool:
    person = row.existing
    if person is None:
        return True
    current: dict[str, Any] = {
        "name": person.name, "phone": person.phone, "email": person.email, "title": person.title,
        "hired_on": person.hired_on, "is_active": person.is_active,
        "department_code": code_of_department.get(person.department_id or 0),
        "position_code": next((code for code, p in positions.items() if p.pk == person.position_id),
                              None),
        "manager_employee_no": number_of_person.get(person.manager_id or 0),
        "secondary_department_codes": sorted(code_of_department.get(d.pk, "")
                                             for d in person.secondary_departments.all()),
    }
    for key, value in row.values.items():
        if key == "is_active" and value is None:
            continue
        wanted = sorted(value) if key == "secondary_department_codes" else value
        if wanted != current[key]:
            return True
    return False
