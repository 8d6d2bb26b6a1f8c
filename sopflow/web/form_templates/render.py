"""Turning a schema plus values into view objects for the one form renderer
(`web/form_templates/_form.html`), and turning a posted form back into values JSON.

Presentation only: validation and formulas come from the schema package via the services.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import markdown
import nh3
from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

OTHER = "__other__"
FILE_TYPES = {"attachment", "image", "signature"}
LIST_TYPES = {"person", "department"} | FILE_TYPES
SKIP_INPUT = {"formula", "description"}
WIDTH_CLASSES = {"full": "col-12", "half": "col-12 col-md-6", "third": "col-12 col-md-4"}


@dataclass
class Choice:
    value: str
    label: str
    selected: bool


@dataclass
class Cell:
    field: FieldView
    name: str


@dataclass
class FieldView:
    """One field as the renderer needs it: settings, current value, errors, computed display."""

    key: str
    type: str
    label: str
    definition: dict[str, Any]
    value: Any = None
    error: str = ""
    computed: dict[str, Any] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)
    other_text: str = ""
    other_selected: bool = False
    files: list[Any] = field(default_factory=list)
    rows: list[list[FieldView]] = field(default_factory=list)
    columns: list[FieldView] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    dom_id: str = ""
    hidden: bool = False  # its display condition (`visible_when`) is false for the values

    @property
    def width_class(self) -> str:
        return WIDTH_CLASSES.get(str(self.definition.get("width", "full")), "col-12")

    @property
    def required(self) -> bool:
        return bool(self.definition.get("required"))

    @property
    def help(self) -> str:
        return str(self.definition.get("help", ""))

    @property
    def placeholder(self) -> str:
        return str(self.definition.get("placeholder", ""))

    @property
    def text_value(self) -> str:
        return "" if self.value is None or isinstance(self.value, dict | list) else str(self.value)

    @property
    def range_start(self) -> str:
        return str(self.value.get("start", "")) if isinstance(self.value, dict) else ""

    @property
    def range_end(self) -> str:
        return str(self.value.get("end", "")) if isinstance(self.value, dict) else ""

    @property
    def description_html(self) -> SafeString:
        return render_markdown(str(self.definition.get("text", "")))

    @property
    def accept_attr(self) -> str:
        if self.type in {"image", "signature"}:
            return "image/jpeg,image/png"
        kinds = self.definition.get("accept") or ["pdf", "word", "excel", "jpg", "png"]
        extensions = {"pdf": ".pdf", "word": ".doc,.docx", "excel": ".xls,.xlsx",
                      "jpg": ".jpg,.jpeg", "png": ".png"}
        return ",".join(extensions.get(kind, "") for kind in kinds)

    @property
    def display(self) -> str:
        """Read-only text of the value."""
        if self.choices:
            labels = [choice.label for choice in self.choices if choice.selected]
            if self.other_selected:
                labels.append(f"其他：{self.other_text}")
            return "、".join(labels)
        if self.type == "date_range" and isinstance(self.value, dict):
            return f"{self.range_start} 至 {self.range_end}"
        if self.type == "money":
            return money_text(self.text_value)
        return self.text_value


def is_money(definition: dict[str, Any]) -> bool:
    """A money field, or a formula whose result is money."""
    kind = definition.get("type")
    return kind == "money" or (kind == "formula" and definition.get("result") == "money")


def money_text(value: Any) -> str:
    """How money is shown: 3200 / "3200.00" → "3,200.00". The stored value never changes;
    text that is not a number comes back as it is."""
    from sopflow.form_templates.schema.cleaning import parse_decimal

    number = parse_decimal(value) if value not in (None, "") else None
    if number is None:
        return "" if value is None else str(value)
    return f"{number:,.2f}"


def dom_id(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "-", path)


def build_fields(
    schema: dict[str, Any], values: dict[str, Any], *, computed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, files: dict[int, Any] | None = None,
    people: list[tuple[int, str]] | None = None, departments: list[tuple[int, str]] | None = None,
    hidden: frozenset[str] | set[str] | None = None,
) -> list[FieldView]:
    computed = computed or {}
    hidden = hidden or frozenset()
    errors = errors or {}
    lookups = {"person": people or [], "department": departments or []}
    views = []
    for definition in schema.get("fields", []):
        view = _view(definition, values.get(definition.get("key", "")), definition["key"],
                     lookups, files or {})
        view.computed = _as_dict(computed.get(view.key))
        if is_money(definition) and view.computed["display"]:
            view.computed["display"] = money_text(view.computed["display"])
        view.hidden = view.key in hidden
        view.error = "；".join(message for path, message in errors.items()
                              if path == view.key or path.startswith((f"{view.key}[",
                                                                      f"{view.key}.")))
        if view.type == "table":
            view.columns = [_view(column, None, f"{view.key}.__new__.{column['key']}", lookups,
                                  {}) for column in definition.get("columns", [])]
            money_columns = {column.get("key") for column in definition.get("columns", [])
                             if is_money(column)}
            view.totals = [{"key": column_key, "dom": dom_id(f"{view.key}.{column_key}"),
                            "value": _total(computed, view.key, column_key,
                                            money=column_key in money_columns)}
                           for column_key in definition.get("totals", [])]
            rows = view.value if isinstance(view.value, list) else []
            view.rows = [[_view(column, row.get(column["key"]) if isinstance(row, dict) else None,
                                f"{view.key}.{index}.{column['key']}", lookups, files or {})
                          for column in definition.get("columns", [])]
                         for index, row in enumerate(rows)]
            if not view.rows:
                view.rows = [[_view(column, column.get("default"),
                                    f"{view.key}.0.{column['key']}", lookups, {})
                              for column in definition.get("columns", [])]
                             for _ in range(max(1, int(definition.get("min_rows") or 1)))]
        views.append(view)
    return views


def values_from_post(schema: dict[str, Any], data: QueryDict) -> dict[str, Any]:
    """The values JSON from a posted fill form (names as the renderer writes them)."""
    values: dict[str, Any] = {}
    for definition in schema.get("fields", []):
        key = definition["key"]
        if definition.get("type") == "table":
            rows = []
            for index in data.getlist(f"{key}.__row"):
                row = {}
                for column in definition.get("columns", []):
                    cell = _read(column, data, f"{key}.{index}.{column['key']}")
                    if cell is not None:
                        row[column["key"]] = cell
                rows.append(row)
            values[key] = rows
            continue
        value = _read(definition, data, key)
        if value is not None:
            values[key] = value
    return values


def render_markdown(text: str) -> SafeString:
    """SOP text: Markdown to HTML, then sanitised by nh3 (no scripts, no event handlers)."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"])
    return mark_safe(nh3.clean(html))  # noqa: S308  (sanitised by nh3 just above)


def _read(definition: dict[str, Any], data: QueryDict, name: str) -> Any:
    kind = definition.get("type")
    if kind in SKIP_INPUT:
        return None
    if kind == "date_range":
        start, end = data.get(f"{name}.start", ""), data.get(f"{name}.end", "")
        return {"start": start, "end": end} if start or end else None
    if kind in LIST_TYPES:
        return [int(item) for item in data.getlist(name) if str(item).isdigit()]
    if kind == "multi_choice":
        chosen: list[Any] = [item for item in data.getlist(name) if item != OTHER]
        if OTHER in data.getlist(name):
            chosen.append({"other": data.get(f"{name}.other", "")})
        return chosen
    value = data.get(name)
    if value is None or value == "":
        return None
    if kind == "single_choice" and value == OTHER:
        return {"other": data.get(f"{name}.other", "")}
    return value


def _view(definition: dict[str, Any], value: Any, name: str, lookups: dict[str, list[Any]],
          files: dict[int, Any]) -> FieldView:
    kind = str(definition.get("type", "text"))
    view = FieldView(key=str(definition.get("key", "")), type=kind,
                     label=str(definition.get("label", "")), definition=definition,
                     value=value, name=name, dom_id=dom_id(name))
    if kind in {"single_choice", "multi_choice"}:
        chosen = value if isinstance(value, list) else [value]
        plain = {str(item) for item in chosen if isinstance(item, str)}
        other = next((item for item in chosen if isinstance(item, dict)), None)
        view.choices = [Choice(str(option.get("value")), str(option.get("label",
                               option.get("value"))), str(option.get("value")) in plain)
                        for option in definition.get("options", [])]
        view.other_selected = other is not None
        view.other_text = str(other.get("other", "")) if other else ""
    if kind in {"person", "department"}:
        chosen_ids = set(value) if isinstance(value, list) else set()
        view.choices = [Choice(str(pk), label, pk in chosen_ids) for pk, label in lookups[kind]]
    if kind in FILE_TYPES and isinstance(value, list):
        view.files = [files[pk] for pk in value if pk in files]
    return view


COMPUTED_KEYS = {"display": "", "capital": "", "calendar_days": None, "working_days": None}


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return COMPUTED_KEYS | value
    return COMPUTED_KEYS | ({} if value is None else {"display": str(value)})


def _total(computed: dict[str, Any], table_key: str, column_key: str, *,
           money: bool = False) -> str:
    found = computed.get(f"{table_key}.{column_key}")
    if isinstance(found, dict):
        found = found.get("display") or ""
    text = "" if found is None else str(found)
    return money_text(text) if money and text else text
