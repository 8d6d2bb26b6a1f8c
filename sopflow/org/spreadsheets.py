"""The organisation's spreadsheet format: column definitions, reading uploads, writing workbooks.

Format only: no permission checks, no database writes. Validation against the database and
applying rows live in `importing.py`.

One .xlsx holds three sheets (部门, 岗位, 员工); a CSV holds one of them. Row 1 is the header;
a row whose first cell starts with "说明：" explains the columns and is skipped on import.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from sopflow.core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A 5 MB xlsx may inflate a lot; real org files stay far below this.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
HELP_PREFIX = "说明："
LIST_SEPARATORS = (",", "，", "、", ";", "；")
STATUS_ACTIVE, STATUS_DISABLED = "在职", "停用"
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: str
    required: bool = False
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


DEPARTMENTS = Sheet("departments", "部门", (
    Column("code", "编码", "必填，部门的唯一编码；按编码新增或更新", required=True),
    Column("name", "名称", "必填", required=True, width=20),
    Column("parent_code", "上级部门编码", "留空表示一级部门；可引用本表任意一行或系统中已有的部门"),
    Column("head_employee_nos", "负责人工号", "可填多个，用逗号或顿号分隔"),
    Column("sort_order", "排序", "整数，越小越靠前，留空为 0", width=10),
))
POSITIONS = Sheet("positions", "岗位", (
    Column("code", "编码", "必填，岗位的唯一编码；按编码新增或更新", required=True),
    Column("name", "名称", "必填", required=True, width=20),
    Column("responsibilities", "岗位职责", "选填，可多行", width=50),
))
EMPLOYEES = Sheet("employees", "员工", (
    Column("employee_no", "工号", "必填，唯一；按工号新增或更新", required=True),
    Column("name", "姓名", "必填", required=True, width=12),
    Column("phone", "手机号", "选填，唯一，只能是数字", width=16),
    Column("email", "邮箱", "选填，唯一", width=26),
    Column("department_code", "主部门编码", "填部门表或系统中已有的部门编码"),
    Column("secondary_department_codes", "兼职部门编码", "可填多个，用逗号或顿号分隔"),
    Column("position_code", "岗位编码", "填岗位表或系统中已有的岗位编码"),
    Column("manager_employee_no", "直属上级工号", "填本表或系统中已有的工号，不能形成循环"),
    Column("title", "职务", "选填，如“市场经理”"),
    Column("hired_on", "入职日期", "格式 2024-03-01", width=14),
    Column("is_active", "状态", "在职 或 停用；留空不修改（新员工为在职）", width=10),
))
SHEETS = (DEPARTMENTS, POSITIONS, EMPLOYEES)
SHEETS_BY_KIND = {sheet.kind: sheet for sheet in SHEETS}


@dataclass(frozen=True)
class SourceRow:
    """One data row. `values` holds only the columns present in the source (absent = keep)."""

    number: int
    values: dict[str, Any]


@dataclass
class ParsedFile:
    rows: dict[str, list[SourceRow]] = field(default_factory=dict)
    # (sheet title, column header, message) for problems with the header row itself
    header_errors: list[tuple[str, str, str]] = field(default_factory=list)


def read_upload(data: bytes, *, kind: str = "employees") -> ParsedFile:
    """Parse an uploaded .xlsx (all three sheets) or CSV (one sheet, `kind`) by its content.

    CSV may be UTF-8 (with or without BOM) or GB18030. Raises ValidationFailed (field "file")
    for files that are too large, not a spreadsheet, or unreadable.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_("文件不能超过 5 MB"), field="file")
    if not data.strip():
        raise ValidationFailed(_("文件是空的"), field="file")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后上传"), field="file")
    if kind not in SHEETS_BY_KIND:
        raise ValidationFailed(_("未知的数据类型"), field="kind")
    return _read_csv(data, SHEETS_BY_KIND[kind])


def write_workbook(rows: Mapping[str, Iterable[Sequence[Any]]], *, title_note: str = "") -> bytes:
    """An .xlsx with the three sheets: header, explanation row, then `rows[kind]` (values in
    column order). Adds dropdowns for references and status, and date validation."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    header_format = workbook.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1})
    required_format = workbook.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1,
                                           "font_color": "#C0392B"})
    help_format = workbook.add_format({"italic": True, "font_color": "#6B7280", "text_wrap": True,
                                       "valign": "top", "bg_color": "#F9FAFB"})
    text_format = workbook.add_format({"num_format": "@"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    last = 2000
    references = {
        "parent_code": f"='{DEPARTMENTS.title}'!$A$3:$A${last}",
        "department_code": f"='{DEPARTMENTS.title}'!$A$3:$A${last}",
        "position_code": f"='{POSITIONS.title}'!$A$3:$A${last}",
    }
    for sheet in SHEETS:
        worksheet = workbook.add_worksheet(sheet.title)
        worksheet.freeze_panes(2, 0)
        worksheet.set_row(1, 48)
        for index, column in enumerate(sheet.columns):
            is_date = column.key == "hired_on"
            worksheet.set_column(index, index, column.width, date_format if is_date else text_format)
            worksheet.write_string(0, index, column.header,
                                   required_format if column.required else header_format)
            prefix = HELP_PREFIX if index == 0 else ""
            worksheet.write_string(1, index, prefix + column.help, help_format)
            if column.key in references:
                # A warning, not a stop: codes that exist only in the system are valid too.
                worksheet.data_validation(2, index, last, index, {
                    "validate": "list", "source": references[column.key], "error_type": "warning",
                    "error_title": column.header,
                    "error_message": "该编码不在本文件中；如系统中已有可忽略此提示"})
            elif column.key == "is_active":
                worksheet.data_validation(2, index, last, index, {
                    "validate": "list", "source": [STATUS_ACTIVE, STATUS_DISABLED]})
            elif is_date:
                worksheet.data_validation(2, index, last, index, {
                    "validate": "date", "criteria": ">=", "minimum": date(1950, 1, 1),
                    "error_message": "请填写日期，例如 2024-03-01"})
        if title_note and sheet is DEPARTMENTS:
            worksheet.write_comment(0, 0, title_note)
        for row_index, values in enumerate(rows.get(sheet.kind, ()), start=2):
            for column_index, value in enumerate(values):
                if isinstance(value, date):
                    # Excel dates are naive wall-clock values.
                    moment = datetime(value.year, value.month, value.day)  # noqa: DTZ001
                    worksheet.write_datetime(row_index, column_index, moment)
                elif value not in (None, ""):
                    worksheet.write_string(row_index, column_index, str(value))
    workbook.close()
    return buffer.getvalue()


def write_csv(sheet: Sheet, rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM (so Excel on Windows opens it correctly), header row first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in sheet.columns])
    for values in rows:
        writer.writerow(["" if value is None else _csv_value(value) for value in values])
    return buffer.getvalue().encode("utf-8-sig")


def split_list(value: Any) -> list[str]:
    """Split "a, b、c" (or a list) into clean items."""
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    text = str(value or "")
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, LIST_SEPARATORS[0])
    return [item.strip() for item in text.split(LIST_SEPARATORS[0]) if item.strip()]


# --- reading -------------------------------------------------------------------------------

def _read_xlsx(data: bytes) -> ParsedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ValidationFailed(_("文件已损坏，无法读取"), field="file") from error
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ValidationFailed(_("文件不是 Excel 工作簿（.xlsx），请上传 .xlsx 或 .csv 文件"), field="file")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ValidationFailed(_("文件内容过大，无法导入"), field="file")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for malformed parts
        raise ValidationFailed(_("文件已损坏，无法读取"), field="file") from error
    parsed = ParsedFile()
    try:
        titles = {name.strip(): name for name in workbook.sheetnames}
        found = [sheet for sheet in SHEETS if sheet.title in titles]
        if not found:
            raise ValidationFailed(_("工作簿中没有“部门”“岗位”或“员工”工作表，请使用导入模板"),
                                   field="file")
        for sheet in found:
            lines = workbook[titles[sheet.title]].iter_rows(values_only=True)
            _read_table(sheet, lines, parsed)
    finally:
        workbook.close()
    return parsed


def _read_csv(data: bytes, sheet: Sheet) -> ParsedFile:
    if b"\x00" in data:
        raise ValidationFailed(_("文件不是文本格式的 CSV，请上传 .xlsx 或 .csv 文件"), field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as error:
            raise ValidationFailed(_("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV"),
                                   field="file") from error
    parsed = ParsedFile()
    try:
        _read_table(sheet, csv.reader(io.StringIO(text, newline="")), parsed)
    except csv.Error as error:
        raise ValidationFailed(_("CSV 格式不正确：%(error)s") % {"error": error}, field="file") from error
    return parsed


def _read_table(sheet: Sheet, lines: Iterable[Sequence[Any]], parsed: ParsedFile) -> None:
    rows: list[SourceRow] = []
    parsed.rows[sheet.kind] = rows
    iterator = iter(lines)
    header = next(iterator, None)
    by_header = {column.header: column for column in sheet.columns}
    positions: dict[int, Column] = {}
    for index, cell in enumerate(header or ()):
        name = _clean(cell).lstrip("*＊").strip()
        if name in by_header and by_header[name] not in positions.values():
            positions[index] = by_header[name]
    for column in sheet.columns:
        if column.required and column not in positions.values():
            parsed.header_errors.append(
                (sheet.title, column.header, _("缺少必填列“%(column)s”") % {"column": column.header}))
    if parsed.header_errors:
        return
    for number, line in enumerate(iterator, start=2):
        cells = [_cell(value) for value in line]
        if not any(value not in ("", None) for value in cells):
            continue
        first = next((value for value in cells if value not in ("", None)), "")
        if isinstance(first, str) and first.startswith(HELP_PREFIX):
            continue
        values = {column.key: cells[index] if index < len(cells) else ""
                  for index, column in positions.items()}
        rows.append(SourceRow(number, values))


def _cell(value: Any) -> Any:
    """Strings stripped; whole numbers as text (Excel turns 1001 and phone numbers into numbers);
    datetimes as dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return _clean(value)


def _clean(value: Any) -> str:
    text = str(value if value is not None else "").replace("\ufeff", "").strip()
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:  # undo the export's formula guard
        return text[1:]
    return text


def _csv_value(value: Any) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    # Keep spreadsheet programs from running cell formulas a user typed into a name.
    return "'" + text if text[:1] in FORMULA_STARTS else text
