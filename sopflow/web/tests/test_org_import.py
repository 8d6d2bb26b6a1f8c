"""The import/export pages: upload, error table, counts, downloads."""

from __future__ import annotations

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sopflow.audit.models import AuditEvent
from sopflow.org.models import Department, User
from sopflow.org.tests.builders import build_workbook, employee_row
from sopflow.web.tests.html import text_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(data: bytes, name: str = "员工.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def test_good_upload_shows_the_counts(hr_admin: User, marketing: Department) -> None:
    data = build_workbook({"员工": [employee_row("N1", "周婷", department_code="marketing"),
                                    employee_row("N2", "吴倩", manager_employee_no="N1")]})

    response = _client(hr_admin).post(reverse("web:org-import"), {"file": _upload(data), "kind": "employees"})

    assert response.status_code == 200
    assert text_of(response.content, "import-counts") == (
        "部门：新增 0，更新 0，未变 0 岗位：新增 0，更新 0，未变 0 员工：新增 2，更新 0，未变 0")
    assert User.objects.get(employee_no="N2").manager == User.objects.get(employee_no="N1")


def test_bad_upload_shows_the_error_table_and_imports_nothing(hr_admin: User, marketing: Department) -> None:
    data = build_workbook({"员工": [employee_row("N1", "周婷", department_code="marketing"),
                                    employee_row("N2", "吴倩", hired_on="2025-13-45")]})
    users = User.objects.count()

    response = _client(hr_admin).post(reverse("web:org-import"), {"file": _upload(data), "kind": "employees"})

    assert response.status_code == 422
    assert text_of(response.content, "import-error-table") == (
        "工作表 行 列 问题 员工 3 入职日期 日期格式不正确，应为 2024-03-01")
    assert User.objects.count() == users
    assert AuditEvent.objects.filter(action__startswith="org.").exists() is False


def test_upload_that_is_not_a_spreadsheet_is_refused_next_to_the_file_field(hr_admin: User) -> None:
    response = _client(hr_admin).post(reverse("web:org-import"), {
        "file": _upload(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.xlsx"), "kind": "employees"})

    assert response.status_code == 422
    assert text_of(response.content, "error-file") == "文件不是文本格式的 CSV，请上传 .xlsx 或 .csv 文件"


def test_template_download_is_a_workbook_with_the_three_sheets(hr_admin: User) -> None:
    response = _client(hr_admin).get(reverse("web:org-import-template"))

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert response["Content-Type"] == XLSX
    assert workbook.sheetnames == ["部门", "岗位", "员工"]
    assert [cell.value for cell in workbook["员工"][1]] == [
        "工号", "姓名", "手机号", "邮箱", "主部门编码", "兼职部门编码", "岗位编码", "直属上级工号", "职务",
        "入职日期", "状态"]
    assert str(workbook["员工"]["A2"].value).startswith("说明：")


def test_export_downloads_the_workbook_and_is_audited(hr_admin: User, alice: User) -> None:
    response = _client(hr_admin).get(reverse("web:org-export"))

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    numbers = [row[0].value for row in workbook["员工"].iter_rows(min_row=3)]
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert numbers == ["A001", "B001", "H001"]
    assert AuditEvent.objects.get(action="org.export.downloaded").changes == {
        "format": "xlsx", "departments": 1, "positions": 0, "employees": 3}


def test_employee_csv_export_starts_with_a_bom(hr_admin: User, alice: User) -> None:
    response = _client(hr_admin).get(reverse("web:org-export"), {"format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff工号,姓名".encode())
    assert response.content.decode("utf-8-sig").splitlines()[1].startswith("A001,张敏,13800001111")
