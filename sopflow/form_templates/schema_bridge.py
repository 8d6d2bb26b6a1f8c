"""The one place the Django side calls the pure `schema` package (design checks, validation,
formulas, diffs). It adapts the package's results to plain dicts for services and templates.

No validation or formula logic lives here: if something is missing, it belongs in `schema/`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class FieldError:
    """One problem, pointing at a field path such as `f_items[1].f_amount`."""

    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Evaluation:
    """Cleaned values, computed display values (formulas, totals, capital form, durations), errors."""

    cleaned: Json
    computed: Json
    errors: list[FieldError] = field(default_factory=list)
    hidden: frozenset[str] = frozenset()  # fields hidden by their display condition

    def errors_by_field(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for error in self.errors:
            found.setdefault(error.field, error.message)
        return found


def check_design(schema: Json, *, language: str = "zh-hans") -> list[FieldError]:
    """Problems that make a schema unpublishable (duplicate keys, bad formulas, empty options…)."""
    from .schema import design

    return [_error(item) for item in design.check_design(schema, language=language)]


def evaluate(
    schema: Json, values: Json, *, language: str = "zh-hans", today: date,
    resolve_attachment: Callable[[int], tuple[str, int, bool] | None] | None = None,
    known_people: Collection[int] | None = None,
    known_departments: Collection[int] | None = None,
    calendar: Any | None = None,
) -> Evaluation:
    """Validate `values` against `schema` and compute formulas; the server is the authority.

    `resolve_attachment(id)` answers (kind, size, may_attach) or None for an unknown id.
    `calendar` (any `is_working_day(day)` object, e.g. the company's) counts working days;
    Monday to Friday without it.
    """
    from .schema import validate
    from .schema.cleaning import AttachmentInfo

    resolver = None
    if resolve_attachment is not None:
        def resolver(pk: int) -> AttachmentInfo | None:
            found = resolve_attachment(pk)
            return AttachmentInfo(*found) if found is not None else None

    extra: dict[str, Any] = {"calendar": calendar} if calendar is not None else {}
    result = validate.validate(
        parsed_schema(schema), values, language=language, today=today,
        resolve_attachment=resolver, known_people=known_people,
        known_departments=known_departments, **extra)
    return Evaluation(
        cleaned=_jsonable(result.cleaned),
        computed=_flatten(result.computed.to_dict()),
        errors=[_error(item) for item in result.errors],
        hidden=frozenset(result.hidden),
    )


def shared_schema(version_id: int, text: str) -> Json:
    """The decoded schema of a stored version, one shared dict per (version, stored text) in
    this process (published schemas never change): decoding and `evaluate`'s parsing then
    happen once per version, not per submit. Read it, never change it in place (editing goes
    through the ORM and gets its own dict)."""
    found = _SHARED.get(version_id)
    if found is not None and found[0] == text:
        return found[1]
    if found is not None:
        _PARSED.pop(id(found[1]), None)
    if len(_SHARED) > 1000:
        _SHARED.clear()
        _PARSED.clear()
    decoded: Json = json.loads(text)
    _SHARED[version_id] = (text, decoded)
    _PARSED[id(decoded)] = (decoded, [])
    return decoded


def parsed_schema(schema: Json) -> Any:
    """`Schema.from_dict(schema)`; for a `shared_schema` dict, parsed once."""
    from .schema import fields

    entry = _PARSED.get(id(schema))
    if entry is None or entry[0] is not schema:
        return fields.Schema.from_dict(schema)
    if not entry[1]:
        entry[1].append(fields.Schema.from_dict(schema))
    return entry[1][0]


# version id → (stored text, decoded dict); id(decoded dict) → (the dict, [its parsed Schema]).
# `_SHARED` keeps every indexed dict alive, so an id in `_PARSED` always means that dict.
_SHARED: dict[int, tuple[str, Json]] = {}
_PARSED: dict[int, tuple[Json, list[Any]]] = {}


def diff_schemas(old: Json, new: Json, *, language: str = "zh-hans") -> list[Json]:
    """Field-by-field changes between two schemas: [{"change", "key", "label", "summary", …}]."""
    from .schema import diff, fields

    changes = diff.diff_schemas(fields.Schema.from_dict(old), fields.Schema.from_dict(new),
                                language=language)
    return [{"change": str(change.kind), **_jsonable(change)} for change in changes]


def iter_fields(schema: Json) -> Iterator[Json]:
    """Every field, with detail-table columns after their table (JSON walk, no validation)."""
    for item in schema.get("fields", []):
        yield item
        yield from item.get("columns", []) if item.get("type") == "table" else []


def find_field(schema: Json, key: str) -> Json | None:
    """A field by key; a table column is `f_table.f_column`."""
    table_key, _, column_key = key.partition(".")
    for item in schema.get("fields", []):
        if item.get("key") != table_key:
            continue
        if not column_key:
            return dict(item)
        for column in item.get("columns", []):
            if column.get("key") == column_key:
                return dict(column)
    return None


def _flatten(computed: Json) -> Json:
    """The package's grouped `Computed` as one dict per path, as the renderer reads it:
    {"f_total": {"display", "capital"}, "f_items.f_amount": {...}, "f_leave": {"calendar_days",
    "working_days"}, "f_amount": {"capital"}}."""
    flat: dict[str, dict[str, Any]] = {}
    capitals = computed.get("money_capitals", {})
    for key, display in computed.get("formulas", {}).items():
        flat.setdefault(key, {})["display"] = display
    for table, columns in computed.get("totals", {}).items():
        for column, display in columns.items():
            flat.setdefault(f"{table}.{column}", {})["display"] = display
    for key, capital in capitals.items():
        flat.setdefault(key, {})["capital"] = capital
    for key, duration in computed.get("durations", {}).items():
        flat.setdefault(key, {}).update(duration)
    return flat


def _error(item: Any) -> FieldError:
    if isinstance(item, dict):
        return FieldError(str(item.get("field", "")), str(item.get("code", "")),
                          str(item.get("message", "")))
    return FieldError(str(getattr(item, "field", "")), str(getattr(item, "code", "")),
                      str(getattr(item, "message", "")))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
