"""Design-time checks: everything that makes a schema unpublishable, as messages for the designer.

`check_design` takes the raw JSON (it must cope with anything the designer UI or an import sends)
and reports every problem it can find, each pointing at the field by key and label.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Final

from sopflow.rules import conditions

from . import fields as f
from .cleaning import CleanContext, FieldError, Sink, clean_value
from .dates import WeekdayCalendar
from .formula import FUNCTIONS, FormulaSyntaxError, parse_formula
from .messages import CATALOGUE, join, message

_FORMULA_INPUT_TYPES: Final = frozenset({
    f.FieldType.TEXT, f.FieldType.TEXTAREA, f.FieldType.NUMBER, f.FieldType.MONEY,
    f.FieldType.DATE, f.FieldType.SINGLE_CHOICE, f.FieldType.FORMULA, f.FieldType.PHONE,
    f.FieldType.EMAIL,
})
_FORMULA_ERROR_ENTRIES: Final = {
    "syntax": "design.formula_syntax", "banned": "design.formula_banned",
    "unknown_function": "design.formula_unknown_function", "arity": "design.formula_arity",
    "unknown_name": "design.formula_unknown_field",
}
_SCHEMA_ERROR_ENTRIES: Final = {
    "invalid_schema": "design.invalid_schema", "invalid_field": "design.invalid_field",
    "missing_key": "design.missing_key", "missing_label": "design.missing_label",
    "invalid_key": "design.invalid_key", "duplicate_key": "design.duplicate_key",
    "unknown_type": "design.unknown_type", "unknown_setting": "design.unknown_setting",
    "invalid_setting": "design.invalid_setting", "nested_table": "design.nested_table",
}
_NO_MEMBERSHIP_OPS: Final = frozenset({"belongs_to", "not_belongs_to"})


@dataclass(frozen=True, slots=True)
class DesignError:
    """A problem in the schema; `field_key` is `f_key`, `f_table.f_column` or "" (whole form)."""

    field_key: str
    code: str
    message: str

    @property
    def field(self) -> str:
        return self.field_key

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field_key, "code": self.code, "message": self.message}


def check_design(data: object, language: str = "zh-hans") -> list[DesignError]:
    """Every problem that keeps `data` from being published; an empty list means it is fine.

    Checks structure (types, settings, key format), unique keys (table columns included),
    options, min/max pairs, defaults, tables and totals, conditions (well-formed, known fields)
    and formulas (syntax, allow-list, references, no cycles through formulas or conditions).
    """
    try:
        raw_fields = f.schema_field_list(data)
    except f.SchemaError as error:
        return [_structural(error, language)]
    errors: list[DesignError] = []
    parsed: list[f.Field] = []
    for position, raw in enumerate(raw_fields, start=1):
        try:
            parsed.append(f.Field.from_dict(raw))
        except f.SchemaError as error:
            errors.extend(_explain_structural(raw, error, position, language))
    checker = _Checker(language, errors)
    checker.check_keys(parsed)
    checker.check_scope(tuple(parsed), table=None)
    return errors


class _Checker:
    def __init__(self, language: str, errors: list[DesignError]) -> None:
        self.language = language
        self.errors = errors

    def add(self, path: str, code: str, /, entry: str | None = None, **args: object) -> None:
        self.errors.append(DesignError(path, code, message(entry or f"design.{code}",
                                                           self.language, **args)))

    def check_keys(self, parsed: list[f.Field]) -> None:
        seen: set[str] = set()
        for table, item in f.Schema(tuple(parsed)).walk():
            if item.key in seen:
                self.add(self.path(table, item), "duplicate_key", label=self.label(table, item),
                         key=item.key)
            seen.add(item.key)

    def path(self, table: f.Field | None, item: f.Field) -> str:
        return f"{table.key}.{item.key}" if table is not None else item.key

    def label(self, table: f.Field | None, item: f.Field) -> str:
        if table is None:
            return item.label
        return message("column_label", self.language, table=table.label, column=item.label)

    def check_scope(self, scope: tuple[f.Field, ...], table: f.Field | None) -> None:
        by_key = {item.key: item for item in scope}
        for item in scope:
            self.check_settings(table, item)
            self.check_default(table, item)
            for setting in ("visible_when", "required_when"):
                self.check_condition(table, item, setting, by_key)
            if isinstance(item.settings, f.FormulaSettings):
                self.check_formula(table, item, item.settings, by_key)
            if isinstance(item.settings, f.TableSettings):
                self.check_table(item, item.settings)
        self.check_cycles(scope, table)

    def check_settings(self, table: f.Field | None, item: f.Field) -> None:
        path, label = self.path(table, item), self.label(table, item)
        pairs: list[tuple[str, object, object]] = []
        match item.settings:
            case f.TextSettings() | f.TextareaSettings():
                pairs.append(("setting.length", item.settings.min_length,
                              item.settings.max_length))
            case f.NumberSettings() | f.MoneySettings():
                pairs.append(("setting.value", item.settings.min, item.settings.max))
            case f.DateSettings():
                pairs.append(("setting.date", item.settings.min, item.settings.max))
            case f.SingleChoiceSettings(options=options) | f.MultiChoiceSettings(
                    options=options):
                self.check_options(path, label, options)
                if isinstance(item.settings, f.MultiChoiceSettings):
                    pairs.append(("setting.choices", item.settings.min_choices,
                                  item.settings.max_choices))
        for entry, low, high in pairs:
            if _inverted(low, high):
                self.add(path, "min_greater_than_max", label=label,
                         setting=message(entry, self.language))

    def check_options(self, path: str, label: str, options: tuple[f.Option, ...]) -> None:
        if not options:
            self.add(path, "empty_options", label=label)
        seen: set[str] = set()
        for option in options:
            if option.value in seen:
                self.add(path, "duplicate_option", label=label, value=option.value)
            seen.add(option.value)

    def check_default(self, table: f.Field | None, item: f.Field) -> None:
        if item.default is None:
            return
        path, label = self.path(table, item), self.label(table, item)
        if not item.takes_input or isinstance(item.settings, f.TableSettings):
            self.add(path, "invalid_setting", label=label,
                     setting=message("setting.default", self.language))
            return
        settings = item.settings
        if isinstance(settings, f.DateSettings):
            if item.default == "today":
                return
            # A relative bound ("today") cannot be checked against a fixed default here.
            settings = f.DateSettings(min=None if settings.min == "today" else settings.min,
                                      max=None if settings.max == "today" else settings.max)
        problems: list[FieldError] = []
        context = CleanContext(language=self.language, today=date.max,
                               calendar=WeekdayCalendar())
        clean_value(replace(item, settings=settings), item.default,
                    Sink(path, label, context, problems))
        if problems:
            self.add(path, "invalid_default", label=label, reason=problems[0].message)

    def check_condition(self, table: f.Field | None, item: f.Field, setting: str,
                        scope: Mapping[str, f.Field]) -> None:
        condition: f.Condition | None = getattr(item, setting)
        if condition is None:
            return
        path, label = self.path(table, item), self.label(table, item)
        setting_name = message(f"setting.{setting}", self.language)
        try:
            conditions.validate(condition)
            names = conditions.referenced_fields(condition)
        except (conditions.ConditionError, TypeError, ValueError, LookupError):
            self.add(path, "condition_invalid", label=label, setting=setting_name)
            return
        if _uses_membership(condition):
            self.add(path, "condition_invalid", label=label, setting=setting_name)
            return
        for name in sorted(names):
            if name not in scope:
                self.add(path, "condition_unknown_field", label=label, setting=setting_name,
                         name=name)
        for leaf in _leaves(condition):
            target = scope.get(str(leaf.get("field")))
            op = str(leaf.get("op"))
            if target is not None and op not in operators_for(target):
                self.add(path, "condition_operator", label=label, setting=setting_name,
                         name=target.label or target.key, op=op)

    def check_formula(self, table: f.Field | None, item: f.Field,
                      settings: f.FormulaSettings, scope: Mapping[str, f.Field]) -> None:
        path, label = self.path(table, item), self.label(table, item)
        functions = join(FUNCTIONS, self.language)
        try:
            parsed = parse_formula(settings.expression)
        except FormulaSyntaxError as error:
            entry = _FORMULA_ERROR_ENTRIES[error.code]
            self.add(path, entry.removeprefix("design."), entry, label=label,
                     construct=error.detail, name=error.detail, functions=functions)
            return
        for reference in sorted(parsed.references):
            problem = _reference_problem(reference, scope, in_table=table is not None)
            if problem is not None:
                self.add(path, problem, f"design.{problem}", label=label, name=reference)

    def check_table(self, table: f.Field, settings: f.TableSettings) -> None:
        if not settings.columns:
            self.add(table.key, "empty_table", label=table.label)
        if settings.min_rows is not None and settings.max_rows is not None \
                and settings.min_rows > settings.max_rows:
            self.add(table.key, "min_greater_than_max", label=table.label,
                     setting=message("setting.rows", self.language))
        for column_key in settings.totals:
            column = settings.column(column_key)
            if column is None:
                self.add(table.key, "total_unknown_column", label=table.label, column=column_key)
            elif not column.is_numeric:
                self.add(table.key, "total_not_number", label=table.label, column=column.label)
        self.check_scope(settings.columns, table)

    def check_cycles(self, scope: tuple[f.Field, ...], table: f.Field | None) -> None:
        """Formulas and visibility conditions read other fields; those reads may not loop."""
        graph = {item.key: _dependencies(item) & {other.key for other in scope}
                 for item in scope}
        labels = {item.key: item.label for item in scope}
        reported: set[str] = set()
        for item in scope:
            chain = _find_cycle(item.key, graph)
            if chain is None or item.key in reported:
                continue
            reported.update(chain)
            self.add(self.path(table, item), "cycle", label=self.label(table, item),
                     chain=" → ".join(labels[key] for key in [*chain, chain[0]]))


def _structural(error: f.SchemaError, language: str, *, table: str = "",
                table_label: str = "") -> DesignError:
    key = f"{table}.{error.key}" if table and error.key else (error.key or table)
    label = error.label or error.key or f"#{error.position}"
    if error.code == "nested_table":
        label = table_label or label
    entry = f"setting.{error.setting}"
    setting = message(entry, language) if entry in CATALOGUE else error.setting
    text = message(_SCHEMA_ERROR_ENTRIES[error.code], language, label=label, key=error.key,
                   type=error.value, setting=setting, position=error.position)
    return DesignError(key, error.code, text)


def _explain_structural(raw: object, error: f.SchemaError, position: int,
                        language: str) -> list[DesignError]:
    """Point a broken table column at `f_table.f_column`, with the table's label."""
    if error.position == 0:
        error.position = position
    if not isinstance(raw, Mapping) or raw.get("type") != "table":
        return [_structural(error, language)]
    columns, table_key = raw.get("columns"), raw.get("key")
    if not isinstance(columns, list) or not isinstance(table_key, str):
        return [_structural(error, language)]
    table_label = str(raw.get("label", table_key))
    found: list[DesignError] = []
    for index, column in enumerate(columns, start=1):
        try:
            f.Field.from_dict(column, in_table=True)
        except f.SchemaError as column_error:
            if column_error.position == 0:
                column_error.position = index
            found.append(_structural(column_error, language, table=table_key,
                                     table_label=table_label))
    return found or [_structural(error, language)]


def _inverted(low: object, high: object) -> bool:
    if isinstance(low, int) and isinstance(high, int):
        return low > high
    if isinstance(low, Decimal) and isinstance(high, Decimal):
        return low > high
    if isinstance(low, date) and isinstance(high, date):
        return low > high
    return False


def _reference_problem(reference: str, scope: Mapping[str, f.Field], *,
                       in_table: bool) -> str | None:
    table_key, _, column_key = reference.partition(".")
    item = scope.get(table_key)
    if item is None or (column_key and in_table):
        return "formula_unknown_field"
    if not column_key:
        return None if item.type in _FORMULA_INPUT_TYPES else "formula_bad_reference"
    if not isinstance(item.settings, f.TableSettings):
        return "formula_unknown_field"
    column = item.settings.column(column_key)
    if column is None:
        return "formula_unknown_field"
    return None if column.is_numeric else "formula_bad_reference"


def _dependencies(item: f.Field) -> set[str]:
    found: set[str] = set()
    if item.visible_when is not None:
        with contextlib.suppress(conditions.ConditionError, TypeError, ValueError, LookupError):
            found |= conditions.referenced_fields(item.visible_when)
    if isinstance(item.settings, f.FormulaSettings):
        try:
            parsed = parse_formula(item.settings.expression)
        except FormulaSyntaxError:
            return found
        found |= {reference.partition(".")[0] for reference in parsed.references}
    return found


def _find_cycle(start: str, graph: Mapping[str, set[str]]) -> list[str] | None:
    """The keys of a cycle through `start`, in order, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        key, trail = stack.pop()
        for following in sorted(graph.get(key, set())):
            if following == start:
                return trail
            if following not in visited:
                visited.add(following)
                stack.append((following, [*trail, following]))
    return None


# Operators a condition may apply to a field, by the field's type (the designer offers the same).
_OPS_NUMBER: Final = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "between", "is_empty",
                                "not_empty"})
_OPS_TEXT: Final = frozenset({"eq", "ne", "contains", "not_contains", "is_empty", "not_empty"})
_OPS_CHOICE: Final = frozenset({"eq", "ne", "in", "not_in", "contains", "not_contains",
                                "is_empty", "not_empty"})
_OPS_PRESENCE: Final = frozenset({"is_empty", "not_empty"})


def operators_for(item: f.Field) -> frozenset[str]:
    """The condition operators that make sense for a field of this type."""
    if item.type in {f.FieldType.NUMBER, f.FieldType.MONEY, f.FieldType.DATE,
                     f.FieldType.DATETIME, f.FieldType.FORMULA}:
        return _OPS_NUMBER | (_OPS_TEXT if item.type is f.FieldType.FORMULA else frozenset())
    if item.type in {f.FieldType.TEXT, f.FieldType.TEXTAREA, f.FieldType.PHONE,
                     f.FieldType.EMAIL}:
        return _OPS_TEXT
    if item.type in {f.FieldType.SINGLE_CHOICE, f.FieldType.MULTI_CHOICE}:
        return _OPS_CHOICE
    if item.type in {f.FieldType.PERSON, f.FieldType.DEPARTMENT}:
        return frozenset({"in", "not_in", "contains", "not_contains"}) | _OPS_PRESENCE
    return _OPS_PRESENCE


def _leaves(condition: Mapping[str, f.Json]) -> list[Mapping[str, f.Json]]:
    for part in ("all", "any"):
        children = condition.get(part)
        if isinstance(children, list):
            return [leaf for child in children if isinstance(child, dict)
                    for leaf in _leaves(child)]
    negated = condition.get("not")
    if isinstance(negated, dict):
        return _leaves(negated)
    return [condition] if "field" in condition else []


def _uses_membership(condition: Mapping[str, f.Json]) -> bool:
    for part in ("all", "any"):
        children = condition.get(part)
        if isinstance(children, list):
            return any(isinstance(child, dict) and _uses_membership(child) for child in children)
    negated = condition.get("not")
    if isinstance(negated, dict):
        return _uses_membership(negated)
    return condition.get("op") in _NO_MEMBERSHIP_OPS
