"""What changed: between two schema versions (for "what's new" notices) and between two value
sets of one submission (so an approver sees exactly what a resubmission changed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from . import fields as f
from .display import display_value, same_value
from .messages import CATALOGUE, Language, cell_label, message, normalize_language


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class SettingChange:
    setting: str
    old: f.Json
    new: f.Json


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One field (or table column: `key` is `f_table.f_column`) added, removed or changed."""

    kind: ChangeKind
    key: str
    label: str
    details: tuple[SettingChange, ...]
    summary: str
    table_label: str = ""

    def to_dict(self) -> dict[str, f.Json]:
        return {"kind": str(self.kind), "key": self.key, "label": self.label,
                "table_label": self.table_label, "summary": self.summary,
                "details": [{"setting": detail.setting, "old": detail.old, "new": detail.new}
                            for detail in self.details]}


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One changed value; `path` is `f_key`, `f_items[1].f_amount` or a whole row `f_items[2]`."""

    path: str
    label: str
    old: f.Json
    new: f.Json

    def to_dict(self) -> dict[str, f.Json]:
        return {"path": self.path, "label": self.label, "old": self.old, "new": self.new}


def diff_schemas(old: f.Schema, new: f.Schema, *,
                 language: str = "zh-hans") -> list[SchemaChange]:
    """Fields added, removed or changed from `old` to `new`, in the new form's order (removed
    fields last), table columns right after their table. Field order alone is not a change."""
    return _diff_fields(old.fields, new.fields, language, table_label="", prefix="")


def diff_values(schema: f.Schema, old: object, new: object, *,
                language: str = "zh-hans") -> list[ValueChange]:
    """Every value that differs between two cleaned value sets, in form order; table rows are
    compared cell by cell, and added or removed rows are reported as whole rows."""
    old_values = old if isinstance(old, Mapping) else {}
    new_values = new if isinstance(new, Mapping) else {}
    changes: list[ValueChange] = []
    for item in schema.fields:
        if item.type is f.FieldType.DESCRIPTION:
            continue
        before, after = _json(old_values.get(item.key)), _json(new_values.get(item.key))
        if isinstance(item.settings, f.TableSettings):
            changes.extend(_diff_rows(item, item.settings, before, after, language))
        elif not same_value(item, before, after):
            changes.append(ValueChange(item.key, item.label, before, after))
    return changes


def _diff_fields(old_fields: tuple[f.Field, ...], new_fields: tuple[f.Field, ...],
                 language: str, *, table_label: str, prefix: str) -> list[SchemaChange]:
    old_by_key = {item.key: item for item in old_fields}
    new_keys = {item.key for item in new_fields}
    changes: list[SchemaChange] = []
    for item in new_fields:
        before = old_by_key.get(item.key)
        if before is None:
            changes.append(_change(ChangeKind.ADDED, prefix + item.key, item.label, (),
                                   language, table_label))
            continue
        details = _setting_changes(before, item)
        if details:
            changes.append(_change(ChangeKind.CHANGED, prefix + item.key, item.label, details,
                                   language, table_label))
        if isinstance(item.settings, f.TableSettings):
            old_columns = before.settings.columns \
                if isinstance(before.settings, f.TableSettings) else ()
            changes.extend(_diff_fields(old_columns, item.settings.columns, language,
                                        table_label=item.label, prefix=f"{item.key}."))
    for item in old_fields:
        if item.key not in new_keys:
            changes.append(_change(ChangeKind.REMOVED, prefix + item.key, item.label, (),
                                   language, table_label))
    return changes


def _setting_changes(old: f.Field, new: f.Field) -> tuple[SettingChange, ...]:
    before, after = old.to_dict(), new.to_dict()
    before.pop("columns", None)
    after.pop("columns", None)
    names = [*after, *(name for name in before if name not in after)]
    return tuple(SettingChange(name, before.get(name), after.get(name))
                 for name in names if before.get(name) != after.get(name))


def _change(kind: ChangeKind, key: str, label: str, details: tuple[SettingChange, ...],
            language: str, table_label: str) -> SchemaChange:
    entry = f"diff.column_{kind}" if table_label else f"diff.{kind}"
    separator = "; " if normalize_language(language) is Language.EN else "；"
    text = separator.join(
        message("diff.detail", language, setting=_setting_name(detail.setting, language),
                old=display_value(None, detail.old, language),
                new=display_value(None, detail.new, language))
        for detail in details)
    summary = message(entry, language, label=label, table=table_label, details=text)
    return SchemaChange(kind, key, label, details, summary, table_label)


def _setting_name(setting: str, language: str) -> str:
    entry = f"setting.{setting}"
    return message(entry, language) if entry in CATALOGUE else setting


def _diff_rows(table: f.Field, settings: f.TableSettings, old: f.Json, new: f.Json,
               language: str) -> list[ValueChange]:
    old_rows = old if isinstance(old, list) else []
    new_rows = new if isinstance(new, list) else []
    changes: list[ValueChange] = []
    for index in range(max(len(old_rows), len(new_rows))):
        before = old_rows[index] if index < len(old_rows) else None
        after = new_rows[index] if index < len(new_rows) else None
        row_path = f"{table.key}[{index}]"
        if not isinstance(before, dict) or not isinstance(after, dict):
            if before != after:
                changes.append(ValueChange(row_path, message(
                    "row_label", language, table=table.label, row=index + 1), before, after))
            continue
        for column in settings.columns:
            old_cell, new_cell = before.get(column.key), after.get(column.key)
            if not same_value(column, old_cell, new_cell):
                changes.append(ValueChange(
                    f"{row_path}.{column.key}",
                    cell_label(table.label, index + 1, column.label, language),
                    old_cell, new_cell))
    return changes


def _json(value: object) -> f.Json:
    match value:
        case None | bool() | int() | float() | str():
            return value
        case list():
            return [_json(item) for item in value]
        case dict():
            return {str(key): _json(item) for key, item in value.items()}
    return str(value)
