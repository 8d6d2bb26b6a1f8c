"""One submitted value → its cleaned JSON form, or field errors. Type rules only.

Visibility, required rules, tables and formulas are decided in `validate.py`; this module sees a
single value and never raises on garbage (any JSON type, or none).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from . import fields as f
from .dates import WorkCalendar
from .messages import join, message

MAX_INTEGER_DIGITS: Final = 15
MAX_RANGE_DAYS: Final = 3_660
MAX_OTHER_LENGTH: Final = 500
_NUMBER: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?|[+-]?\.[0-9]+")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*")
_PHONE: Final = re.compile(r"1[3-9][0-9]{9}")
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_ID_NUMBER: Final = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with submitted values; `path` is `f_key`, `f_items[1].f_amount` or ""."""

    path: str
    code: str
    message: str

    @property
    def field(self) -> str:
        """The name docs/form-schema.md uses for `path` in the JSON error shape."""
        return self.path

    def to_dict(self) -> dict[str, str]:
        return {"field": self.path, "code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """What the upload store knows about an attachment id (the Django side answers)."""

    kind: str  # one of fields.FILE_KINDS, from the file's content, not its name
    size: int  # bytes
    owner_ok: bool  # the submitter may attach it (uploaded by them, or already on this item)


type AttachmentResolver = Callable[[int], AttachmentInfo | None]


@dataclass(frozen=True, slots=True)
class CleanContext:
    """Everything outside the values that rules depend on, passed in (no clock, no database)."""

    language: str
    today: date
    calendar: WorkCalendar
    resolve_attachment: AttachmentResolver | None = None
    known_people: Collection[int] | None = None
    known_departments: Collection[int] | None = None


class Sink:
    """Collects errors for one path, rendering messages with the field's label."""

    def __init__(self, path: str, label: str, context: CleanContext,
                 errors: list[FieldError]) -> None:
        self.path = path
        self.label = label
        self.context = context
        self.errors = errors

    def add(self, code: str, /, entry: str | None = None, **args: object) -> None:
        text = message(entry or code, self.context.language, label=self.label, **args)
        self.errors.append(FieldError(self.path, code, text))


def clean_value(field: f.Field, raw: object, sink: Sink) -> f.Json:
    """The cleaned value of a non-table input field; None when empty or invalid."""
    if _is_blank(raw):
        return None
    match field.settings:
        case f.TextSettings(min_length=low, max_length=high, pattern=pattern):
            return _text(raw, sink, low, high or f.TEXT_LENGTH_CEILING, pattern)
        case f.TextareaSettings(min_length=low, max_length=high):
            return _text(raw, sink, low, high or f.TEXTAREA_LENGTH_CEILING, f.TextPattern.NONE,
                         multiline=True)
        case f.PhoneSettings():
            return _text(raw, sink, None, 20, f.TextPattern.PHONE)
        case f.EmailSettings():
            return _text(raw, sink, None, 254, f.TextPattern.EMAIL)
        case f.NumberSettings(min=low, max=high, decimals=decimals):
            return _number(raw, sink, low, high, decimals, "invalid_number")
        case f.MoneySettings(min=low, max=high):
            return _number(raw, sink, low, high, 2, "invalid_money")
        case f.DateSettings(min=low, max=high):
            return _date(raw, sink, low, high)
        case f.DateTimeSettings():
            return _datetime(raw, sink)
        case f.DateRangeSettings():
            return _date_range(raw, sink)
        case f.SingleChoiceSettings(options=options, allow_other=allow_other):
            return _choice(raw, sink, options, allow_other)
        case f.MultiChoiceSettings():
            return _choices(raw, sink, field.settings)
        case f.PersonSettings(multiple=multiple):
            return _ids(raw, sink, multiple, "invalid_person", "unknown_person",
                        sink.context.known_people)
        case f.DepartmentSettings(multiple=multiple):
            return _ids(raw, sink, multiple, "invalid_department", "unknown_department",
                        sink.context.known_departments)
        case f.AttachmentSettings(accept=accept, max_files=max_files, max_size_mb=max_size_mb):
            return _files(raw, sink, max_files, frozenset(accept) or None, max_size_mb)
        case f.ImageSettings(max_files=max_files):
            return _files(raw, sink, max_files, f.IMAGE_KINDS, None)
        case f.SignatureSettings():
            return _files(raw, sink, 1, f.IMAGE_KINDS, None)
        case _:
            return None


def parse_decimal(raw: object) -> Decimal | None:
    """A finite decimal from JSON input: numbers, or text such as "3,200.00" and "３２００"."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return Decimal(raw) if abs(raw) < 10**MAX_INTEGER_DIGITS * 10 else None
    if isinstance(raw, float):
        return Decimal(repr(raw)) if raw == raw and abs(raw) < 1e300 else None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if not isinstance(raw, str) or len(raw) > 60:
        return None
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace(" ", "")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        return None


def parse_iso_date(raw: object) -> date | None:
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw.strip()):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def format_decimal(value: Decimal, decimals: int) -> str:
    """Half-up to `decimals` places, as plain text without exponent or negative zero."""
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = rounded.copy_abs()
    return format(rounded, "f")


def is_valid_id_number(text: str, today: date) -> bool:
    """18-digit mainland resident ID: checksum (GB 11643) and a real birth date not after today."""
    if not _ID_NUMBER.fullmatch(text):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != text[17]:
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= today


def _is_blank(raw: object) -> bool:
    if raw is None or raw == [] or raw == {}:
        return True
    return isinstance(raw, str) and not raw.strip()


def _text(raw: object, sink: Sink, low: int | None, high: int, pattern: f.TextPattern,
          *, multiline: bool = False) -> str | None:
    if not isinstance(raw, str) or "\x00" in raw:
        sink.add("invalid_text")
        return None
    text = raw.replace("\r\n", "\n").strip() if multiline else raw.strip()
    if pattern is f.TextPattern.PHONE:
        text = re.sub(r"[\s-]", "", text).removeprefix("+86")
        if not _PHONE.fullmatch(text):
            sink.add("invalid_phone")
            return None
    elif pattern is f.TextPattern.EMAIL:
        if len(text) > 254 or not _EMAIL.fullmatch(text):
            sink.add("invalid_email")
            return None
    elif pattern is f.TextPattern.ID_NUMBER:
        text = text.upper()
        if not is_valid_id_number(text, sink.context.today):
            sink.add("invalid_id_number")
            return None
    count = len(text)  # code points: a Chinese character counts as one
    if low is not None and count < low:
        sink.add("min_length", min=low, count=count)
        return None
    if count > high:
        sink.add("max_length", max=high, count=count, over=count - high)
        return None
    return text


def _number(raw: object, sink: Sink, low: Decimal | None, high: Decimal | None, decimals: int,
            invalid: str) -> str | None:
    number = parse_decimal(raw)
    if number is None:
        sink.add(invalid)
        return None
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        sink.add("number_too_large", digits=MAX_INTEGER_DIGITS)
        return None
    if number != number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):
        sink.add("too_many_decimals", decimals=decimals)
        return None
    if low is not None and number < low:
        sink.add("min_value", min=format(low, "f"))
        return None
    if high is not None and number > high:
        sink.add("max_value", max=format(high, "f"))
        return None
    return format_decimal(number, decimals)


def resolve_bound(bound: f.DateBound | None, today: date) -> date | None:
    return today if bound == "today" else bound if isinstance(bound, date) else None


def _date(raw: object, sink: Sink, low: f.DateBound | None,
          high: f.DateBound | None) -> str | None:
    day = parse_iso_date(raw)
    if day is None:
        sink.add("invalid_date")
        return None
    earliest = resolve_bound(low, sink.context.today)
    latest = resolve_bound(high, sink.context.today)
    if earliest is not None and day < earliest:
        sink.add("date_too_early", min=earliest.isoformat())
        return None
    if latest is not None and day > latest:
        sink.add("date_too_late", max=latest.isoformat())
        return None
    return day.isoformat()


def _datetime(raw: object, sink: Sink) -> str | None:
    moment: datetime | None = None
    if isinstance(raw, str) and _ISO_DATETIME.fullmatch(raw.strip()):
        try:
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            moment = None
    if moment is None or moment.utcoffset() is None:
        sink.add("invalid_datetime")
        return None
    return moment.isoformat()


def _date_range(raw: object, sink: Sink) -> dict[str, f.Json] | None:
    if not isinstance(raw, dict) or set(raw) - {"start", "end"}:
        sink.add("invalid_date_range")
        return None
    start_raw, end_raw = raw.get("start"), raw.get("end")
    if _is_blank(start_raw) and _is_blank(end_raw):
        return None
    start, end = parse_iso_date(start_raw), parse_iso_date(end_raw)
    if start is None or end is None:
        sink.add("invalid_date_range")
        return None
    if end < start:
        sink.add("range_end_before_start")
        return None
    if (end - start).days >= MAX_RANGE_DAYS:
        sink.add("range_too_long", days=MAX_RANGE_DAYS)
        return None
    return {"start": start.isoformat(), "end": end.isoformat()}


def _choice(raw: object, sink: Sink, options: Sequence[f.Option],
            allow_other: bool) -> f.Json:
    if isinstance(raw, str):
        if raw not in {option.value for option in options}:
            sink.add("invalid_choice", value=raw[:50])
            return None
        return raw
    if isinstance(raw, dict) and set(raw) == {"other"}:
        if not allow_other:
            sink.add("other_not_allowed")
            return None
        other = raw["other"]
        if not isinstance(other, str) or not other.strip() or "\x00" in other:
            sink.add("other_text_required")
            return None
        if len(other.strip()) > MAX_OTHER_LENGTH:
            count = len(other.strip())
            sink.add("max_length", max=MAX_OTHER_LENGTH, count=count,
                     over=count - MAX_OTHER_LENGTH)
            return None
        return {"other": other.strip()}
    sink.add("invalid_choice", value=str(raw)[:50])
    return None


def _choices(raw: object, sink: Sink, settings: f.MultiChoiceSettings) -> f.Json:
    if not isinstance(raw, list):
        sink.add("invalid_choice", value=str(raw)[:50])
        return None
    cleaned: list[f.Json] = []
    seen: set[str] = set()
    for item in raw:
        errors_before = len(sink.errors)
        value = _choice(item, sink, settings.options, settings.allow_other)
        if len(sink.errors) > errors_before:
            return None
        identity = "\x00other" if isinstance(value, dict) else str(value)
        if identity in seen:
            sink.add("duplicate_choice")
            return None
        seen.add(identity)
        cleaned.append(value)
    if settings.min_choices is not None and len(cleaned) < settings.min_choices:
        sink.add("too_few_choices", min=settings.min_choices)
        return None
    if settings.max_choices is not None and len(cleaned) > settings.max_choices:
        sink.add("too_many_choices", max=settings.max_choices)
        return None
    return cleaned


def _id_list(raw: object) -> list[int] | None:
    if not isinstance(raw, list):
        return None
    ids: list[int] = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**63:
            return None
        ids.append(item)
    return ids


def _ids(raw: object, sink: Sink, multiple: bool, invalid: str, unknown: str,
         known: Collection[int] | None) -> f.Json:
    ids = _id_list(raw)
    if ids is None:
        sink.add(invalid)
        return None
    if not multiple and len(ids) > 1:
        sink.add("only_one")
        return None
    if len(set(ids)) != len(ids):
        sink.add("duplicate_id")
        return None
    missing = [item for item in ids if known is not None and item not in known]
    if missing:
        sink.add(unknown, id=missing[0])
        return None
    return list[f.Json](ids)


def _files(raw: object, sink: Sink, max_files: int, kinds: frozenset[str] | None,
           max_size_mb: int | None) -> f.Json:
    ids = _id_list(raw)
    if ids is None:
        sink.add("invalid_attachment")
        return None
    if len(ids) > max_files:
        sink.add("too_many_files", max=max_files, count=len(ids))
        return None
    if len(set(ids)) != len(ids):
        sink.add("duplicate_id")
        return None
    resolve = sink.context.resolve_attachment
    for attachment_id in ids if resolve is not None else []:
        info = resolve(attachment_id) if resolve is not None else None
        if info is None:
            sink.add("attachment_not_found", id=attachment_id)
            return None
        if not info.owner_ok:
            sink.add("attachment_not_owned", id=attachment_id)
            return None
        if kinds is not None and info.kind not in kinds:
            sink.add("file_type_not_allowed", accept=join(sorted(kinds), sink.context.language))
            return None
        if max_size_mb is not None and info.size > max_size_mb * 1024 * 1024:
            sink.add("file_too_large", max_mb=max_size_mb)
            return None
    return list[f.Json](ids)
