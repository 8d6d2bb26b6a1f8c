"""Structured conditions: the only way routing branches and conditional fields are expressed.

A condition is JSON built by the UI, never code::

    {"all": [{"field": "f_budget", "op": "gt", "value": "50000"},
             {"field": "initiator.department", "op": "belongs_to", "value": [12]}]}
    {"any": [...]}            # OR
    {"not": {...}}            # negation
    {}                        # always true (the default branch "其他情况")

Operands are looked up through a `resolve(name)` callable supplied by the caller (form values,
initiator attributes). Membership ("belongs_to": department under a department) is answered by an
optional `belongs(value, container_id)` callable, so the org tree stays outside this module.
Unknown operators or malformed input raise `ConditionError`; a missing operand is `None`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

type Json = None | bool | int | float | str | Sequence[Json] | Mapping[str, Json]
Resolver = Callable[[str], object]
Membership = Callable[[object, object], bool]

COMPARISONS: Final = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "between"})
SET_OPS: Final = frozenset({"in", "not_in", "contains", "not_contains"})
OTHER_OPS: Final = frozenset({"is_empty", "not_empty", "belongs_to", "not_belongs_to"})
OPERATORS: Final = COMPARISONS | SET_OPS | OTHER_OPS


class ConditionError(ValueError):
    """The condition itself is malformed (not the data it is applied to)."""


def evaluate(
    condition: Mapping[str, Json] | None, resolve: Resolver, belongs: Membership | None = None
) -> bool:
    """True when `condition` holds for the operands `resolve` returns."""
    if not condition:
        return True
    if "all" in condition:
        return all(
            evaluate(_mapping(part), resolve, belongs) for part in _sequence(condition["all"])
        )
    if "any" in condition:
        return any(
            evaluate(_mapping(part), resolve, belongs) for part in _sequence(condition["any"])
        )
    if "not" in condition:
        return not evaluate(_mapping(condition["not"]), resolve, belongs)
    return _leaf(condition, resolve, belongs)


def referenced_fields(condition: Mapping[str, Json] | None) -> set[str]:
    """Every operand name used anywhere in the condition (for design-time checks)."""
    if not condition:
        return set()
    for key in ("all", "any"):
        if key in condition:
            found: set[str] = set()
            for part in _sequence(condition[key]):
                found |= referenced_fields(_mapping(part))
            return found
    if "not" in condition:
        return referenced_fields(_mapping(condition["not"]))
    field = condition.get("field")
    if not isinstance(field, str):
        raise ConditionError("condition leaf needs a 'field'")
    return {field}


def validate(condition: Mapping[str, Json] | None) -> None:
    """Raise ConditionError when the structure or an operator is not valid."""
    if not condition:
        return
    for key in ("all", "any"):
        if key in condition:
            for part in _sequence(condition[key]):
                validate(_mapping(part))
            return
    if "not" in condition:
        validate(_mapping(condition["not"]))
        return
    if not isinstance(condition.get("field"), str):
        raise ConditionError("condition leaf needs a 'field'")
    if condition.get("op") not in OPERATORS:
        raise ConditionError(f"unknown operator {condition.get('op')!r}")
    if condition["op"] == "between":
        bounds = condition.get("value")
        if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
            raise ConditionError("'between' needs [low, high]")


def _leaf(condition: Mapping[str, Json], resolve: Resolver, belongs: Membership | None) -> bool:
    validate(condition)
    op = str(condition["op"])
    actual = resolve(str(condition["field"]))
    expected = condition.get("value")
    if op == "is_empty":
        return _is_empty(actual)
    if op == "not_empty":
        return not _is_empty(actual)
    if op in ("belongs_to", "not_belongs_to"):
        if belongs is None:
            raise ConditionError("'belongs_to' needs a membership function")
        containers = (
            list(expected)
            if isinstance(expected, Sequence) and not isinstance(expected, str)
            else [expected]
        )
        values = (
            list(actual)
            if isinstance(actual, Sequence) and not isinstance(actual, str)
            else [actual]
        )
        hit = any(v is not None and belongs(v, c) for v in values for c in containers)
        return hit if op == "belongs_to" else not hit
    if op in SET_OPS:
        return _set_op(op, actual, expected)
    if _is_empty(actual):
        return op == "ne" and not _is_empty(expected)
    if op == "between" and isinstance(expected, Sequence):
        low, high = expected[0], expected[1]
        return _compare(actual, low) >= 0 and _compare(actual, high) <= 0
    result = _compare(actual, expected)
    return {
        "eq": result == 0,
        "ne": result != 0,
        "gt": result > 0,
        "ge": result >= 0,
        "lt": result < 0,
        "le": result <= 0,
    }[op]


def _set_op(op: str, actual: object, expected: Json) -> bool:
    options = (
        [str(item) for item in expected]
        if isinstance(expected, Sequence) and not isinstance(expected, str)
        else [str(expected)]
    )
    if op in ("in", "not_in"):
        values = (
            [str(v) for v in actual] if isinstance(actual, (list, tuple, set)) else [str(actual)]
        )
        hit = actual is not None and any(value in options for value in values)
        return hit if op == "in" else not hit
    haystack = (
        actual if isinstance(actual, (list, tuple, set)) else ([] if actual is None else [actual])
    )
    text_hit = isinstance(actual, str) and any(option in actual for option in options)
    hit = text_hit or any(str(item) in options for item in haystack)
    return hit if op == "contains" else not hit


def _compare(left: object, right: object) -> int:
    """-1/0/1. Numbers compare as Decimal (so "50000" == 50000.00), dates as ISO, text as text."""
    left_number, right_number = _decimal(left), _decimal(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    left_text, right_text = _text(left), _text(right)
    return (left_text > right_text) - (left_text < right_text)


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.replace(",", "").strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _text(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _is_empty(value: object) -> bool:
    return (
        value is None
        or value == ""
        or (isinstance(value, (list, tuple, set, dict)) and len(value) == 0)
    )


def _mapping(value: Json) -> Mapping[str, Json]:
    if not isinstance(value, Mapping):
        raise ConditionError("condition must be an object")
    return value


def _sequence(value: Json) -> Sequence[Json]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConditionError("'all'/'any' need a list")
    return value
