"""Condition operands, the operators each field type allows, readable text, and region analysis.

The condition editor offers only `operators_for(operand)`; the lint checks stored conditions with
the same table; `describe` turns a condition into the words shown in simulation and the tree.
`region` reduces an AND of simple leaves to per-operand constraints, so the lint can tell
overlapping, impossible and shadowed branches apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from sopflow.form_templates.schema.fields import Field, FieldType, Schema
from sopflow.rules.conditions import Json
from sopflow.workflow.engine import PERSON_DEPARTMENT_SUFFIX

from .messages import join, message, operator_label


class OperandKind(StrEnum):
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    CHOICE = "choice"
    PERSON = "person"
    DEPARTMENT = "department"
    POSITION = "position"
    ROLES = "roles"
    PRESENCE = "presence"  # files, tables, signatures: only "filled / not filled"


OPERATORS: Final[Mapping[OperandKind, tuple[str, ...]]] = {
    OperandKind.NUMBER: ("gt", "ge", "lt", "le", "eq", "ne", "between", "is_empty", "not_empty"),
    OperandKind.DATE: ("gt", "ge", "lt", "le", "eq", "between", "is_empty", "not_empty"),
    OperandKind.TEXT: ("eq", "ne", "contains", "not_contains", "is_empty", "not_empty"),
    OperandKind.CHOICE: ("in", "not_in", "is_empty", "not_empty"),
    OperandKind.PERSON: ("in", "not_in", "is_empty", "not_empty"),
    OperandKind.DEPARTMENT: ("belongs_to", "not_belongs_to", "is_empty", "not_empty"),
    OperandKind.POSITION: ("in", "not_in"),
    OperandKind.ROLES: ("contains", "not_contains"),
    OperandKind.PRESENCE: ("is_empty", "not_empty"),
}
OPERATOR_LABELS: Final[Mapping[str, str]] = {
    "gt": "大于", "ge": "大于等于", "lt": "小于", "le": "小于等于", "eq": "等于", "ne": "不等于",
    "between": "介于", "in": "属于", "not_in": "不属于", "contains": "包含",
    "not_contains": "不包含", "is_empty": "为空", "not_empty": "不为空",
    "belongs_to": "属于部门", "not_belongs_to": "不属于部门",
}
NO_VALUE_OPS: Final = frozenset({"is_empty", "not_empty"})
_FIELD_KINDS: Final[Mapping[FieldType, OperandKind]] = {
    FieldType.NUMBER: OperandKind.NUMBER, FieldType.MONEY: OperandKind.NUMBER,
    FieldType.DATE: OperandKind.DATE, FieldType.DATETIME: OperandKind.DATE,
    FieldType.TEXT: OperandKind.TEXT, FieldType.TEXTAREA: OperandKind.TEXT,
    FieldType.PHONE: OperandKind.TEXT, FieldType.EMAIL: OperandKind.TEXT,
    FieldType.SINGLE_CHOICE: OperandKind.CHOICE, FieldType.MULTI_CHOICE: OperandKind.CHOICE,
    FieldType.PERSON: OperandKind.PERSON, FieldType.DEPARTMENT: OperandKind.DEPARTMENT,
    FieldType.ATTACHMENT: OperandKind.PRESENCE, FieldType.IMAGE: OperandKind.PRESENCE,
    FieldType.SIGNATURE: OperandKind.PRESENCE, FieldType.TABLE: OperandKind.PRESENCE,
    FieldType.DATE_RANGE: OperandKind.PRESENCE,
}


@dataclass(frozen=True, slots=True)
class Operand:
    """Something a condition can test: a form field or an attribute of the initiator."""

    key: str
    label: str
    kind: OperandKind
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for choices
    multiple: bool = False  # a multi-choice (several values may match several branches)

    @property
    def operators(self) -> tuple[tuple[str, str], ...]:
        return tuple((op, OPERATOR_LABELS[op]) for op in OPERATORS[self.kind])


INITIATOR_OPERANDS: Final = (
    Operand("initiator.department", "发起人部门", OperandKind.DEPARTMENT),
    Operand("initiator.position", "发起人岗位", OperandKind.POSITION),
    Operand("initiator.roles", "发起人角色", OperandKind.ROLES),
)


def operands_of(schema: Schema, language: str = "zh-hans") -> dict[str, Operand]:
    """Every operand a condition may use for this form, by key (top-level fields only);
    the initiator's attributes are labelled in `language` (field labels are the form's own)."""
    found = {operand.key: Operand(operand.key, message(f"operand.{operand.key}", language),
                                  operand.kind) for operand in INITIATOR_OPERANDS}
    for field in schema.fields:
        kind = field_kind(field)
        if kind is not None:
            options = tuple((o.value, o.label) for o in getattr(field.settings, "options", ()))
            found[field.key] = Operand(field.key, field.label, kind, options,
                                       multiple=field.type is FieldType.MULTI_CHOICE)
            if kind is OperandKind.PERSON:
                # "belongs to department" for people: the engine resolves `<key>.department`
                # to each chosen person's main department through the org directory.
                key = f"{field.key}{PERSON_DEPARTMENT_SUFFIX}"
                found[key] = Operand(key, message("operand.person_department", language,
                                                  label=field.label), OperandKind.DEPARTMENT)
    return found


def field_kind(field: Field) -> OperandKind | None:
    if field.type is FieldType.FORMULA:
        return OperandKind.NUMBER if field.is_numeric else OperandKind.TEXT
    return _FIELD_KINDS.get(field.type)


def leaves(condition: Mapping[str, Json] | None) -> list[Mapping[str, Json]]:
    """The leaf rows of an AND condition (a single leaf or `{"all": [...]}`); [] otherwise."""
    if not condition:
        return []
    if "all" in condition:
        parts = condition["all"]
        if isinstance(parts, Sequence) and not isinstance(parts, str):
            return [part for part in parts if isinstance(part, Mapping) and "field" in part]
        return []
    return [condition] if "field" in condition else []


def is_plain_and(condition: Mapping[str, Json] | None) -> bool:
    """True for conditions the designer edits as rows: one leaf, or an `all` of leaves."""
    if not condition:
        return True
    if "all" in condition:
        parts = condition["all"]
        return isinstance(parts, Sequence) and not isinstance(parts, str) and all(
            isinstance(part, Mapping) and "field" in part for part in parts)
    return "field" in condition


def build_and(rows: Sequence[Mapping[str, Json]]) -> dict[str, Json]:
    """The condition stored for editor rows: one leaf stays a leaf, several become `all`."""
    kept = [dict(row) for row in rows]
    if not kept:
        return {}
    return kept[0] if len(kept) == 1 else {"all": kept}


def describe(condition: Mapping[str, Json] | None, operands: Mapping[str, Operand],
             names: Callable[[str, object], str] | None = None,
             language: str = "zh-hans") -> str:
    """Readable text in `language`: "预算金额 大于 50000 且 发起人部门 属于部门 市场部"."""
    if not condition:
        return message("cond.otherwise", language)
    if condition == {"not": {}}:
        return message("cond.unset", language)
    if "all" in condition or "any" in condition:
        joiner = message("cond.and" if "all" in condition else "cond.or", language)
        parts = condition.get("all") or condition.get("any") or []
        if isinstance(parts, Sequence) and not isinstance(parts, str):
            return joiner.join(describe(p, operands, names, language) for p in parts
                               if isinstance(p, Mapping))
    if "not" in condition and isinstance(condition["not"], Mapping):
        return message("cond.not", language,
                       text=describe(condition["not"], operands, names, language))
    key = str(condition.get("field"))
    operand = operands.get(key)
    label = operand.label if operand else key
    op = str(condition.get("op"))
    text = f"{label} {operator_label(op, language)}"
    if op in NO_VALUE_OPS:
        return text
    return f"{text} {value_text(condition.get('value'), operand, names, language)}"


def value_text(value: object, operand: Operand | None,
               names: Callable[[str, object], str] | None = None,
               language: str = "zh-hans") -> str:
    items = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    if operand is not None and operand.kind is OperandKind.NUMBER and len(items) == 2 and (
            isinstance(value, list)):
        return message("cond.range", language, low=items[0], high=items[1])
    shown: list[str] = []
    for item in items:
        if operand is not None and operand.options:
            shown.append(dict(operand.options).get(str(item), str(item)))
        elif operand is not None and names is not None and operand.kind in (
                OperandKind.DEPARTMENT, OperandKind.PERSON, OperandKind.POSITION):
            shown.append(names(operand.kind.value, item))
        else:
            shown.append(str(item))
    return join(shown, language)


# --- regions ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Interval:
    """Numbers between `low` and `high` (None = unbounded)."""

    low: Decimal | None = None
    low_open: bool = False
    high: Decimal | None = None
    high_open: bool = False

    def intersect(self, other: Interval) -> Interval:
        low, low_open = self.low, self.low_open
        if other.low is not None and (low is None or other.low > low or (
                other.low == low and other.low_open)):
            low, low_open = other.low, other.low_open
        high, high_open = self.high, self.high_open
        if other.high is not None and (high is None or other.high < high or (
                other.high == high and other.high_open)):
            high, high_open = other.high, other.high_open
        return Interval(low, low_open, high, high_open)

    @property
    def is_empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        return self.low > self.high or (self.low == self.high and (self.low_open
                                                                   or self.high_open))

    def within(self, other: Interval) -> bool:
        return self.is_empty or self.intersect(other) == self


@dataclass(frozen=True, slots=True)
class ValueSet:
    """Values in `values` (or, with `negated`, any value except those)."""

    values: frozenset[str]
    negated: bool = False

    def intersect(self, other: ValueSet) -> ValueSet:
        match (self.negated, other.negated):
            case (False, False):
                return ValueSet(self.values & other.values)
            case (False, True):
                return ValueSet(self.values - other.values)
            case (True, False):
                return ValueSet(other.values - self.values)
            case _:
                return ValueSet(self.values | other.values, negated=True)

    @property
    def is_empty(self) -> bool:
        return not self.negated and not self.values

    def within(self, other: ValueSet) -> bool:
        return self.intersect(other) == self or self.is_empty


type Constraint = Interval | ValueSet
type Region = dict[str, Constraint]


def region(condition: Mapping[str, Json] | None,
           operands: Mapping[str, Operand]) -> Region | None:
    """Per-operand constraints of an AND of number/choice leaves; None when not analysable."""
    if not is_plain_and(condition):
        return None
    found: Region = {}
    for leaf in leaves(condition):
        key = str(leaf.get("field"))
        operand = operands.get(key)
        constraint = _constraint(leaf, operand)
        if constraint is None:
            return None
        merged = _merge(found.get(key), constraint)
        if merged is None:
            return None
        found[key] = merged
    return found


def _merge(current: Constraint | None, constraint: Constraint) -> Constraint | None:
    """Both constraints at once; None when they are of different kinds (not analysable)."""
    match current, constraint:
        case None, _:
            return constraint
        case Interval(), Interval():
            return current.intersect(constraint)
        case ValueSet(), ValueSet():
            return current.intersect(constraint)
        case _:
            return None


def region_is_empty(found: Region) -> bool:
    return any(constraint.is_empty for constraint in found.values())


def regions_overlap(first: Region, second: Region) -> bool:
    for key in first.keys() & second.keys():
        a, b = first[key], second[key]
        if isinstance(a, Interval) and isinstance(b, Interval) and a.intersect(b).is_empty:
            return False
        if isinstance(a, ValueSet) and isinstance(b, ValueSet) and a.intersect(b).is_empty:
            return False
    return not region_is_empty(first) and not region_is_empty(second)


def region_within(inner: Region, outer: Region) -> bool:
    """True when every value in `inner` also satisfies `outer` (so `inner` is shadowed)."""
    for key, constraint in outer.items():
        mine = inner.get(key)
        if mine is None:
            return False
        match mine, constraint:
            case Interval(), Interval():
                if not mine.within(constraint):
                    return False
            case ValueSet(), ValueSet():
                if not mine.within(constraint):
                    return False
            case _:
                return False
    return True


def as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _constraint(leaf: Mapping[str, Json], operand: Operand | None) -> Constraint | None:
    if operand is None:
        return None
    op, value = str(leaf.get("op")), leaf.get("value")
    if operand.kind is OperandKind.NUMBER:
        if op == "between" and isinstance(value, Sequence) and not isinstance(value, str):
            low, high = as_decimal(value[0]), as_decimal(value[1])
            return None if low is None or high is None else Interval(low, False, high, False)
        number = as_decimal(value)
        if number is None:
            return None
        return {"gt": Interval(low=number, low_open=True), "ge": Interval(low=number),
                "lt": Interval(high=number, high_open=True), "le": Interval(high=number),
                "eq": Interval(number, False, number, False)}.get(op)
    if operand.kind is OperandKind.CHOICE and not operand.multiple and op in ("in", "not_in"):
        items = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        return ValueSet(frozenset(str(item) for item in items), negated=op == "not_in")
    return None
