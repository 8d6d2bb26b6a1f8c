from datetime import date
from decimal import Decimal

import pytest

from sopflow.form_templates.schema.cleaning import AttachmentInfo, FieldError
from sopflow.form_templates.schema.dates import Duration
from sopflow.form_templates.schema.fields import Json, Schema
from sopflow.form_templates.schema.validate import Computed, compute, validate

from .builders import (
    TODAY,
    StatutoryCalendar,
    daily_report,
    expense_claim,
    expense_values,
    field,
    leave_request,
    schema,
)


def check(form: Schema, values: object, language: str = "zh-hans") -> list[tuple[str, str]]:
    result = validate(form, values, language=language, today=TODAY)
    return [(error.path, error.code) for error in result.errors]


def cleaned(form: Schema, values: object) -> dict[str, Json]:
    result = validate(form, values, today=TODAY)
    assert result.errors == []
    return result.cleaned


# --- scenarios ------------------------------------------------------------------------------

def test_s1_total_and_capital_form_are_computed_when_two_lines_are_entered() -> None:
    result = validate(expense_claim(), expense_values(), today=TODAY)

    assert result.errors == []
    assert result.cleaned == {
        "f_type": "差旅",
        "f_items": [{"f_item": "交通", "f_amount": "1200.00"},
                    {"f_item": "住宿", "f_amount": "2000.00"}],
        "f_total": "3200.00",
        "f_invoice": [41],
    }
    assert result.computed == Computed(
        formulas={"f_total": "3200.00"},
        totals={"f_items": {"f_amount": "3200.00"}},
        money_capitals={"f_items[0].f_amount": "壹仟贰佰元整",
                        "f_items[1].f_amount": "贰仟元整",
                        "f_items.f_amount": "叁仟贰佰元整", "f_total": "叁仟贰佰元整"},
    )


@pytest.mark.parametrize(("raw", "stored"), [
    ("3,200.00", "3200.00"), ("3,200", "3200.00"), ("１,２００.５", "1200.50"), ("3200", "3200.00"),
])
def test_money_accepts_thousands_separators_and_stores_the_plain_amount(raw: str,
                                                                        stored: str) -> None:
    form = schema(field("f_amount", "money"))

    assert cleaned(form, {"f_amount": raw}) == {"f_amount": stored}


def test_s1_formula_input_is_ignored_when_the_client_sends_its_own_total() -> None:
    values = expense_values() | {"f_total": "999999.00"}

    assert validate(expense_claim(), values, today=TODAY).cleaned["f_total"] == "3200.00"


def test_s1_invoice_must_be_a_pdf_when_the_resolver_says_it_is_an_executable() -> None:
    def resolve(attachment_id: int) -> AttachmentInfo | None:
        return AttachmentInfo(kind="zip", size=100, owner_ok=True)

    result = validate(expense_claim(), expense_values(), today=TODAY, resolve_attachment=resolve)

    assert result.errors == [FieldError("f_invoice", "file_type_not_allowed",
                                        "电子发票只接受 pdf 格式的文件，请重新上传")]


def test_s3_leave_counts_four_working_days_when_the_statutory_calendar_is_passed() -> None:
    values = {"f_period": {"start": "2026-09-30", "end": "2026-10-10"}}

    result = validate(leave_request(), values, today=TODAY, calendar=StatutoryCalendar())

    assert result.computed.durations == {"f_period": Duration(calendar_days=11, working_days=4)}


def test_s3_leave_counts_weekdays_when_the_default_calendar_is_used() -> None:
    values = {"f_period": {"start": "2026-09-30", "end": "2026-10-10"}}

    assert compute(leave_request(), values, today=TODAY).durations == {
        "f_period": Duration(calendar_days=11, working_days=8)}


def test_s4_sixty_characters_are_refused_with_the_count_when_100_are_required() -> None:
    values = {"f_talk": "拜访客户", "f_need": "需" * 60}

    result = validate(daily_report(), values, today=TODAY)

    assert result.errors == [
        FieldError("f_need", "min_length", "客户需求至少需要 100 字，当前 60 字")]


def test_s4_message_is_in_english_when_english_is_requested() -> None:
    values = {"f_talk": "visit", "f_need": "需" * 60}

    result = validate(daily_report(), values, today=TODAY, language="en")

    assert [error.message for error in result.errors] == [
        "客户需求 needs at least 100 characters (currently 60)"]


def test_s4_hundred_chinese_characters_pass_when_counted_as_code_points() -> None:
    values = {"f_talk": "拜访客户", "f_need": "需" * 100}

    assert check(daily_report(), values) == []


# --- required, hidden, unknown --------------------------------------------------------------

def test_required_message_says_what_to_do_when_fields_are_empty() -> None:
    result = validate(expense_claim(), {}, today=TODAY)

    assert [(error.path, error.message) for error in result.errors] == [
        ("f_type", "请选择类型"), ("f_items", "请至少填写一行明细"),
        ("f_invoice", "请上传电子发票")]


def test_required_message_is_in_english_when_english_is_requested() -> None:
    result = validate(daily_report(), {"f_need": "x" * 100}, today=TODAY, language="en")

    assert [error.message for error in result.errors] == ["Please fill in 客户沟通内容"]


def test_blank_text_counts_as_empty_when_it_is_only_spaces() -> None:
    assert check(daily_report(), {"f_talk": "   ", "f_need": "x" * 100}) == [("f_talk", "required")]


VISIBILITY = schema(
    field("f_type", "single_choice", "类型", options=["差旅", "办公"]),
    field("f_city", "text", "出差城市", required=True,
          visible_when={"field": "f_type", "op": "eq", "value": "差旅"}),
    field("f_hotel", "money", "住宿费", visible_when={"field": "f_city", "op": "not_empty"}),
    field("f_reason", "text", "说明",
          required_when={"field": "f_hotel", "op": "gt", "value": "500"}),
)


def test_hidden_field_is_dropped_and_not_required_when_its_condition_is_false() -> None:
    result = validate(VISIBILITY, {"f_type": "办公", "f_city": "上海", "f_hotel": "800"},
                      today=TODAY)

    assert result.errors == []
    assert result.cleaned == {"f_type": "办公"}


def test_hidden_field_errors_are_ignored_when_the_field_is_hidden() -> None:
    assert check(VISIBILITY, {"f_type": "办公", "f_hotel": "not money"}) == []


def test_visible_field_is_required_when_its_condition_is_true() -> None:
    assert check(VISIBILITY, {"f_type": "差旅"}) == [("f_city", "required")]


def test_required_when_applies_when_its_condition_holds() -> None:
    values = {"f_type": "差旅", "f_city": "上海", "f_hotel": "800"}

    assert check(VISIBILITY, values) == [("f_reason", "required")]


def test_required_when_does_not_apply_when_its_condition_fails() -> None:
    values = {"f_type": "差旅", "f_city": "上海", "f_hotel": "300"}

    assert cleaned(VISIBILITY, values) == values | {"f_hotel": "300.00"}


def test_unknown_keys_are_refused_when_values_contain_data_the_form_does_not_have() -> None:
    result = validate(daily_report(), {"f_talk": "a", "f_need": "x" * 100, "f_secret": 1},
                      today=TODAY)

    assert result.errors == [FieldError("f_secret", "unknown_field",
                                        "表单中没有字段 f_secret，请刷新页面后重新填写")]
    assert "f_secret" not in result.cleaned


def test_unknown_cell_is_refused_when_a_row_has_an_extra_key() -> None:
    values = expense_values() | {"f_items": [{"f_item": "交通", "f_amount": "1", "f_x": 1}]}

    assert check(expense_claim(), values) == [("f_items[0].f_x", "unknown_field")]


@pytest.mark.parametrize("values", [None, [], "x", 3, True])
def test_form_level_error_is_reported_when_values_are_not_an_object(values: object) -> None:
    result = validate(daily_report(), values, today=TODAY)

    assert result.errors[0] == FieldError("", "invalid_values",
                                          "表单数据格式不正确，请刷新页面后重新填写")
    assert result.cleaned == {}


def test_description_values_are_ignored_when_sent_by_the_client() -> None:
    form = schema(field("f_note", "description", "须知", text="请阅读"))

    assert cleaned(form, {"f_note": "anything"}) == {}


# --- text -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("settings", "value", "expected"),
    [
        ({}, "  你好  ", "你好"),
        ({"max_length": 3}, "三个字", "三个字"),
        ({"pattern": "phone"}, "138 0013-8000", "13800138000"),
        ({"pattern": "phone"}, "+8613800138000", "13800138000"),
        ({"pattern": "email"}, "li.lei@example.com", "li.lei@example.com"),
        ({"pattern": "id_number"}, "11010519491231002x", "11010519491231002X"),
    ],
)
def test_text_is_cleaned_when_it_is_valid(settings: dict[str, Json], value: str,
                                          expected: str) -> None:
    form = schema(field("f_a", "text", "字段", **settings))

    assert cleaned(form, {"f_a": value}) == {"f_a": expected}


@pytest.mark.parametrize(
    ("settings", "value", "code"),
    [
        ({"max_length": 3}, "四个汉字", "max_length"),
        ({"min_length": 2}, "一", "min_length"),
        ({"pattern": "phone"}, "12800138000", "invalid_phone"),
        ({"pattern": "phone"}, "1380013800", "invalid_phone"),
        ({"pattern": "email"}, "li.lei@example", "invalid_email"),
        ({"pattern": "email"}, "li lei@example.com", "invalid_email"),
        ({"pattern": "id_number"}, "110105194912310021", "invalid_id_number"),
        ({"pattern": "id_number"}, "110105194913310028", "invalid_id_number"),
        ({"pattern": "id_number"}, "11010519491231002", "invalid_id_number"),
        ({}, 12, "invalid_text"),
        ({}, ["a"], "invalid_text"),
        ({}, "a\x00b", "invalid_text"),
    ],
)
def test_text_is_refused_when_it_breaks_a_rule(settings: dict[str, Json], value: object,
                                               code: str) -> None:
    form = schema(field("f_a", "text", "字段", **settings))

    assert check(form, {"f_a": value}) == [("f_a", code)]


def test_max_length_message_says_how_much_to_remove_when_text_is_too_long() -> None:
    form = schema(field("f_a", "text", "标题", max_length=5))

    result = validate(form, {"f_a": "一二三四五六七"}, today=TODAY)

    assert result.errors[0].message == "标题最多 5 字，当前 7 字，请删减 2 字"


def test_textarea_keeps_inner_newlines_when_cleaned() -> None:
    form = schema(field("f_a", "textarea", "内容"))

    assert cleaned(form, {"f_a": " 第一行\r\n第二行 "}) == {"f_a": "第一行\n第二行"}


def test_phone_and_email_types_check_their_format_when_filled() -> None:
    form = schema(field("f_p", "phone", "手机"), field("f_e", "email", "邮箱"))

    assert check(form, {"f_p": "12345", "f_e": "nope"}) == [("f_p", "invalid_phone"),
                                                           ("f_e", "invalid_email")]
    assert cleaned(form, {"f_p": "13912345678", "f_e": "a@b.cn"}) == {
        "f_p": "13912345678", "f_e": "a@b.cn"}


def test_phone_message_gives_an_example_when_the_number_is_wrong() -> None:
    form = schema(field("f_p", "phone", "手机"))

    result = validate(form, {"f_p": "123"}, today=TODAY, language="en")

    assert result.errors[0].message == ("手机 is not a valid mobile number; enter an 11-digit "
                                        "mainland China number such as 13800138000")


# --- numbers and money ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("settings", "value", "expected"),
    [
        ({"decimals": 1}, "12.5", "12.5"),
        ({"decimals": 2}, 12.5, "12.50"),
        ({"decimals": 0}, 7, "7"),
        ({"decimals": 2}, "1,234.5", "1234.50"),
        ({"decimals": 2}, "３２", "32.00"),
        ({"decimals": 1}, "12.50", "12.5"),
        ({"decimals": 2}, "-0", "0.00"),
        ({"min": 0, "max": 10}, "10", "10.00"),
    ],
)
def test_number_is_normalised_when_it_is_valid(settings: dict[str, Json], value: Json,
                                               expected: str) -> None:
    form = schema(field("f_n", "number", "数量", **settings))

    assert cleaned(form, {"f_n": value}) == {"f_n": expected}


@pytest.mark.parametrize(
    ("settings", "value", "code"),
    [
        ({}, "abc", "invalid_number"),
        ({}, True, "invalid_number"),
        ({}, "1e5", "invalid_number"),
        ({}, "NaN", "invalid_number"),
        ({}, {"v": 1}, "invalid_number"),
        ({}, "1234567890123456", "number_too_large"),
        ({"decimals": 1}, "1.25", "too_many_decimals"),
        ({"min": 1}, "0.5", "min_value"),
        ({"max": 10}, "10.01", "max_value"),
    ],
)
def test_number_is_refused_when_it_breaks_a_rule(settings: dict[str, Json], value: Json,
                                                 code: str) -> None:
    form = schema(field("f_n", "number", "数量", **settings))

    assert check(form, {"f_n": value}) == [("f_n", code)]


def test_money_is_normalised_to_two_decimals_when_entered_as_a_whole_number() -> None:
    form = schema(field("f_m", "money", "金额"))

    result = validate(form, {"f_m": "3200"}, today=TODAY)

    assert result.cleaned == {"f_m": "3200.00"}
    assert result.computed.money_capitals == {"f_m": "叁仟贰佰元整"}


def test_money_with_three_decimals_is_refused_when_entered() -> None:
    form = schema(field("f_m", "money", "金额"))

    result = validate(form, {"f_m": "1.005"}, today=TODAY)

    assert result.errors == [FieldError("f_m", "too_many_decimals", "金额最多保留 2 位小数")]


def test_money_range_message_shows_the_limit_when_over_the_maximum() -> None:
    form = schema(field("f_m", "money", "预算", max=50000))

    result = validate(form, {"f_m": "50000.01"}, today=TODAY, language="en")

    assert result.errors == [FieldError("f_m", "max_value", "预算 must be at most 50000")]


# --- dates ----------------------------------------------------------------------------------

def test_date_is_accepted_when_it_is_iso_and_within_bounds() -> None:
    form = schema(field("f_d", "date", "日期", min="today", max="2026-12-31"))

    assert cleaned(form, {"f_d": "2026-09-30"}) == {"f_d": "2026-09-30"}


@pytest.mark.parametrize(
    ("value", "code"),
    [("2026-08-31", "date_too_early"), ("2027-01-01", "date_too_late"),
     ("2026/09/30", "invalid_date"), ("20260930", "invalid_date"),
     ("2026-02-30", "invalid_date"), (20260930, "invalid_date")],
)
def test_date_is_refused_when_it_is_malformed_or_out_of_bounds(value: Json, code: str) -> None:
    form = schema(field("f_d", "date", "日期", min="today", max="2026-12-31"))

    assert check(form, {"f_d": value}) == [("f_d", code)]


def test_date_bound_today_uses_the_passed_in_day_when_validating() -> None:
    form = schema(field("f_d", "date", "开始日期", min="today"))

    result = validate(form, {"f_d": "2026-09-30"}, today=date(2026, 10, 1))

    assert result.errors == [FieldError("f_d", "date_too_early", "开始日期不能早于 2026-10-01")]


def test_datetime_is_normalised_when_it_has_an_offset() -> None:
    form = schema(field("f_t", "datetime", "时间"))

    assert cleaned(form, {"f_t": "2026-09-30T09:00+08:00"}) == {
        "f_t": "2026-09-30T09:00:00+08:00"}


@pytest.mark.parametrize("value", ["2026-09-30T09:00:00", "2026-09-30", "yesterday", 5])
def test_datetime_is_refused_when_it_has_no_offset_or_is_not_a_datetime(value: Json) -> None:
    form = schema(field("f_t", "datetime", "时间"))

    assert check(form, {"f_t": value}) == [("f_t", "invalid_datetime")]


@pytest.mark.parametrize(
    ("value", "code"),
    [({"start": "2026-10-10", "end": "2026-09-30"}, "range_end_before_start"),
     ({"start": "2026-10-10"}, "invalid_date_range"),
     ({"start": "2026-10-10", "end": "x"}, "invalid_date_range"),
     ({"start": "2026-10-10", "end": "2026-10-11", "days": 2}, "invalid_date_range"),
     ("2026-10-10", "invalid_date_range"),
     ({"start": "2000-01-01", "end": "2026-01-01"}, "range_too_long")],
)
def test_date_range_is_refused_when_it_is_incomplete_or_reversed(value: Json, code: str) -> None:
    assert check(leave_request(), {"f_period": value}) == [("f_period", code)]


def test_date_range_message_says_what_is_wrong_when_end_is_before_start() -> None:
    values = {"f_period": {"start": "2026-10-10", "end": "2026-09-30"}}

    result = validate(leave_request(), values, today=TODAY)

    assert result.errors[0].message == "请假时间的结束日期不能早于开始日期"


# --- choices --------------------------------------------------------------------------------

CHOICES = schema(
    field("f_one", "single_choice", "类型", options=["差旅", "办公"], allow_other=True),
    field("f_many", "multi_choice", "标签", options=["a", "b", "c"], allow_other=True,
          min_choices=2, max_choices=3),
    field("f_strict", "single_choice", "级别", options=["高", "低"]),
)


def test_choices_are_accepted_when_they_are_options_or_other_text() -> None:
    values = {"f_one": {"other": " 培训 "}, "f_many": ["a", {"other": "d"}], "f_strict": "高"}

    assert cleaned(CHOICES, values) == {"f_one": {"other": "培训"},
                                        "f_many": ["a", {"other": "d"}], "f_strict": "高"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"f_one": "餐饮"}, [("f_one", "invalid_choice")]),
        ({"f_one": {"other": "  "}}, [("f_one", "other_text_required")]),
        ({"f_one": {"other": 5}}, [("f_one", "other_text_required")]),
        ({"f_strict": {"other": "中"}}, [("f_strict", "other_not_allowed")]),
        ({"f_one": 1}, [("f_one", "invalid_choice")]),
        ({"f_many": ["a"]}, [("f_many", "too_few_choices")]),
        ({"f_many": ["a", "b", "c", {"other": "d"}]}, [("f_many", "too_many_choices")]),
        ({"f_many": ["a", "a"]}, [("f_many", "duplicate_choice")]),
        ({"f_many": [{"other": "x"}, {"other": "y"}]}, [("f_many", "duplicate_choice")]),
        ({"f_many": ["a", "z"]}, [("f_many", "invalid_choice")]),
        ({"f_many": "a"}, [("f_many", "invalid_choice")]),
    ],
)
def test_choice_is_refused_when_it_breaks_a_rule(values: dict[str, Json],
                                                 expected: list[tuple[str, str]]) -> None:
    assert check(CHOICES, values) == expected


def test_choice_message_names_the_value_when_it_is_not_an_option() -> None:
    result = validate(CHOICES, {"f_one": "餐饮"}, today=TODAY)

    assert result.errors[0].message == "类型的选项“餐饮”不在可选范围内，请重新选择"


# --- people, departments, files -------------------------------------------------------------

PEOPLE = schema(
    field("f_one", "person", "经办人"),
    field("f_many", "person", "参与人", multiple=True),
    field("f_dept", "department", "部门"),
)


def test_people_and_departments_are_accepted_when_ids_are_known() -> None:
    result = validate(PEOPLE, {"f_one": [12], "f_many": [12, 13], "f_dept": [3]}, today=TODAY,
                      known_people={12, 13}, known_departments={3})

    assert (result.errors, result.cleaned) == ([], {"f_one": [12], "f_many": [12, 13],
                                                    "f_dept": [3]})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"f_one": [12, 13]}, [("f_one", "only_one")]),
        ({"f_one": 12}, [("f_one", "invalid_person")]),
        ({"f_one": ["12"]}, [("f_one", "invalid_person")]),
        ({"f_one": [True]}, [("f_one", "invalid_person")]),
        ({"f_one": [0]}, [("f_one", "invalid_person")]),
        ({"f_many": [12, 12]}, [("f_many", "duplicate_id")]),
        ({"f_many": [12, 99]}, [("f_many", "unknown_person")]),
        ({"f_dept": [4]}, [("f_dept", "unknown_department")]),
        ({"f_dept": [[3]]}, [("f_dept", "invalid_department")]),
    ],
)
def test_people_are_refused_when_ids_are_malformed_or_unknown(
        values: dict[str, Json], expected: list[tuple[str, str]]) -> None:
    result = validate(PEOPLE, values, today=TODAY, known_people={12, 13}, known_departments={3})

    assert [(error.path, error.code) for error in result.errors] == expected


def test_unknown_person_message_names_the_id_when_the_person_is_gone() -> None:
    result = validate(PEOPLE, {"f_one": [99]}, today=TODAY, known_people={12})

    assert result.errors[0].message == "经办人中的人员（编号 99）不存在或已停用，请重新选择"


def test_membership_is_not_checked_when_no_sets_are_passed() -> None:
    assert check(PEOPLE, {"f_many": [1, 2, 3]}) == []


FILES = schema(
    field("f_file", "attachment", "附件", accept=["pdf"], max_files=2, max_size_mb=1),
    field("f_photo", "image", "照片", max_files=1),
    field("f_sign", "signature", "签名"),
)

STORE = {
    1: AttachmentInfo("pdf", 1024, True),
    2: AttachmentInfo("pdf", 2 * 1024 * 1024, True),
    3: AttachmentInfo("pdf", 10, False),
    4: AttachmentInfo("png", 10, True),
    5: AttachmentInfo("word", 10, True),
}


def validate_files(values: dict[str, Json]) -> list[tuple[str, str]]:
    result = validate(FILES, values, today=TODAY, resolve_attachment=STORE.get)
    return [(error.path, error.code) for error in result.errors]


def test_files_are_accepted_when_the_store_knows_them_and_they_fit() -> None:
    result = validate(FILES, {"f_file": [1], "f_photo": [4], "f_sign": [4]}, today=TODAY,
                      resolve_attachment=STORE.get)

    assert (result.errors, result.cleaned) == ([], {"f_file": [1], "f_photo": [4],
                                                    "f_sign": [4]})


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"f_file": [1, 1]}, [("f_file", "duplicate_id")]),
        ({"f_file": [1, 4, 5]}, [("f_file", "too_many_files")]),
        ({"f_file": [9]}, [("f_file", "attachment_not_found")]),
        ({"f_file": [3]}, [("f_file", "attachment_not_owned")]),
        ({"f_file": [5]}, [("f_file", "file_type_not_allowed")]),
        ({"f_file": [2]}, [("f_file", "file_too_large")]),
        ({"f_photo": [5]}, [("f_photo", "file_type_not_allowed")]),
        ({"f_sign": [4, 1]}, [("f_sign", "too_many_files")]),
        ({"f_file": "1"}, [("f_file", "invalid_attachment")]),
    ],
)
def test_files_are_refused_when_they_break_a_rule(values: dict[str, Json],
                                                  expected: list[tuple[str, str]]) -> None:
    assert validate_files(values) == expected


def test_file_size_message_names_the_limit_when_a_file_is_too_large() -> None:
    result = validate(FILES, {"f_file": [2]}, today=TODAY, resolve_attachment=STORE.get,
                      language="en")

    assert result.errors[0].message == ("A file in 附件 is larger than 1 MB; shrink it and upload "
                                        "it again")


# --- tables ---------------------------------------------------------------------------------

def test_cell_errors_point_at_row_and_column_when_a_row_is_invalid() -> None:
    values = expense_values() | {"f_items": [{"f_item": "交通", "f_amount": "100"},
                                             {"f_item": "住宿", "f_amount": "0"}]}

    result = validate(expense_claim(), values, today=TODAY)

    assert result.errors == [FieldError("f_items[1].f_amount", "min_value",
                                        "明细第 2 行的金额不能小于 0.01")]


def test_cell_messages_are_in_english_when_english_is_requested() -> None:
    values = expense_values() | {"f_items": [{"f_amount": "5"}]}

    result = validate(expense_claim(), values, today=TODAY, language="en")

    assert [error.message for error in result.errors] == ["Please fill in 项目 (row 1 of 明细)"]


ROWS = schema(field("f_t", "table", "明细", min_rows=2, max_rows=3,
                    columns=[field("f_c", "text", "项目")]))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"f_c": "a"}], [("f_t", "too_few_rows")]),
        ([], [("f_t", "too_few_rows")]),
        ([{"f_c": "a"}] * 4, [("f_t", "too_many_rows")]),
        ([{"f_c": "a"}, "row"], [("f_t[1]", "invalid_row")]),
        ({"f_c": "a"}, [("f_t", "invalid_table")]),
    ],
)
def test_table_is_refused_when_its_rows_break_a_rule(rows: Json,
                                                     expected: list[tuple[str, str]]) -> None:
    assert check(ROWS, {"f_t": rows}) == expected


def test_row_formulas_and_totals_are_computed_when_rows_have_price_and_quantity() -> None:
    form = schema(
        field("f_t", "table", "采购明细", totals=["f_qty", "f_sum"], columns=[
            field("f_price", "money", "单价"), field("f_qty", "number", "数量", decimals=0),
            field("f_sum", "formula", "小计", expression="f_price * f_qty", result="money")]),
        field("f_total", "formula", "总计", expression="SUM(f_t.f_sum)", result="money"),
    )
    values = {"f_t": [{"f_price": "12.50", "f_qty": 3}, {"f_price": "0.10", "f_qty": "3"}]}

    result = validate(form, values, today=TODAY)

    assert result.cleaned == {
        "f_t": [{"f_price": "12.50", "f_qty": "3", "f_sum": "37.50"},
                {"f_price": "0.10", "f_qty": "3", "f_sum": "0.30"}],
        "f_total": "37.80",
    }
    assert result.computed.totals == {"f_t": {"f_qty": "6", "f_sum": "37.80"}}
    assert result.computed.formulas == {"f_t[0].f_sum": "37.50", "f_t[1].f_sum": "0.30",
                                        "f_total": "37.80"}


def test_hidden_cells_are_dropped_when_a_column_condition_is_false() -> None:
    form = schema(field("f_t", "table", "明细", columns=[
        field("f_kind", "single_choice", "类别", options=["交通", "住宿"]),
        field("f_nights", "number", "晚数", decimals=0, required=True,
              visible_when={"field": "f_kind", "op": "eq", "value": "住宿"})]))

    assert cleaned(form, {"f_t": [{"f_kind": "交通", "f_nights": 2},
                                  {"f_kind": "住宿", "f_nights": 2}]}) == {
        "f_t": [{"f_kind": "交通"}, {"f_kind": "住宿", "f_nights": "2"}]}


def test_hidden_table_contributes_nothing_when_its_condition_is_false() -> None:
    form = schema(
        field("f_has", "single_choice", "有明细", options=["是", "否"]),
        field("f_t", "table", "明细", totals=["f_a"], columns=[field("f_a", "money", "金额")],
              visible_when={"field": "f_has", "op": "eq", "value": "是"}),
        field("f_total", "formula", "合计", expression="SUM(f_t.f_a)", result="money"),
    )

    result = validate(form, {"f_has": "否", "f_t": [{"f_a": "x"}]}, today=TODAY)

    assert (result.errors, result.cleaned) == ([], {"f_has": "否", "f_total": "0.00"})
    assert result.computed.totals == {}


# --- formulas -------------------------------------------------------------------------------

def test_formulas_run_in_dependency_order_when_one_uses_another() -> None:
    form = schema(
        field("f_gross", "formula", "含税", expression="ROUND(f_net * 1.06, 2)", result="money"),
        field("f_net", "formula", "不含税", expression="f_price * f_qty", result="money"),
        field("f_price", "money", "单价"),
        field("f_qty", "number", "数量", decimals=0),
    )

    result = validate(form, {"f_price": "100", "f_qty": "3"}, today=TODAY)

    assert result.cleaned == {"f_gross": "318.00", "f_net": "300.00", "f_price": "100.00",
                              "f_qty": "3"}


def test_visibility_can_depend_on_a_formula_when_the_formula_is_computed_first() -> None:
    form = schema(
        field("f_a", "money", "金额"),
        field("f_big", "formula", "大额", expression="f_a > 50000", result="text"),
        field("f_why", "text", "原因", required=True,
              visible_when={"field": "f_total", "op": "gt", "value": "50000"}),
        field("f_total", "formula", "合计", expression="f_a", result="money"),
    )

    assert check(form, {"f_a": "60000"}) == [("f_big", "formula_error"), ("f_why", "required")]
    assert check(form, {"f_a": "50000"}) == [("f_big", "formula_error")]


def test_formula_error_tells_the_user_what_to_check_when_dividing_by_zero() -> None:
    form = schema(field("f_total", "money", "总额"), field("f_qty", "number", "数量"),
                  field("f_unit", "formula", "单价", expression="f_total / f_qty"))

    result = validate(form, {"f_total": "10", "f_qty": "0"}, today=TODAY)

    assert result.errors == [FieldError("f_unit", "formula_error",
                                        "单价无法计算：除数为 0，请检查参与计算的字段")]


def test_empty_numbers_count_as_zero_when_a_formula_adds_them() -> None:
    form = schema(field("f_a", "number", "甲"), field("f_b", "number", "乙"),
                  field("f_sum", "formula", "和", expression="f_a + f_b", decimals=1))

    assert cleaned(form, {"f_a": "1.5"}) == {"f_a": "1.50", "f_sum": "1.5"}


def test_date_formula_is_empty_when_a_date_it_needs_is_empty() -> None:
    form = schema(field("f_from", "date", "起"), field("f_to", "date", "止"),
                  field("f_days", "formula", "天数", expression="DATEDIF(f_from, f_to) + 1",
                        decimals=0))

    assert cleaned(form, {"f_from": "2026-09-30"}) == {"f_from": "2026-09-30"}
    assert cleaned(form, {"f_from": "2026-09-30", "f_to": "2026-10-10"})["f_days"] == "11"


def test_text_and_date_formulas_format_their_result_when_computed() -> None:
    form = schema(
        field("f_name", "text", "姓名"), field("f_day", "date", "日期"),
        field("f_title", "formula", "标题", expression="CONCAT(f_name, '的报销')", result="text"),
        field("f_due", "formula", "截止", expression="f_day + 7", result="date"),
        field("f_choice", "single_choice", "类型", options=["差旅"], allow_other=True),
        field("f_upper", "formula", "大写", expression="UPPER(f_choice)", result="text"),
    )

    assert cleaned(form, {"f_name": "李雷", "f_day": "2026-09-30",
                          "f_choice": {"other": "abc"}}) == {
        "f_name": "李雷", "f_day": "2026-09-30", "f_title": "李雷的报销", "f_due": "2026-10-07",
        "f_choice": {"other": "abc"}, "f_upper": "ABC"}


def test_formula_with_wrong_result_type_reports_an_error_when_computed() -> None:
    form = schema(field("f_n", "formula", "数", expression="'abc'", result="number"))

    assert check(form, {}) == [("f_n", "formula_error")]


# --- compute and idempotence ----------------------------------------------------------------

def test_compute_is_best_effort_when_some_values_are_invalid() -> None:
    values = {"f_items": [{"f_amount": "oops"}, {"f_amount": "2000"}], "f_type": 5}

    computed = compute(expense_claim(), values, today=TODAY)

    assert computed.formulas == {"f_total": "2000.00"}
    assert computed.totals == {"f_items": {"f_amount": "2000.00"}}


def test_cleaned_values_validate_again_without_errors_when_fed_back() -> None:
    first = validate(expense_claim(), expense_values(), today=TODAY)

    second = validate(expense_claim(), first.cleaned, today=TODAY)

    assert (second.errors, second.cleaned) == ([], first.cleaned)


def test_computed_values_convert_to_json_when_stored() -> None:
    values = {"f_period": {"start": "2026-09-30", "end": "2026-10-10"}}

    computed = compute(leave_request(), values, today=TODAY, calendar=StatutoryCalendar())

    assert computed.to_dict() == {
        "formulas": {}, "totals": {}, "money_capitals": {},
        "durations": {"f_period": {"calendar_days": 11, "working_days": 4}}}


def test_error_converts_to_the_documented_json_shape_when_serialised() -> None:
    error = FieldError("f_items[1].f_amount", "min_value", "明细第 2 行的金额不能小于 0.01")

    assert error.to_dict() == {"field": "f_items[1].f_amount", "code": "min_value",
                               "message": "明细第 2 行的金额不能小于 0.01"}


def test_large_amounts_keep_every_cent_when_summed() -> None:
    form = schema(field("f_t", "table", "明细", totals=["f_a"],
                        columns=[field("f_a", "money", "金额")]))
    cent: Json = {"f_a": "0.10"}
    rows: list[Json] = [cent] * 30 + [{"f_a": "999999999999.99"}]

    result = validate(form, {"f_t": rows}, today=TODAY)

    assert result.computed.totals == {"f_t": {"f_a": str(Decimal("999999999999.99") +
                                                          Decimal("3.00"))}}
