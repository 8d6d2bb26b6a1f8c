"""Validate submitted values against a schema and compute formulas, totals and durations.

The server is the single authority: `validate` cleans every value, drops hidden fields, applies
required rules, computes formulas last (in dependency order) and refuses unknown keys. `compute`
runs the same pipeline for the fill page's live display and ignores the errors.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from sopflow.rules import conditions

from . import fields as f
from .cleaning import (
    AttachmentResolver,
    CleanContext,
    FieldError,
    Sink,
    clean_value,
    format_decimal,
    parse_decimal,
    parse_iso_date,
)
from .dates import Duration, WeekdayCalendar, WorkCalendar, count_days
from .formula import (
    FormulaError,
    FormulaSyntaxError,
    FormulaValue,
    evaluate_formula,
    parse_formula,
)
from .messages import cell_label, message
from .money import to_chinese_capital

DEFAULT_CALENDAR: Final = WeekdayCalendar()
_TEXT_TYPES: Final = frozenset({f.FieldType.TEXT, f.FieldType.TEXTAREA, f.FieldType.PHONE,
                                f.FieldType.EMAIL, f.FieldType.SINGLE_CHOICE})


@dataclass(frozen=True, slots=True)
class Computed:
    """Display values derived from the input. Keys are paths: `f_total`, `f_items[0].f_amount`;
    money capitals of column totals use `f_items.f_amount`."""

    formulas: dict[str, str] = field(default_factory=dict)
    totals: dict[str, dict[str, str]] = field(default_factory=dict)
    money_capitals: dict[str, str] = field(default_factory=dict)
    durations: dict[str, Duration] = field(default_factory=dict)

    def to_dict(self) -> dict[str, f.Json]:
        return {
            "formulas": dict[str, f.Json](self.formulas),
            "totals": {key: dict[str, f.Json](columns) for key, columns in self.totals.items()},
            "money_capitals": dict[str, f.Json](self.money_capitals),
            "durations": {key: {"calendar_days": duration.calendar_days,
                                "working_days": duration.working_days}
                          for key, duration in self.durations.items()},
        }


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """`cleaned` holds only visible, non-empty values (absent key = empty), formulas included."""

    cleaned: dict[str, f.Json]
    errors: list[FieldError]
    computed: Computed
    hidden: tuple[str, ...] = ()  # paths of top-level fields whose `visible_when` is false

    @property
    def is_valid(self) -> bool:
        return not self.errors


def validate(schema: f.Schema, values: object, *, language: str = "zh-hans", today: date,
             calendar: WorkCalendar = DEFAULT_CALENDAR,
             resolve_attachment: AttachmentResolver | None = None,
             known_people: Collection[int] | None = None,
             known_departments: Collection[int] | None = None) -> ValidationResult:
    """Clean and check `values` (any JSON) against `schema`; never raises on bad input.

    Hidden fields (`visible_when` false) are dropped and never required; values for formula and
    description fields are ignored; unknown keys are errors (`unknown_field`). People,
    departments and attachments are checked against the passed-in sets and resolver when given.
    """
    context = CleanContext(language=language, today=today, calendar=calendar,
                           resolve_attachment=resolve_attachment, known_people=known_people,
                           known_departments=known_departments)
    collector = _Collector()
    if not isinstance(values, Mapping):
        collector.errors.append(FieldError("", "invalid_values",
                                           message("invalid_values", language)))
        values = {}
    cleaned = _Scope(schema.fields, values, context, collector, prefix="",
                     label_of=lambda item: item.label).run()
    return ValidationResult(cleaned, collector.errors, collector.freeze(),
                            tuple(collector.hidden))


def compute(schema: f.Schema, values: object, *, today: date,
            calendar: WorkCalendar = DEFAULT_CALENDAR) -> Computed:
    """Formulas, totals, capital forms and durations for live display; invalid input counts as
    empty and nothing raises."""
    return validate(schema, values, today=today, calendar=calendar).computed


@dataclass(slots=True)
class _Collector:
    errors: list[FieldError] = field(default_factory=list)
    formulas: dict[str, str] = field(default_factory=dict)
    totals: dict[str, dict[str, str]] = field(default_factory=dict)
    money_capitals: dict[str, str] = field(default_factory=dict)
    durations: dict[str, Duration] = field(default_factory=dict)
    hidden: list[str] = field(default_factory=list)

    def freeze(self) -> Computed:
        return Computed(self.formulas, self.totals, self.money_capitals, self.durations)


class _Scope:
    """One set of sibling fields: the top level, or one row of a detail table.

    Values, visibility and formulas are resolved lazily with memoisation, so a condition may
    read a formula and a formula may read a field shown only under a condition; a cycle (refused
    at design time) resolves to empty instead of recursing forever.
    """

    def __init__(self, fields: tuple[f.Field, ...], raw: Mapping[object, object],
                 context: CleanContext, collector: _Collector, *, prefix: str,
                 label_of: Callable[[f.Field], str]) -> None:
        self.fields = {item.key: item for item in fields}
        self.order = fields
        self.raw = raw
        self.context = context
        self.collector = collector
        self.prefix = prefix
        self.label_of = label_of
        self.inputs: dict[str, f.Json] = {}
        self.input_errors: dict[str, list[FieldError]] = {}
        self.formula_values: dict[str, f.Json] = {}
        self.formula_errors: dict[str, list[FieldError]] = {}
        self.visibility: dict[str, bool] = {}
        self.in_progress: set[str] = set()
        # Display values of table rows wait here until the table is known to be visible.
        self.row_collectors: dict[str, _Collector] = {}

    def run(self) -> dict[str, f.Json]:
        for key in self.raw:
            if not isinstance(key, str) or key not in self.fields:
                self.collector.errors.append(FieldError(
                    self.path(str(key)), "unknown_field",
                    message("unknown_field", self.context.language, key=str(key)[:64])))
        for item in self.order:
            if item.takes_input:
                self._clean_input(item)
        cleaned: dict[str, f.Json] = {}
        for item in self.order:
            if not self.visible(item.key):
                self.collector.hidden.append(self.path(item.key))
                continue
            value = self.value(item.key)
            self.collector.errors.extend(self.input_errors.get(item.key, []))
            self.collector.errors.extend(self.formula_errors.get(item.key, []))
            if value is None and item.takes_input and not self.input_errors.get(item.key):
                self._check_required(item)
            if value is not None:
                cleaned[item.key] = value
                self._collect_display(item, value)
        return cleaned

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def visible(self, key: str) -> bool:
        if key not in self.visibility:
            item = self.fields[key]
            if key in self.in_progress:
                return True
            self.in_progress.add(key)
            self.visibility[key] = _holds(item.visible_when, self.resolve, default=True)
            self.in_progress.discard(key)
        return self.visibility[key]

    def resolve(self, name: str) -> object:
        """A condition operand: the cleaned value of a visible field, else None."""
        if name not in self.fields or name in self.in_progress or not self.visible(name):
            return None
        return self.value(name)

    def value(self, key: str) -> f.Json:
        item = self.fields[key]
        if item.type is f.FieldType.FORMULA:
            if key not in self.formula_values:
                self.formula_values[key] = self._compute_formula(item)
            return self.formula_values[key]
        return self.inputs.get(key)

    def _clean_input(self, item: f.Field) -> None:
        errors: list[FieldError] = []
        raw = self.raw.get(item.key)
        if isinstance(item.settings, f.TableSettings):
            self.inputs[item.key] = self._clean_table(item, item.settings, raw, errors)
        else:
            sink = Sink(self.path(item.key), self.label_of(item), self.context, errors)
            self.inputs[item.key] = clean_value(item, raw, sink)
        self.input_errors[item.key] = errors

    def _clean_table(self, table: f.Field, settings: f.TableSettings, raw: object,
                     errors: list[FieldError]) -> f.Json:
        sink = Sink(self.path(table.key), self.label_of(table), self.context, errors)
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            sink.add("invalid_table")
            return None
        limit = settings.max_rows or f.MAX_ROWS_CEILING
        if len(raw) > limit:
            sink.add("too_many_rows", max=limit, count=len(raw))
            return None
        if settings.min_rows is not None and len(raw) < settings.min_rows:
            sink.add("too_few_rows", min=settings.min_rows, count=len(raw))
        rows: list[f.Json] = []
        row_collector = _Collector()
        for index, row in enumerate(raw):
            row_path = f"{self.path(table.key)}[{index}]"
            if not isinstance(row, Mapping):
                row_collector.errors.append(FieldError(row_path, "invalid_row", message(
                    "invalid_row", self.context.language, label=message(
                        "row_label", self.context.language, table=table.label, row=index + 1))))
                continue
            rows.append(_Scope(
                settings.columns, row, self.context, row_collector, prefix=f"{row_path}.",
                label_of=_cell_labeller(table.label, index + 1, self.context.language),
            ).run())
        errors.extend(row_collector.errors)
        self.row_collectors[table.key] = row_collector
        return rows or None

    def _check_required(self, item: f.Field) -> None:
        required = item.required or (item.required_when is not None and _holds(
            item.required_when, self.resolve, default=False))
        if not required:
            return
        key = {f.FieldType.SINGLE_CHOICE: "required.choose", f.FieldType.MULTI_CHOICE:
               "required.choose", f.FieldType.PERSON: "required.choose",
               f.FieldType.DEPARTMENT: "required.choose", f.FieldType.ATTACHMENT:
               "required.upload", f.FieldType.IMAGE: "required.upload",
               f.FieldType.SIGNATURE: "required.upload", f.FieldType.TABLE: "required.rows",
               }.get(item.type, "required")
        self.collector.errors.append(FieldError(
            self.path(item.key), "required",
            message(key, self.context.language, label=self.label_of(item))))

    def _compute_formula(self, item: f.Field) -> f.Json:
        settings = item.settings
        if not isinstance(settings, f.FormulaSettings) or item.key in self.in_progress:
            return None
        self.in_progress.add(item.key)
        try:
            parsed = parse_formula(settings.expression)
            names = {reference: self._formula_name(reference) for reference in parsed.references}
            result = _format_result(evaluate_formula(parsed, names), settings)
        except FormulaSyntaxError:
            result = None  # refused at design time; a stored bad formula shows as empty
        except FormulaError as error:
            self.formula_errors[item.key] = [FieldError(
                self.path(item.key), "formula_error",
                message(f"formula.{error.code}", self.context.language,
                        label=self.label_of(item)))]
            result = None
        finally:
            self.in_progress.discard(item.key)
        return result

    def _formula_name(self, reference: str) -> FormulaValue:
        table_key, _, column_key = reference.partition(".")
        item = self.fields.get(table_key)
        if item is None or table_key in self.in_progress or not self.visible(table_key):
            return _empty_for(item, column_key)
        value = self.value(table_key)
        if column_key:
            column = item.settings.column(column_key) \
                if isinstance(item.settings, f.TableSettings) else None
            if column is None or not column.is_numeric or not isinstance(value, list):
                return []
            cells = [row.get(column_key) for row in value if isinstance(row, dict)]
            return [number for cell in cells if (number := parse_decimal(cell)) is not None]
        return _as_formula_value(item, value)

    def _collect_display(self, item: f.Field, value: f.Json) -> None:
        path = self.path(item.key)
        if item.type is f.FieldType.FORMULA and isinstance(value, str):
            self.collector.formulas[path] = value
        if item.is_money and isinstance(value, str):
            self._capital(path, value)
        if isinstance(item.settings, f.DateRangeSettings) and isinstance(value, dict):
            start, end = parse_iso_date(value.get("start")), parse_iso_date(value.get("end"))
            if start is not None and end is not None:
                self.collector.durations[path] = count_days(start, end, self.context.calendar)
        if isinstance(item.settings, f.TableSettings) and isinstance(value, list):
            self._merge_rows(item, item.settings, value)

    def _merge_rows(self, table: f.Field, settings: f.TableSettings,
                    rows: list[f.Json]) -> None:
        row_collector = self.row_collectors.pop(table.key, None)
        if row_collector is not None:
            self.collector.formulas.update(row_collector.formulas)
            self.collector.money_capitals.update(row_collector.money_capitals)
            self.collector.durations.update(row_collector.durations)
        totals: dict[str, str] = {}
        for column_key in settings.totals:
            column = settings.column(column_key)
            if column is None or not column.is_numeric:
                continue
            numbers = [number for row in rows if isinstance(row, dict)
                       if (number := parse_decimal(row.get(column_key))) is not None]
            total = format_decimal(sum(numbers, Decimal(0)), _decimals_of(column))
            totals[column_key] = total
            if column.is_money:
                self._capital(f"{self.path(table.key)}.{column_key}", total)
        if totals:
            self.collector.totals[self.path(table.key)] = totals

    def _capital(self, path: str, amount: str) -> None:
        number = parse_decimal(amount)
        if number is not None:
            self.collector.money_capitals[path] = to_chinese_capital(number)


def _cell_labeller(table_label: str, row_number: int,
                   language: str) -> Callable[[f.Field], str]:
    def label_of(column: f.Field) -> str:
        return cell_label(table_label, row_number, column.label, language)
    return label_of


def _holds(condition: f.Condition | None, resolve: Callable[[str], object], *,
           default: bool) -> bool:
    if condition is None:
        return default
    try:
        return conditions.evaluate(condition, resolve)
    except (conditions.ConditionError, TypeError, ValueError, LookupError):
        # Refused at design time; at run time a broken condition shows the field (no data is
        # hidden away) and does not make it required.
        return default


def _decimals_of(item: f.Field) -> int:
    match item.settings:
        case f.NumberSettings(decimals=decimals) | f.FormulaSettings(decimals=decimals):
            return 2 if item.is_money else decimals
    return 2


def _empty_for(item: f.Field | None, column_key: str) -> FormulaValue:
    if column_key:
        return []
    if item is None:
        return None
    return _as_formula_value(item, None)


def _as_formula_value(item: f.Field, value: f.Json) -> FormulaValue:
    """A cleaned JSON value as formulas see it: empty numbers are 0, empty text is ""."""
    if item.is_numeric:
        number = parse_decimal(value)
        return Decimal(0) if number is None else number
    settings = item.settings
    is_date_formula = (isinstance(settings, f.FormulaSettings)
                       and settings.result is f.FormulaResult.DATE)
    if is_date_formula or isinstance(settings, f.DateSettings):
        return parse_iso_date(value)
    if item.type in _TEXT_TYPES or isinstance(settings, f.FormulaSettings):
        if isinstance(value, dict):
            other = value.get("other")
            return other if isinstance(other, str) else ""
        return value if isinstance(value, str) else ""
    return None


def _format_result(value: Decimal | str | date | bool | None,
                   settings: f.FormulaSettings) -> str | None:
    if value is None:
        return None
    match settings.result:
        case f.FormulaResult.NUMBER | f.FormulaResult.MONEY:
            if not isinstance(value, Decimal) or isinstance(value, bool):
                raise FormulaError("type_mismatch")
            decimals = 2 if settings.result is f.FormulaResult.MONEY else settings.decimals
            if value.adjusted() >= 15:
                raise FormulaError("too_large")
            return format_decimal(value, decimals)
        case f.FormulaResult.DATE:
            if not isinstance(value, date):
                raise FormulaError("type_mismatch")
            return value.isoformat()
        case f.FormulaResult.TEXT:
            if isinstance(value, bool):
                raise FormulaError("type_mismatch")
            if isinstance(value, Decimal):
                return format(value, "f")
            if isinstance(value, date):
                return value.isoformat()
            return value
