from decimal import Decimal

import pytest

from sopflow.rules.conditions import ConditionError, evaluate, referenced_fields

VALUES = {"f_budget": "50000", "f_type": "差旅", "f_tags": ["a", "b"], "f_empty": "", "dept": 7}


def resolve(name: str) -> object:
    return VALUES.get(name)


@pytest.mark.parametrize(
    ("case", "condition", "expected"),
    [
        ("over 50,000 is strict", {"field": "f_budget", "op": "gt", "value": "50000"}, False),
        ("exactly 50,000 is ge", {"field": "f_budget", "op": "ge", "value": 50000}, True),
        (
            "decimal text equals number",
            {"field": "f_budget", "op": "eq", "value": "50000.00"},
            True,
        ),
        ("choice in list", {"field": "f_type", "op": "in", "value": ["差旅", "办公"]}, True),
        ("choice not in list", {"field": "f_type", "op": "not_in", "value": ["办公"]}, True),
        ("multi contains", {"field": "f_tags", "op": "contains", "value": "b"}, True),
        ("empty text", {"field": "f_empty", "op": "is_empty"}, True),
        ("missing operand is empty", {"field": "f_missing", "op": "is_empty"}, True),
        ("missing operand never greater", {"field": "f_missing", "op": "gt", "value": 1}, False),
        ("between inclusive", {"field": "f_budget", "op": "between", "value": [1, "50000"]}, True),
        (
            "all of two",
            {
                "all": [
                    {"field": "f_type", "op": "eq", "value": "差旅"},
                    {"field": "f_budget", "op": "lt", "value": 1},
                ]
            },
            False,
        ),
        (
            "any of two",
            {
                "any": [
                    {"field": "f_type", "op": "eq", "value": "差旅"},
                    {"field": "f_budget", "op": "lt", "value": 1},
                ]
            },
            True,
        ),
        ("not", {"not": {"field": "f_type", "op": "eq", "value": "差旅"}}, False),
        ("empty condition is the default branch", {}, True),
    ],
)
def test_condition_evaluates_as_expected(
    case: str, condition: dict[str, object], expected: bool
) -> None:
    assert evaluate(condition, resolve) is expected  # type: ignore[arg-type]  # test literals


def test_belongs_to_uses_the_membership_function() -> None:
    tree = {7: {7, 3}, 3: {3}}

    def belongs(value: object, container: object) -> bool:
        return container in tree.get(value, set())  # type: ignore[call-overload]  # ints in test

    assert evaluate({"field": "dept", "op": "belongs_to", "value": [3]}, resolve, belongs) is True
    assert (
        evaluate({"field": "dept", "op": "not_belongs_to", "value": [3]}, resolve, belongs) is False
    )


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ConditionError, match="unknown operator"):
        evaluate({"field": "f_type", "op": "matches", "value": ".*"}, resolve)


def test_referenced_fields_lists_every_operand() -> None:
    condition = {
        "all": [{"field": "a", "op": "eq", "value": 1}, {"not": {"field": "b", "op": "is_empty"}}]
    }

    assert referenced_fields(condition) == {"a", "b"}  # type: ignore[arg-type]  # test literal


def test_decimal_comparison_is_exact() -> None:
    assert (
        evaluate({"field": "x", "op": "gt", "value": "0.1"}, lambda _: Decimal("0.10000001"))
        is True
    )
