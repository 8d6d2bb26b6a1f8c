"""JSON values and the immutable form snapshot the engine routes on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sopflow.rules.conditions import Json

type JsonValue = None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]


def plain_json(value: Json) -> JsonValue:
    """Copy a condition-style JSON value (any Sequence/Mapping) into plain lists and dicts."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain_json(item) for key, item in value.items()}
    return [plain_json(item) for item in value]


def to_json(value: object) -> JsonValue:
    """Normalise a form value to plain JSON: Decimal and dates become strings, tuples lists.

    Raises TypeError for values JSON cannot hold (so a bad value fails at the edge, not later).
    """
    match value:
        case None | bool() | int() | str():
            return value
        case float():
            return value
        case Decimal():
            return str(value)
        case datetime() | date():
            return value.isoformat()
        case Mapping():
            return {str(key): to_json(item) for key, item in value.items()}
        case list() | tuple():
            return [to_json(item) for item in value]
        case set() | frozenset():
            return sorted((to_json(item) for item in value), key=str)
        case _:
            raise TypeError(f"form value {value!r} is not JSON-serialisable")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field whose value differs between two form snapshots."""

    key: str
    old: JsonValue
    new: JsonValue


@dataclass(frozen=True, slots=True)
class FormData:
    """Form values keyed by field key, sorted by key, normalised to JSON."""

    items: tuple[tuple[str, JsonValue], ...] = ()

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> FormData:
        return cls(tuple(sorted((str(key), to_json(item)) for key, item in values.items())))

    def get(self, key: str) -> JsonValue:
        for item_key, value in self.items:
            if item_key == key:
                return value
        return None

    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.items)

    def updated(self, changes: Mapping[str, object]) -> FormData:
        merged: dict[str, object] = dict(self.items)
        merged.update(changes)
        return FormData.from_mapping(merged)

    def diff(self, newer: FormData) -> tuple[FieldChange, ...]:
        """Field-level changes from `self` to `newer`, by key; a missing field counts as None."""
        keys = sorted(set(self.keys()) | set(newer.keys()))
        return tuple(
            FieldChange(key, self.get(key), newer.get(key))
            for key in keys
            if self.get(key) != newer.get(key)
        )

    def to_dict(self) -> dict[str, JsonValue]:
        return dict(self.items)
