"""Import and export of the organisation (departments, positions, employees). No HTTP here.

`import_file` and `upsert_employees` first validate every row against the file itself and the
database. If any row is bad they return the errors and write nothing; otherwise every row is
applied in one transaction through `services` (create or update by code / employee number,
never delete), plus one `org.import.applied` audit row. The file format is in `spreadsheets.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from sopflow.audit.services import record
from sopflow.core.errors import DomainError, Forbidden

from . import access, services, spreadsheets
from .import_plan import KEEP, DepartmentRow, EmployeeRow, Keep, Plan, RowError
from .models import Company, Department, Position, User
from .queries import department_tree, flatten_tree
from .spreadsheets import DEPARTMENTS, EMPLOYEES, POSITIONS, Sheet, SourceRow

# Service error fields → the import column they come from.
SERVICE_FIELDS = {"department": "department_code", "position": "position_code",
                  "manager": "manager_employee_no", "secondary_departments": "secondary_department_codes",
                  "parent": "parent_code", "heads": "head_employee_nos"}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    """Either `errors` (and nothing was written) or the counts of what was applied."""

    errors: list[RowError] = field(default_factory=list)
    departments: Counts = field(default_factory=Counts)
    positions: Counts = field(default_factory=Counts)
    employees: Counts = field(default_factory=Counts)

    @property
    def is_applied(self) -> bool:
        return not self.errors


def import_file(*, actor: User, company: Company, data: bytes, kind: str = "employees") -> ImportReport:
    """Import an uploaded .xlsx (all sheets) or CSV (`kind`: employees, departments, positions).

    Raises Forbidden unless the actor manages the company's org, and ValidationFailed (field
    "file") when the file is not a readable spreadsheet. Row problems come back in the report.
    """
    _require_manage(actor, company)
    parsed = spreadsheets.read_upload(data, kind=kind)
    if parsed.header_errors:
        return ImportReport(errors=[RowError(sheet, 1, column, "", message)
                                    for sheet, column, message in parsed.header_errors])
    return _run(actor, company, parsed.rows, source="file")


def upsert_employees(*, actor: User, company: Company, rows: list[dict[str, Any]]) -> ImportReport:
    """Create or update employees by employee number (the API's bulk sync). All or nothing.

    Row dicts use the EMPLOYEES column keys; a key that is absent leaves that value unchanged.
    Row numbers in the report count from 1. Raises Forbidden like `import_file`.
    """
    _require_manage(actor, company)
    source = [SourceRow(number, dict(row)) for number, row in enumerate(rows, start=1)]
    return _run(actor, company, {EMPLOYEES.kind: source}, source="api")


def export_workbook(*, actor: User, company: Company) -> bytes:
    """The company's departments, positions and employees in the import format (.xlsx).

    Disabled employees are included with status 停用. Records `org.export.downloaded`.
    """
    rows = _export_rows(actor, company, format_="xlsx")
    return spreadsheets.write_workbook(rows)


def export_employees_csv(*, actor: User, company: Company) -> bytes:
    """The 员工 sheet as CSV (UTF-8 with BOM). Records `org.export.downloaded`."""
    rows = _export_rows(actor, company, format_="csv")
    return spreadsheets.write_csv(EMPLOYEES, rows[EMPLOYEES.kind])


def template_workbook() -> bytes:
    """The empty import template with one consistent set of example rows."""
    return spreadsheets.write_workbook({
        DEPARTMENTS.kind: [("gm", "总经办", "", "E001", 10), ("sales", "销售部", "", "", 20),
                           ("sales-north", "华北组", "sales", "E002", 30)],
        POSITIONS.kind: [("ceo", "总经理", "公司经营管理，审批重大事项。"),
                         ("sales-rep", "销售专员", "客户拜访与商机跟进。")],
        EMPLOYEES.kind: [
            ("E001", "陈建国", "13800000001", "chen@example.cn", "gm", "", "ceo", "", "总经理",
             date(2022, 3, 1), spreadsheets.STATUS_ACTIVE),
            ("E002", "朱明", "13800000002", "", "sales-north", "sales", "sales-rep", "E001",
             "华北组组长", date(2023, 7, 1), spreadsheets.STATUS_ACTIVE),
        ],
    }, title_note="第 3 行起是示例数据，请替换为贵公司的真实数据后再导入。")


# --- applying ------------------------------------------------------------------------------

class _ApplyFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


def _run(actor: User, company: Company, rows: dict[str, list[SourceRow]], *, source: str) -> ImportReport:
    plan = Plan(actor, company, rows)
    if plan.errors:
        return ImportReport(errors=sorted(plan.errors, key=_error_order))
    try:
        with transaction.atomic():
            report = _apply(plan)
            record(actor=actor, action="org.import.applied", obj=company, changes={
                "source": source, "departments": asdict(report.departments),
                "positions": asdict(report.positions), "employees": asdict(report.employees)})
    except _ApplyFailed as failure:
        return ImportReport(errors=[failure.error])
    return report


def _apply(plan: Plan) -> ImportReport:
    """Departments (parents first), then positions, then employees (managers first), then the
    heads who were only created by this import. Runs inside the caller's transaction."""
    report = ImportReport()
    departments = dict(plan.departments_db)
    people = dict(plan.people_db)
    deferred_heads = _apply_departments(plan, departments, people, report.departments)
    positions = _apply_positions(plan, report.positions)
    ordered = _parents_first(plan.employees, lambda r: r.employee_no,
                             lambda r: r.values.get("manager_employee_no", KEEP))
    for employee_row in ordered:
        with _row_errors(EMPLOYEES, employee_row.source):
            people[employee_row.employee_no] = _apply_employee(
                plan, employee_row, departments, positions, people, report.employees)
    for department_row in deferred_heads:
        with _row_errors(DEPARTMENTS, department_row.source):
            services.update_department(actor=plan.actor, department=departments[department_row.code],
                                       heads=_resolve(department_row.heads, people))
    return report


def _apply_departments(plan: Plan, departments: dict[str, Department], people: dict[str, User],
                       counts: Counts) -> list[DepartmentRow]:
    """Create or update departments; return the rows whose heads do not exist yet."""
    deferred_heads: list[DepartmentRow] = []
    for row in _parents_first(plan.departments, lambda r: r.code, lambda r: r.parent_code):
        heads = _resolve(row.heads, people)
        if isinstance(row.heads, list) and heads is None:
            deferred_heads.append(row)
        parent = departments[row.parent_code] if isinstance(row.parent_code, str) else None
        with _row_errors(DEPARTMENTS, row.source):
            if row.existing is None:
                departments[row.code] = services.create_department(
                    actor=plan.actor, company=plan.company, name=row.name, code=row.code,
                    parent=parent, sort_order=_or(row.sort_order, 0), heads=heads)
                _count(counts, created=True)
            elif row.changed:
                departments[row.code] = services.update_department(
                    actor=plan.actor, department=row.existing, name=row.name,
                    parent=False if isinstance(row.parent_code, Keep) else parent,
                    sort_order=_or(row.sort_order, None), heads=heads)
                _count(counts, updated=True)
            else:
                _count(counts)
    return deferred_heads


def _apply_positions(plan: Plan, counts: Counts) -> dict[str, Position]:
    positions = dict(plan.positions_db)
    for row in plan.positions:
        with _row_errors(POSITIONS, row.source):
            if row.existing is None:
                positions[row.code] = services.create_position(
                    actor=plan.actor, company=plan.company, name=row.name, code=row.code,
                    responsibilities=_or(row.responsibilities, ""))
                _count(counts, created=True)
            elif row.changed:
                services.update_position(actor=plan.actor, position=row.existing, name=row.name,
                                         responsibilities=_or(row.responsibilities, None))
                _count(counts, updated=True)
            else:
                _count(counts)
    return positions


def _apply_employee(plan: Plan, row: EmployeeRow, departments: dict[str, Department],
                    positions: dict[str, Position], people: dict[str, User], counts: Counts) -> User:
    values = row.values
    fields: dict[str, Any] = {key: values[key] for key in ("name", "phone", "email", "title", "hired_on")
                              if key in values}
    references = (("department", "department_code", departments), ("position", "position_code", positions),
                  ("manager", "manager_employee_no", people))
    for name, key, known in references:
        if key in values:
            fields[name] = known[values[key]] if values[key] else None
    secondary = ([departments[code] for code in values["secondary_department_codes"]]
                 if "secondary_department_codes" in values else None)
    is_active = values.get("is_active")
    if row.existing is None:
        person = services.create_employee(actor=plan.actor, company=plan.company,
                                          employee_no=row.employee_no, secondary_departments=secondary,
                                          **fields)
        if is_active is False:
            person = services.set_employee_active(actor=plan.actor, employee=person, is_active=False)
        _count(counts, created=True)
        return person
    if not row.changed:
        _count(counts)
        return row.existing
    person = services.update_employee(actor=plan.actor, employee=row.existing, changes=fields,
                                      secondary_departments=secondary)
    if is_active is not None and is_active != person.is_active:
        person = services.set_employee_active(actor=plan.actor, employee=person, is_active=is_active)
    _count(counts, updated=True)
    return person


@contextmanager
def _row_errors(sheet: Sheet, row: SourceRow) -> Iterator[None]:
    """Turn a service's DomainError into this row's error, which aborts the whole transaction.

    Planning checks the same rules first; this catches what only the database knows (a
    concurrent writer taking the same phone number, say).
    """
    try:
        yield
    except Forbidden:
        raise
    except DomainError as error:
        key = SERVICE_FIELDS.get(error.field or "", error.field or "")
        known = {column.key for column in sheet.columns}
        column = _(sheet.column(key).header) if key in known else ""
        raise _ApplyFailed(RowError(_(sheet.title), row.number, column,
                                    key if key in known else "", error.message)) from error


# --- exporting -----------------------------------------------------------------------------

def _export_rows(actor: User, company: Company, *, format_: str) -> dict[str, list[tuple[Any, ...]]]:
    with transaction.atomic():
        _require_manage(actor, company)
        tree = [node.department for node, _depth in
                flatten_tree(department_tree(company, include_inactive=True))]
        code_of = {department.pk: department.code for department in tree}
        department_rows = [
            (department.code, department.name, code_of.get(department.parent_id or 0, ""),
             ",".join(sorted(head.employee_no for head in department.heads.all())),
             department.sort_order)
            for department in tree]
        position_rows = [(p.code, p.name, p.responsibilities)
                         for p in Position.objects.filter(company=company).order_by("pk")]
        people = (User.objects.filter(company=company)
                  .select_related("department", "position", "manager")
                  .prefetch_related("secondary_departments").order_by("employee_no"))
        employee_rows = [
            (p.employee_no, p.name, p.phone or "", p.email or "",
             p.department.code if p.department else "",
             ",".join(sorted(d.code for d in p.secondary_departments.all())),
             p.position.code if p.position else "", p.manager.employee_no if p.manager else "",
             p.title, p.hired_on,
             spreadsheets.STATUS_ACTIVE if p.is_active else spreadsheets.STATUS_DISABLED)
            for p in people]
        record(actor=actor, action="org.export.downloaded", obj=company, changes={
            "format": format_, "departments": len(department_rows), "positions": len(position_rows),
            "employees": len(employee_rows)})
    return {DEPARTMENTS.kind: department_rows, POSITIONS.kind: position_rows,
            EMPLOYEES.kind: employee_rows}


# --- helpers -------------------------------------------------------------------------------

def _require_manage(actor: User, company: Company) -> None:
    if not access.can_manage_org(actor, company):
        raise Forbidden(_("只有人事管理员或系统管理员可以导入或导出组织架构"))


def _or(value: Any, default: Any) -> Any:
    return default if isinstance(value, Keep) else value


def _count(counts: Counts, *, created: bool = False, updated: bool = False) -> None:
    if created:
        counts.created += 1
    elif updated:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _resolve(numbers: list[str] | Keep, people: dict[str, User]) -> list[User] | None:
    """The people with these numbers, or None while any of them does not exist yet."""
    if isinstance(numbers, Keep):
        return None
    found = [people[number] for number in numbers if number in people]
    return found if len(found) == len(numbers) else None


def _parents_first[Row](rows: list[Row], key: Callable[[Row], str],
                       parent: Callable[[Row], Any]) -> list[Row]:
    """Rows ordered so that a row comes after the row it points at (parent or manager).

    Planning has refused loops, so a depth-first walk terminates.
    """
    by_key = {key(row): row for row in rows}
    ordered: list[Row] = []
    placed: set[str] = set()

    def place(row: Row) -> None:
        if key(row) in placed:
            return
        placed.add(key(row))
        target = parent(row)
        if isinstance(target, str) and target in by_key:
            place(by_key[target])
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


def _error_order(error: RowError) -> tuple[int, int]:
    order = {_(sheet.title): index for index, sheet in enumerate(spreadsheets.SHEETS)}
    return order.get(error.sheet, 9), error.row
