import pytest

from sopflow.form_templates.schema.design import DesignError, check_design
from sopflow.form_templates.schema.fields import Json

from .builders import expense_claim, field


def codes(data: object) -> list[tuple[str, str]]:
    return [(error.field_key, error.code) for error in check_design(data)]


def test_no_problems_are_reported_when_the_s1_expense_claim_is_checked() -> None:
    assert check_design(expense_claim().to_dict()) == []


def test_empty_form_is_fine_when_it_has_no_fields() -> None:
    assert check_design({"fields": []}) == []


@pytest.mark.parametrize(
    ("case", "fields", "expected"),
    [
        ("duplicate key", [field("f_a", "text"), field("f_a", "number")],
         [("f_a", "duplicate_key")]),
        ("duplicate key across columns",
         [field("f_a", "text"), field("f_t", "table", columns=[field("f_a", "money")])],
         [("f_t.f_a", "duplicate_key")]),
        ("invalid key", [field("amount", "text")], [("amount", "invalid_key")]),
        ("empty options", [field("f_a", "single_choice")], [("f_a", "empty_options")]),
        ("duplicate option", [field("f_a", "multi_choice", options=["x", "y", "x"])],
         [("f_a", "duplicate_option")]),
        ("min above max", [field("f_a", "number", min=10, max=1)],
         [("f_a", "min_greater_than_max")]),
        ("length min above max", [field("f_a", "text", min_length=10, max_length=5)],
         [("f_a", "min_greater_than_max")]),
        ("date min above max", [field("f_a", "date", min="2026-10-10", max="2026-10-01")],
         [("f_a", "min_greater_than_max")]),
        ("choices min above max",
         [field("f_a", "multi_choice", options=["x"], min_choices=3, max_choices=2)],
         [("f_a", "min_greater_than_max")]),
        ("rows min above max", [field("f_t", "table", min_rows=5, max_rows=2,
                                      columns=[field("f_c", "text")])],
         [("f_t", "min_greater_than_max")]),
        ("formula syntax", [field("f_a", "formula", expression="(1 +")],
         [("f_a", "formula_syntax")]),
        ("formula banned construct", [field("f_a", "formula", expression="f_b.__class__"),
                                      field("f_b", "number")],
         [("f_a", "formula_banned")]),
        ("formula unknown function", [field("f_a", "formula", expression="EVAL('1')")],
         [("f_a", "formula_unknown_function")]),
        ("formula wrong arity", [field("f_a", "formula", expression="IF(1, 2)")],
         [("f_a", "formula_arity")]),
        ("formula missing field", [field("f_a", "formula", expression="f_gone * 2")],
         [("f_a", "formula_unknown_field")]),
        ("formula missing column",
         [field("f_a", "formula", expression="SUM(f_t.f_gone)"),
          field("f_t", "table", columns=[field("f_c", "money")])],
         [("f_a", "formula_unknown_field")]),
        ("formula over a text column",
         [field("f_a", "formula", expression="SUM(f_t.f_c)"),
          field("f_t", "table", columns=[field("f_c", "text")])],
         [("f_a", "formula_bad_reference")]),
        ("formula over attachments", [field("f_a", "formula", expression="f_b + 1"),
                                      field("f_b", "attachment")],
         [("f_a", "formula_bad_reference")]),
        ("row formula reaching outside its row",
         [field("f_x", "number"),
          field("f_t", "table", columns=[field("f_c", "formula", expression="f_x")])],
         [("f_t.f_c", "formula_unknown_field")]),
        ("formula cycle", [field("f_a", "formula", expression="f_b + 1"),
                           field("f_b", "formula", expression="f_a + 1")],
         [("f_a", "cycle")]),
        ("formula refers to itself", [field("f_a", "formula", expression="f_a + 1")],
         [("f_a", "cycle")]),
        ("cycle through a visibility condition",
         [field("f_a", "formula", expression="f_b + 1"),
          field("f_b", "number", visible_when={"field": "f_a", "op": "gt", "value": 1})],
         [("f_a", "cycle")]),
        ("condition on a missing field",
         [field("f_a", "text", visible_when={"field": "f_gone", "op": "eq", "value": 1})],
         [("f_a", "condition_unknown_field")]),
        ("malformed condition",
         [field("f_a", "text"), field("f_b", "text", required_when={"field": "f_a", "op": "~"})],
         [("f_b", "condition_invalid")]),
        ("membership condition",
         [field("f_a", "department"),
          field("f_b", "text", visible_when={"field": "f_a", "op": "belongs_to", "value": [3]})],
         [("f_b", "condition_invalid")]),
        ("nested table", [field("f_t", "table", columns=[field("f_u", "table")])],
         [("f_t.f_u", "nested_table")]),
        ("table without columns", [field("f_t", "table")], [("f_t", "empty_table")]),
        ("total of a text column",
         [field("f_t", "table", totals=["f_c"], columns=[field("f_c", "text")])],
         [("f_t", "total_not_number")]),
        ("total of a missing column",
         [field("f_t", "table", totals=["f_x"], columns=[field("f_c", "money")])],
         [("f_t", "total_unknown_column")]),
        ("invalid default", [field("f_a", "money", default="1.234")],
         [("f_a", "invalid_default")]),
        ("default on a formula", [field("f_a", "formula", expression="1", default="2")],
         [("f_a", "invalid_setting")]),
        ("broken column", [field("f_t", "table", columns=[field("f_c", "money", min="x")])],
         [("f_t.f_c", "invalid_setting")]),
        ("unknown type", [field("f_a", "colour")], [("f_a", "unknown_type")]),
    ],
)
def test_problem_is_reported_on_the_field_when_design_has(
        case: str, fields: list[dict[str, Json]], expected: list[tuple[str, str]]) -> None:
    assert codes({"fields": fields}) == expected


def test_row_formulas_and_totals_pass_when_they_use_sibling_numeric_columns() -> None:
    fields = [field("f_t", "table", totals=["f_sum"], columns=[
        field("f_price", "money"), field("f_qty", "number", decimals=0),
        field("f_sum", "formula", expression="f_price * f_qty", result="money")]),
        field("f_total", "formula", expression="SUM(f_t.f_sum)", result="money")]

    assert check_design({"fields": fields}) == []


def test_today_is_accepted_when_a_date_default_or_bound_is_relative() -> None:
    fields = [field("f_a", "date", min="today", default="today"),
              field("f_b", "date", max="today", default="2026-01-01")]

    assert check_design({"fields": fields}) == []


def test_message_names_the_field_by_label_in_chinese_when_options_are_empty() -> None:
    errors = check_design({"fields": [field("f_a", "single_choice", "报销类型")]})

    assert errors == [DesignError("f_a", "empty_options", "字段“报销类型”至少需要一个选项")]


def test_message_names_the_field_by_label_in_english_when_asked() -> None:
    errors = check_design({"fields": [field("f_a", "single_choice", "报销类型")]}, "en")

    assert errors == [DesignError("f_a", "empty_options",
                                  "Field “报销类型” needs at least one option")]


def test_cycle_message_shows_the_chain_by_label_when_formulas_loop() -> None:
    errors = check_design({"fields": [field("f_a", "formula", "甲", expression="f_b"),
                                       field("f_b", "formula", "乙", expression="f_a")]})

    assert [error.message for error in errors] == [
        "字段“甲”的公式或显示条件形成了循环引用：甲 → 乙 → 甲"]


def test_column_message_names_table_and_column_when_a_column_key_repeats() -> None:
    errors = check_design({"fields": [
        field("f_a", "text", "事由"),
        field("f_t", "table", "明细", columns=[field("f_a", "money", "金额")])]})

    assert errors[0].message == "字段“明细的金额”的标识“f_a”与其他字段重复"


@pytest.mark.parametrize("data", [None, "x", 3, [], {"fields": "x"}, {"fields": [None, 1, "a"]}])
def test_garbage_is_reported_not_raised_when_design_is_not_json_of_a_schema(data: object) -> None:
    errors = check_design(data)

    assert len(errors) >= 1
    assert all(isinstance(error, DesignError) for error in errors)
