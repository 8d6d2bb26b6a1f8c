"""Importing and exporting the organisation: all-or-nothing, upserts, encodings, round trips."""

from __future__ import annotations

import datetime

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.errors import Forbidden, ValidationFailed
from sopflow.org import importing
from sopflow.org.importing import Counts, RowError
from sopflow.org.models import Company, Department, Position, User
from sopflow.org.tests.builders import build_user, build_workbook, employee_row

GOOD_SHEETS: dict[str, list[list[object]]] = {
    # 华北组 refers to 销售部, which is defined on a later row.
    "部门": [["sales-north", "华北组", "sales", "S002", 20], ["sales", "销售部", "", "S001", 10]],
    "岗位": [["lead", "销售组长", "带领区域团队"], ["rep", "销售专员", "客户拜访"]],
    "员工": [
        employee_row("S002", "杨帆", phone="13900000002", department_code="sales-north",
                     position_code="lead", manager_employee_no="S001", hired_on=datetime.date(2023, 5, 4)),
        employee_row("S001", "马超", phone="13900000001", email="MA@Example.cn",
                     department_code="sales", title="销售总监"),
        employee_row("S003", "朱明", department_code="sales-north", position_code="rep",
                     secondary_department_codes="sales、marketing", manager_employee_no="S002"),
    ],
}


def test_good_workbook_creates_departments_positions_and_people_in_one_go(
        hr_admin: User, company: Company, marketing: Department) -> None:
    report = importing.import_file(actor=hr_admin, company=company, data=build_workbook(GOOD_SHEETS),
                                   kind="employees")

    assert report.errors == []
    assert report.departments == Counts(created=2)
    assert report.positions == Counts(created=2)
    assert report.employees == Counts(created=3)
    north = Department.objects.get(code="sales-north")
    assert north.parent == Department.objects.get(code="sales")
    assert list(north.heads.values_list("employee_no", flat=True)) == ["S002"]
    zhu = User.objects.get(employee_no="S003")
    assert (zhu.company, zhu.department, zhu.position.code, zhu.manager.employee_no) == (
        company, north, "rep", "S002")
    assert sorted(zhu.secondary_departments.values_list("code", flat=True)) == ["marketing", "sales"]
    assert User.objects.get(employee_no="S001").email == "ma@example.cn"
    assert User.objects.get(employee_no="S002").hired_on == datetime.date(2023, 5, 4)
    applied = AuditEvent.objects.get(action="org.import.applied")
    assert applied.actor == hr_admin
    assert applied.changes == {"source": "file",
                               "departments": {"created": 2, "updated": 0, "unchanged": 0},
                               "positions": {"created": 2, "updated": 0, "unchanged": 0},
                               "employees": {"created": 3, "updated": 0, "unchanged": 0}}
    assert AuditEvent.objects.filter(action="org.employee.created").count() == 3


def test_reimport_updates_changed_rows_and_leaves_the_rest(hr_admin: User, company: Company,
                                                           marketing: Department) -> None:
    importing.import_file(actor=hr_admin, company=company, data=build_workbook(GOOD_SHEETS))
    changed = {**GOOD_SHEETS, "员工": [*GOOD_SHEETS["员工"][:2],
                                      employee_row("S003", "朱明", department_code="sales",
                                                   title="销售专员", is_active="停用")]}

    report = importing.import_file(actor=hr_admin, company=company, data=build_workbook(changed))

    assert report.errors == []
    assert (report.departments, report.positions) == (Counts(unchanged=2), Counts(unchanged=2))
    assert report.employees == Counts(updated=1, unchanged=2)
    zhu = User.objects.get(employee_no="S003")
    assert (zhu.department.code, zhu.title, zhu.is_active, zhu.manager) == ("sales", "销售专员", False, None)
    assert zhu.secondary_departments.count() == 0
    assert AuditEvent.objects.filter(action="org.employee.disabled").count() == 1


def test_one_bad_row_is_reported_and_nothing_is_written(hr_admin: User, company: Company,
                                                        marketing: Department) -> None:
    bad = {**GOOD_SHEETS, "员工": [*GOOD_SHEETS["员工"],
                                  employee_row("S004", "唐亮", department_code="nowhere")]}
    users_before, events_before = User.objects.count(), AuditEvent.objects.count()

    report = importing.import_file(actor=hr_admin, company=company, data=build_workbook(bad))

    assert report.errors == [RowError("员工", 5, "主部门编码", "department_code", "部门编码“nowhere”不存在")]
    assert report.is_applied is False
    assert User.objects.count() == users_before
    assert Department.objects.filter(company=company).count() == 1
    assert Position.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(("case", "rows", "expected"), [
    ("duplicate number in the file",
     [employee_row("N1", "甲"), employee_row("N1", "乙")],
     [RowError("员工", 3, "工号", "employee_no", "工号“N1”与第 2 行重复")]),
    ("phone of another person",
     [employee_row("N1", "甲", phone="13800001111")],
     [RowError("员工", 2, "手机号", "phone", "手机号“13800001111”已被工号 A001 使用")]),
    ("duplicate e-mail in the file",
     [employee_row("N1", "甲", email="x@example.cn"), employee_row("N2", "乙", email="X@example.cn")],
     [RowError("员工", 3, "邮箱", "email", "“x@example.cn”与第 2 行重复")]),
    ("bad date",
     [employee_row("N1", "甲", hired_on="明年")],
     [RowError("员工", 2, "入职日期", "hired_on", "日期格式不正确，应为 2024-03-01")]),
    ("manager loop inside the file",
     [employee_row("N1", "甲", manager_employee_no="N2"), employee_row("N2", "乙", manager_employee_no="N1")],
     [RowError("员工", 2, "直属上级工号", "manager_employee_no", "直属上级不能形成循环（不能是自己的下属）"),
      RowError("员工", 3, "直属上级工号", "manager_employee_no", "直属上级不能形成循环（不能是自己的下属）")]),
    ("manager loop through the database",
     [employee_row("B001", "李强", department_code="marketing", manager_employee_no="A001")],
     [RowError("员工", 2, "直属上级工号", "manager_employee_no", "直属上级不能形成循环（不能是自己的下属）")]),
    ("unknown status",
     [employee_row("N1", "甲", is_active="休假")],
     [RowError("员工", 2, "状态", "is_active", "状态只能是“在职”或“停用”")]),
    ("missing name",
     [employee_row("N1", "")],
     [RowError("员工", 2, "姓名", "name", "请填写姓名")]),
])
def test_bad_employee_rows_are_reported_exactly(case: str, rows: list[list[object]],
                                                expected: list[RowError], hr_admin: User,
                                                alice: User) -> None:
    users_before = User.objects.count()

    report = importing.import_file(actor=hr_admin, company=alice.company,
                                   data=build_workbook({"员工": rows}))

    assert report.errors == expected
    assert User.objects.count() == users_before
    assert AuditEvent.objects.filter(action="org.import.applied").exists() is False


def test_department_parent_loop_is_reported(hr_admin: User, company: Company,
                                            marketing: Department) -> None:
    sheets: dict[str, list[list[object]]] = {"部门": [["a", "甲", "b", "", 0], ["b", "乙", "a", "", 0],
                                                    ["marketing", "市场部", "marketing", "", 0]]}

    report = importing.import_file(actor=hr_admin, company=company, data=build_workbook(sheets))

    message = "上级部门不能是自己或自己的下级部门（形成循环）"
    assert report.errors == [RowError("部门", row, "上级部门编码", "parent_code", message)
                             for row in (2, 3, 4)]
    assert Department.objects.count() == 1


def test_csv_in_utf8_with_bom_and_in_gb18030_both_parse(hr_admin: User, company: Company) -> None:
    text = "工号,姓名,手机号\r\nG1,欧阳娜娜,13700000001\r\n"

    first = importing.import_file(actor=hr_admin, company=company, data=text.encode("utf-8-sig"))
    second = importing.import_file(actor=hr_admin, company=company,
                                   data=text.replace("G1", "G2").replace("0001", "0002").encode("gb18030"))

    assert (first.employees, second.employees) == (Counts(created=1), Counts(created=1))
    assert list(User.objects.filter(employee_no__startswith="G").values_list("name", flat=True)) == [
        "欧阳娜娜", "欧阳娜娜"]


def test_csv_of_departments_is_chosen_by_kind(hr_admin: User, company: Company) -> None:
    data = "编码,名称,上级部门编码\nrd,研发部,\nrd-web,前端组,rd\n".encode()

    report = importing.import_file(actor=hr_admin, company=company, data=data, kind="departments")

    assert report.departments == Counts(created=2)
    assert Department.objects.get(code="rd-web").parent.code == "rd"


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.7 not a spreadsheet\x00\x01", "文件不是文本格式的 CSV，请上传 .xlsx 或 .csv 文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后上传"),
    (b"PK\x03\x04 broken zip", "文件已损坏，无法读取"),
    (b"", "文件是空的"),
    (b"a" * (5 * 1024 * 1024 + 1), "文件不能超过 5 MB"),
])
def test_files_that_are_not_spreadsheets_are_refused(data: bytes, message: str, hr_admin: User,
                                                     company: Company) -> None:
    with pytest.raises(ValidationFailed) as raised:
        importing.import_file(actor=hr_admin, company=company, data=data)

    assert (raised.value.message, raised.value.field) == (message, "file")
    assert User.objects.count() == 1


def test_zip_that_is_not_a_workbook_is_refused(hr_admin: User, company: Company) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<doc/>")

    with pytest.raises(ValidationFailed) as raised:
        importing.import_file(actor=hr_admin, company=company, data=buffer.getvalue())

    assert raised.value.message == "文件不是 Excel 工作簿（.xlsx），请上传 .xlsx 或 .csv 文件"


def test_missing_required_column_is_reported_on_the_header_row(hr_admin: User, company: Company) -> None:
    report = importing.import_file(actor=hr_admin, company=company, data="姓名\n张三\n".encode())

    assert report.errors == [RowError("员工", 1, "工号", "", "缺少必填列“工号”")]


def test_export_then_reimport_changes_nothing(hr_admin: User, company: Company, alice: User,
                                              carol: User, dave: User) -> None:
    importing.import_file(actor=hr_admin, company=company, data=build_workbook(GOOD_SHEETS))
    dave_is_disabled = User.objects.filter(pk=dave.pk).update(is_active=False)
    exported = importing.export_workbook(actor=hr_admin, company=company)
    people_before = User.objects.count()

    report = importing.import_file(actor=hr_admin, company=company, data=exported)

    assert dave_is_disabled == 1
    assert report.errors == []
    assert report.departments == Counts(unchanged=5)
    assert report.positions == Counts(unchanged=2)
    assert report.employees == Counts(unchanged=User.objects.filter(company=company).count())
    assert User.objects.count() == people_before
    assert AuditEvent.objects.filter(action="org.export.downloaded").count() == 1
    assert AuditEvent.objects.filter(action="org.employee.updated").exists() is False


def test_employee_csv_export_has_bom_and_reimports_unchanged(hr_admin: User, alice: User) -> None:
    exported = importing.export_employees_csv(actor=hr_admin, company=alice.company)

    report = importing.import_file(actor=hr_admin, company=alice.company, data=exported)

    assert exported.startswith("\ufeff工号,姓名,手机号,邮箱".encode())
    assert report.employees == Counts(unchanged=3)


def test_template_imports_its_own_examples(hr_admin: User, company: Company) -> None:
    report = importing.import_file(actor=hr_admin, company=company, data=importing.template_workbook())

    assert report.errors == []
    assert (report.departments, report.positions, report.employees) == (
        Counts(created=3), Counts(created=2), Counts(created=2))


def test_outsider_cannot_import_and_nothing_changes(alice: User, company: Company) -> None:
    with pytest.raises(Forbidden):
        importing.import_file(actor=alice, company=company, data=build_workbook(GOOD_SHEETS))

    assert Department.objects.filter(code="sales").exists() is False
    assert AuditEvent.objects.exists() is False


def test_outsider_cannot_export(alice: User, company: Company) -> None:
    with pytest.raises(Forbidden):
        importing.export_workbook(actor=alice, company=company)

    assert AuditEvent.objects.exists() is False


def test_upsert_employees_reports_rows_counted_from_one(hr_admin: User, alice: User) -> None:
    rows = [{"employee_no": "A001", "title": "高级市场专员"},
            {"employee_no": "N9", "name": "新人", "department_code": "missing"}]

    report = importing.upsert_employees(actor=hr_admin, company=alice.company, rows=rows)

    assert report.errors == [RowError("员工", 2, "主部门编码", "department_code", "部门编码“missing”不存在")]
    alice.refresh_from_db()
    assert alice.title == ""


def test_upsert_employees_keeps_values_that_are_not_sent(hr_admin: User, alice: User) -> None:
    report = importing.upsert_employees(actor=hr_admin, company=alice.company,
                                        rows=[{"employee_no": "A001", "title": "高级市场专员"}])

    assert report.employees == Counts(updated=1)
    alice.refresh_from_db()
    assert (alice.title, alice.phone, alice.manager.employee_no) == ("高级市场专员", "13800001111", "B001")


def test_hr_admin_cannot_disable_themselves_by_import(hr_admin: User) -> None:
    report = importing.upsert_employees(actor=hr_admin, company=hr_admin.company,
                                        rows=[{"employee_no": "H001", "is_active": False}])

    assert report.errors == [RowError("员工", 1, "状态", "is_active", "不能停用自己的账号")]
    hr_admin.refresh_from_db()
    assert hr_admin.is_active is True


def test_people_of_other_companies_cannot_be_taken_over(hr_admin: User) -> None:
    build_user(employee_no="X100")

    report = importing.upsert_employees(actor=hr_admin, company=hr_admin.company,
                                        rows=[{"employee_no": "X100", "name": "冒名"}])

    assert report.errors == [RowError("员工", 1, "工号", "employee_no", "工号“X100”已被其他公司的员工使用")]
