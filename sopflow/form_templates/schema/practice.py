"""Practice forms in training: validate like a real submission, then compare with the answer."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date

from . import fields as f
from .cleaning import AttachmentResolver
from .dates import WorkCalendar
from .display import display_value, label_for_path, same_value
from .messages import cell_label, message
from .validate import DEFAULT_CALENDAR, validate


@dataclass(frozen=True, slots=True)
class PracticeMistake:
    path: str
    label: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "label": self.label, "message": self.message}


def check_practice(schema: f.Schema, values: object, expected: object, *,
                   language: str = "zh-hans", today: date,
                   calendar: WorkCalendar = DEFAULT_CALENDAR,
                   resolve_attachment: AttachmentResolver | None = None,
                   known_people: Collection[int] | None = None,
                   known_departments: Collection[int] | None = None) -> list[PracticeMistake]:
    """Every mistake in a practice attempt: each validation error, then each field named in
    `expected` whose value differs (computed formulas included). A field with a validation
    error is not compared again. An empty list means the attempt is right."""
    result = validate(schema, values, language=language, today=today, calendar=calendar,
                      resolve_attachment=resolve_attachment, known_people=known_people,
                      known_departments=known_departments)
    answer = validate(schema, expected, language=language, today=today, calendar=calendar)
    mistakes = [PracticeMistake(error.path, label_for_path(schema, error.path, language),
                                error.message) for error in result.errors]
    flagged = {error.path for error in result.errors}
    named = expected if isinstance(expected, Mapping) else {}
    for item in schema.fields:
        if item.key not in named or item.key in flagged:
            continue
        wanted, given = answer.cleaned.get(item.key), result.cleaned.get(item.key)
        if isinstance(item.settings, f.TableSettings):
            mistakes.extend(_compare_rows(item, item.settings, wanted, given, flagged, language))
        elif not same_value(item, wanted, given):
            mistakes.append(_wrong(item.key, item.label, item, wanted, given, language))
    return mistakes


def _compare_rows(table: f.Field, settings: f.TableSettings, wanted: f.Json, given: f.Json,
                  flagged: set[str], language: str) -> list[PracticeMistake]:
    wanted_rows = wanted if isinstance(wanted, list) else []
    given_rows = given if isinstance(given, list) else []
    if len(wanted_rows) != len(given_rows):
        return [PracticeMistake(table.key, table.label, message(
            "practice.wrong_row_count", language, label=table.label,
            expected=len(wanted_rows), actual=len(given_rows)))]
    mistakes: list[PracticeMistake] = []
    for index, (wanted_row, given_row) in enumerate(zip(wanted_rows, given_rows, strict=True)):
        if not isinstance(wanted_row, dict) or not isinstance(given_row, dict):
            continue
        for column in settings.columns:
            path = f"{table.key}[{index}].{column.key}"
            if path in flagged:
                continue
            if not same_value(column, wanted_row.get(column.key), given_row.get(column.key)):
                label = cell_label(table.label, index + 1, column.label, language)
                mistakes.append(_wrong(path, label, column, wanted_row.get(column.key),
                                       given_row.get(column.key), language))
    return mistakes


def _wrong(path: str, label: str, item: f.Field, wanted: f.Json, given: f.Json,
           language: str) -> PracticeMistake:
    return PracticeMistake(path, label, message(
        "practice.wrong_value", language, label=label,
        expected=display_value(item, wanted, language),
        actual=display_value(item, given, language)))
