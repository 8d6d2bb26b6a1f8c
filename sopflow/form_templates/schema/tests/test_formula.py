import ast
from datetime import date
from decimal import Decimal

import pytest

from sopflow.form_templates.schema.formula import (
    FormulaError,
    FormulaSyntaxError,
    FormulaValue,
    evaluate_formula,
    evaluate_tree,
    parse_formula,
)


def run(expression: str, **names: FormulaValue) -> object:
    """Evaluate with names given as keyword arguments; `f_t__f_c` stands for `f_t.f_c`."""
    return evaluate_formula(parse_formula(expression),
                            {name.replace("__", "."): value for name, value in names.items()})


def test_decimal_arithmetic_has_no_float_drift_when_adding_tenths() -> None:
    assert run("0.1 + 0.2") == Decimal("0.3")
    assert run("0.1 + 0.2 == 0.3") is True


def test_sum_over_a_table_column_adds_every_row_when_column_is_referenced() -> None:
    amounts = [Decimal("1200.00"), Decimal("2000.00")]

    assert run("ROUND(SUM(f_items.f_amount), 2)", f_items__f_amount=amounts) == Decimal("3200.00")


def test_references_are_collected_when_formula_mixes_fields_and_columns() -> None:
    parsed = parse_formula("SUM(f_items.f_amount) * f_rate + f_fee")

    assert parsed.references == frozenset({"f_items.f_amount", "f_rate", "f_fee"})


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("SUM(1, 2, 3.5)", Decimal("6.5")),
        ("ROUND(2.675, 2)", Decimal("2.68")),
        ("ROUND(2.5)", Decimal("3")),
        ("ROUND(-2.5)", Decimal("-3")),
        ("ROUND(1234, -2)", Decimal("1.2E+3")),
        ("MAX(3, 9, 4)", Decimal(9)),
        ("MIN(3, 9, 4)", Decimal(3)),
        ("ABS(0 - 7.5)", Decimal("7.5")),
        ("AVG(1, 2)", Decimal("1.5")),
        ("COUNT(1, 2, 3)", Decimal(3)),
        ("UPPER('abc')", "ABC"),
        ("LOWER('ABC')", "abc"),
        ("LEN('客户需求')", Decimal(4)),
        ("CONCAT('共', 3200.00, '元')", "共3200.00元"),
        ("IF(1 > 2, 'a', 'b')", "b"),
        ("10 % 3", Decimal(1)),
        ("1 / 4", Decimal("0.25")),
        ("-(2 - 5)", Decimal(3)),
        ("1 < 2 and 'a' != 'b'", True),
        ("not 0", True),
        ("'甲' + '乙'", "甲乙"),
    ],
)
def test_function_returns_expected_value_when_called_as(expression: str, expected: object) -> None:
    assert run(expression) == expected


def test_datedif_counts_days_months_and_years_when_given_two_dates() -> None:
    start, end = date(2025, 1, 31), date(2026, 10, 10)

    assert run("DATEDIF(f_a, f_b)", f_a=start, f_b=end) == Decimal(617)
    assert run("DATEDIF(f_a, f_b, 'M')", f_a=start, f_b=end) == Decimal(20)
    assert run("DATEDIF(f_a, f_b, 'Y')", f_a=start, f_b=end) == Decimal(1)


def test_datedif_counts_a_month_when_end_is_the_last_day_of_a_shorter_month() -> None:
    assert run("DATEDIF(f_a, f_b, 'M')", f_a=date(2026, 1, 31), f_b=date(2026, 2, 28)) == 1


def test_datedif_fails_when_end_is_before_start() -> None:
    with pytest.raises(FormulaError) as caught:
        run("DATEDIF(f_a, f_b)", f_a=date(2026, 10, 10), f_b=date(2026, 9, 30))

    assert caught.value.code == "invalid_argument"


def test_date_plus_days_gives_a_date_when_adding_a_whole_number() -> None:
    assert run("f_a + 3", f_a=date(2026, 9, 30)) == date(2026, 10, 3)
    assert run("f_b - f_a", f_a=date(2026, 9, 30), f_b=date(2026, 10, 10)) == Decimal(10)


def test_result_is_empty_when_a_needed_date_is_empty() -> None:
    assert run("DATEDIF(f_a, f_b)", f_a=None, f_b=date(2026, 9, 30)) is None


def test_empty_column_sums_to_zero_when_table_has_no_rows() -> None:
    assert run("SUM(f_items.f_amount)", f_items__f_amount=[]) == Decimal(0)
    assert run("AVG(f_items.f_amount)", f_items__f_amount=[]) == Decimal(0)
    assert run("COUNT(f_items.f_amount)", f_items__f_amount=[]) == Decimal(0)


def test_if_does_not_evaluate_the_other_branch_when_it_would_divide_by_zero() -> None:
    assert run("IF(f_qty == 0, 0, f_total / f_qty)", f_qty=Decimal(0), f_total=Decimal(5)) == 0


@pytest.mark.parametrize(
    ("expression", "names", "code"),
    [
        ("f_a / f_b", {"f_a": Decimal(1), "f_b": Decimal(0)}, "division_by_zero"),
        ("f_a % 0", {"f_a": Decimal(1)}, "division_by_zero"),
        ("'a' * 100000000", {}, "type_mismatch"),
        ("f_a * 2", {"f_a": "text"}, "type_mismatch"),
        ("'a' < 1", {}, "type_mismatch"),
        ("UPPER(1)", {}, "type_mismatch"),
        ("ROUND(1, 0.5)", {}, "invalid_argument"),
        ("DATEDIF(f_a, f_a, 'W')", {"f_a": date(2026, 1, 1)}, "invalid_argument"),
        ("f_a * f_a", {"f_a": Decimal("9E+600")}, "too_large"),
        ("0 / 0", {}, "division_by_zero"),
    ],
)
def test_evaluation_fails_with_a_code_when_inputs_cannot_be_computed(
        expression: str, names: dict[str, FormulaValue], code: str) -> None:
    with pytest.raises(FormulaError) as caught:
        evaluate_formula(parse_formula(expression), names)

    assert caught.value.code == code


@pytest.mark.parametrize(
    ("case", "expression", "code", "detail"),
    [
        ("dunder attribute", "f_a.__class__", "banned", ".__class__"),
        ("attribute walk", "f_a.real.__class__.__subclasses__()", "banned", ".__subclasses__"),
        ("attribute on a literal", "(1).__class__", "banned", ".__class__"),
        ("import builtin", "__import__('os')", "unknown_function", "__import__"),
        ("bare builtin name", "__builtins__", "unknown_name", "__builtins__"),
        ("open builtin", "open('/etc/passwd')", "unknown_function", "open"),
        ("power tower", "9**9**9**9", "banned", "**"),
        ("string bomb", "'a'*10**10", "banned", "**"),
        ("lambda", "lambda: 1", "banned", "lambda"),
        ("called lambda", "(lambda: 1)()", "banned", "lambda"),
        ("list comprehension", "[x for x in f_items.f_amount]", "banned", "for"),
        ("generator", "SUM(x for x in f_items.f_amount)", "banned", "for"),
        ("subscript", "f_items.f_amount[0]", "banned", "[]"),
        ("list literal", "SUM([1, 2])", "banned", "[]"),
        ("f-string", "f'{f_a}'", "banned", "f-string"),
        ("walrus", "(f_x := 1)", "banned", ":="),
        ("conditional expression", "1 if f_a else 2", "banned", "if … else"),
        ("keyword argument", "ROUND(f_a, ndigits=2)", "banned", "ROUND(…=…)"),
        ("star argument", "SUM(*f_a)", "banned", "SUM(…=…)"),
        ("membership", "'a' in f_a", "banned", "in / is"),
        ("identity", "f_a is None", "banned", "in / is"),
        ("None literal", "None", "banned", "None"),
        ("bit shift", "1 << 100000", "banned", "<<"),
        ("unknown function", "TODAY()", "unknown_function", "TODAY"),
        ("too few arguments", "IF(1, 2)", "arity", "IF"),
        ("too many arguments", "ABS(1, 2)", "arity", "ABS"),
        ("statement", "f_a = 1", "syntax", ""),
        ("two statements", "1; 2", "syntax", ""),
        ("unbalanced", "SUM(1", "syntax", ""),
        ("empty", "  ", "syntax", ""),
        ("deep nesting", "-" * 60 + "1", "banned", "nesting"),
        ("huge literal", "1e999999", "banned", "1e999999"),
    ],
)
def test_expression_is_refused_with_a_clear_reason_when_it_is_unsafe(
        case: str, expression: str, code: str, detail: str) -> None:
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_formula(expression)

    assert (caught.value.code, caught.value.detail) == (code, detail)


def test_evaluator_refuses_attribute_nodes_when_the_parse_check_is_bypassed() -> None:
    tree = ast.parse("f_a.__class__", mode="eval").body

    with pytest.raises(FormulaError) as caught:
        evaluate_tree(tree, {"f_a": Decimal(1)})

    assert caught.value.code == "invalid_argument"


def test_evaluator_refuses_subscripts_when_the_parse_check_is_bypassed() -> None:
    tree = ast.parse("f_a[0]", mode="eval").body

    with pytest.raises(FormulaError):
        evaluate_tree(tree, {"f_a": [Decimal(1)]})


def test_parsed_formulas_are_cached_when_the_same_expression_is_parsed_twice() -> None:
    assert parse_formula("f_a * 2") is parse_formula("f_a * 2")


def test_expression_over_the_length_limit_is_refused_when_parsed() -> None:
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_formula("1 + " * 300 + "1")

    assert caught.value.code == "banned"
