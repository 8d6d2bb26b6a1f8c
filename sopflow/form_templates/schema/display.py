"""How values and paths are shown to people (diffs, practice feedback). Presentation only."""

from __future__ import annotations

import json
import re
from typing import Final

from . import fields as f
from .cleaning import parse_decimal
from .messages import cell_label, join, message

_PATH: Final = re.compile(r"(?P<key>f_[A-Za-z0-9_]+?)(?:\[(?P<row>[0-9]+)\](?:\.(?P<column>.+))?)?")


def label_for_path(schema: f.Schema, path: str, language: str) -> str:
    """`f_items[1].f_amount` → 明细第 2 行的金额; unknown paths come back unchanged."""
    match = _PATH.fullmatch(path)
    item = schema.field(match["key"]) if match else None
    if match is None or item is None:
        return path
    if match["row"] is None:
        return item.label
    row_number = int(match["row"]) + 1
    column = item.settings.column(match["column"] or "") \
        if isinstance(item.settings, f.TableSettings) else None
    if column is None:
        return message("row_label", language, table=item.label, row=row_number)
    return cell_label(item.label, row_number, column.label, language)


def display_value(item: f.Field | None, value: f.Json, language: str) -> str:
    """A cleaned value as a person reads it: option labels, 是/否, 2026-09-30 ~ 2026-10-10."""
    if value is None or value == "" or value == []:
        return message("empty", language)
    settings = item.settings if item is not None else None
    if isinstance(settings, (f.SingleChoiceSettings, f.MultiChoiceSettings)):
        labels = {option.value: option.label for option in settings.options}
        items = value if isinstance(value, list) else [value]
        return join((_choice_text(choice, labels) for choice in items), language)
    if isinstance(value, bool):
        return message("yes" if value else "no", language)
    if isinstance(value, dict) and set(value) == {"start", "end"}:
        return f"{value['start']} ~ {value['end']}"
    if isinstance(value, list) and all(isinstance(part, (int, str)) for part in value):
        return join(value, language)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def same_value(item: f.Field | None, old: f.Json, new: f.Json) -> bool:
    """Equal as the field means them: empty is empty, "3200" equals "3200.00" for numbers."""
    if _is_empty(old) and _is_empty(new):
        return True
    if item is not None and item.is_numeric:
        old_number, new_number = parse_decimal(old), parse_decimal(new)
        if old_number is not None and new_number is not None:
            return old_number == new_number
    return old == new


def _choice_text(choice: f.Json, labels: dict[str, str]) -> str:
    if isinstance(choice, dict):
        return str(choice.get("other", ""))
    return labels.get(str(choice), str(choice))


def _is_empty(value: f.Json) -> bool:
    return value is None or value == "" or value == [] or value == {}
