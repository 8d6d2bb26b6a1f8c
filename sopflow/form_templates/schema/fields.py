"""Field types and the schema tree, parsed from and written back to the stored JSON.

Parsing here is structural (types, known settings, key format, unique keys). Semantic checks a
designer needs to see (empty options, min > max, formula references, cycles) live in `design.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import ClassVar, Final, Literal

type Json = None | bool | int | float | str | list[Json] | dict[str, Json]
type Condition = dict[str, Json]
type DateBound = date | Literal["today"]

KEY_PATTERN: Final = re.compile(r"f_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*")
KEY_MAX_LENGTH: Final = 64
TEXT_LENGTH_CEILING: Final = 2_000
TEXTAREA_LENGTH_CEILING: Final = 50_000
MAX_DECIMALS: Final = 6
MAX_FILES_CEILING: Final = 50
DEFAULT_MAX_FILES: Final = 10
DEFAULT_MAX_IMAGES: Final = 9
MAX_ROWS_CEILING: Final = 500
MAX_OPTIONS: Final = 500
MAX_CHOICES_CEILING: Final = 500
MAX_FILE_SIZE_MB_CEILING: Final = 2_048
FILE_KINDS: Final = frozenset({
    "pdf", "word", "excel", "ppt", "txt", "csv", "zip", "jpg", "png", "gif", "webp", "heic",
    "mp4", "mp3",
})
IMAGE_KINDS: Final = frozenset({"jpg", "png", "gif", "webp", "heic"})


class FieldType(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    DATE_RANGE = "date_range"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    PERSON = "person"
    DEPARTMENT = "department"
    ATTACHMENT = "attachment"
    IMAGE = "image"
    SIGNATURE = "signature"
    TABLE = "table"
    FORMULA = "formula"
    DESCRIPTION = "description"
    PHONE = "phone"
    EMAIL = "email"


class Width(StrEnum):
    FULL = "full"
    HALF = "half"
    THIRD = "third"


class TextPattern(StrEnum):
    NONE = "none"
    PHONE = "phone"
    EMAIL = "email"
    ID_NUMBER = "id_number"


class FormulaResult(StrEnum):
    NUMBER = "number"
    MONEY = "money"
    TEXT = "text"
    DATE = "date"


class SchemaError(ValueError):
    """The stored JSON does not describe a schema. `code` and `setting` say what is wrong."""

    def __init__(self, code: str, *, key: str = "", label: str = "", setting: str = "",
                 position: int = 0, value: str = "") -> None:
        super().__init__(f"{code}: key={key!r} setting={setting!r} value={value!r}")
        self.code = code
        self.key = key
        self.label = label
        self.setting = setting
        self.position = position
        self.value = value


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


# --- type-specific settings -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TextSettings:
    type: ClassVar[FieldType] = FieldType.TEXT
    min_length: int | None = None
    max_length: int | None = None
    pattern: TextPattern = TextPattern.NONE


@dataclass(frozen=True, slots=True)
class TextareaSettings:
    type: ClassVar[FieldType] = FieldType.TEXTAREA
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class NumberSettings:
    type: ClassVar[FieldType] = FieldType.NUMBER
    min: Decimal | None = None
    max: Decimal | None = None
    decimals: int = 2
    unit: str = ""


@dataclass(frozen=True, slots=True)
class MoneySettings:
    type: ClassVar[FieldType] = FieldType.MONEY
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class DateSettings:
    type: ClassVar[FieldType] = FieldType.DATE
    min: DateBound | None = None
    max: DateBound | None = None


@dataclass(frozen=True, slots=True)
class DateTimeSettings:
    type: ClassVar[FieldType] = FieldType.DATETIME


@dataclass(frozen=True, slots=True)
class DateRangeSettings:
    type: ClassVar[FieldType] = FieldType.DATE_RANGE


@dataclass(frozen=True, slots=True)
class SingleChoiceSettings:
    type: ClassVar[FieldType] = FieldType.SINGLE_CHOICE
    options: tuple[Option, ...] = ()
    allow_other: bool = False


@dataclass(frozen=True, slots=True)
class MultiChoiceSettings:
    type: ClassVar[FieldType] = FieldType.MULTI_CHOICE
    options: tuple[Option, ...] = ()
    allow_other: bool = False
    min_choices: int | None = None
    max_choices: int | None = None


@dataclass(frozen=True, slots=True)
class PersonSettings:
    type: ClassVar[FieldType] = FieldType.PERSON
    multiple: bool = False


@dataclass(frozen=True, slots=True)
class DepartmentSettings:
    type: ClassVar[FieldType] = FieldType.DEPARTMENT
    multiple: bool = False


@dataclass(frozen=True, slots=True)
class AttachmentSettings:
    type: ClassVar[FieldType] = FieldType.ATTACHMENT
    accept: tuple[str, ...] = ()
    max_files: int = DEFAULT_MAX_FILES
    max_size_mb: int | None = None


@dataclass(frozen=True, slots=True)
class ImageSettings:
    type: ClassVar[FieldType] = FieldType.IMAGE
    max_files: int = DEFAULT_MAX_IMAGES


@dataclass(frozen=True, slots=True)
class SignatureSettings:
    type: ClassVar[FieldType] = FieldType.SIGNATURE


@dataclass(frozen=True, slots=True)
class TableSettings:
    type: ClassVar[FieldType] = FieldType.TABLE
    columns: tuple[Field, ...] = ()
    min_rows: int | None = None
    max_rows: int | None = None
    totals: tuple[str, ...] = ()

    def column(self, key: str) -> Field | None:
        return next((column for column in self.columns if column.key == key), None)


@dataclass(frozen=True, slots=True)
class FormulaSettings:
    type: ClassVar[FieldType] = FieldType.FORMULA
    expression: str = ""
    result: FormulaResult = FormulaResult.NUMBER
    decimals: int = 2


@dataclass(frozen=True, slots=True)
class DescriptionSettings:
    type: ClassVar[FieldType] = FieldType.DESCRIPTION
    text: str = ""


@dataclass(frozen=True, slots=True)
class PhoneSettings:
    type: ClassVar[FieldType] = FieldType.PHONE


@dataclass(frozen=True, slots=True)
class EmailSettings:
    type: ClassVar[FieldType] = FieldType.EMAIL


type Settings = (
    TextSettings | TextareaSettings | NumberSettings | MoneySettings | DateSettings
    | DateTimeSettings | DateRangeSettings | SingleChoiceSettings | MultiChoiceSettings
    | PersonSettings | DepartmentSettings | AttachmentSettings | ImageSettings
    | SignatureSettings | TableSettings | FormulaSettings | DescriptionSettings | PhoneSettings
    | EmailSettings
)


@dataclass(frozen=True, slots=True)
class Field:
    """One field: the settings every type shares, plus `settings` for its type."""

    key: str
    label: str
    settings: Settings
    help: str = ""
    placeholder: str = ""
    required: bool = False
    default: Json = None
    width: Width = Width.FULL
    visible_when: Condition | None = None
    required_when: Condition | None = None

    @property
    def type(self) -> FieldType:
        return self.settings.type

    @property
    def takes_input(self) -> bool:
        """False for fields whose value is never read from the submitted values."""
        return self.type not in (FieldType.FORMULA, FieldType.DESCRIPTION)

    @property
    def is_numeric(self) -> bool:
        """Numbers, money and number/money formulas: usable in totals and column sums."""
        settings = self.settings
        if isinstance(settings, FormulaSettings):
            return settings.result in (FormulaResult.NUMBER, FormulaResult.MONEY)
        return isinstance(settings, (NumberSettings, MoneySettings))

    @property
    def is_money(self) -> bool:
        settings = self.settings
        if isinstance(settings, FormulaSettings):
            return settings.result is FormulaResult.MONEY
        return isinstance(settings, MoneySettings)

    @classmethod
    def from_dict(cls, data: object, *, in_table: bool = False) -> Field:
        return _parse_field(data, in_table=in_table)

    def to_dict(self) -> dict[str, Json]:
        out: dict[str, Json] = {"key": self.key, "type": str(self.type), "label": self.label}
        for name in ("help", "placeholder", "required", "default", "width", "visible_when",
                     "required_when"):
            value: object = getattr(self, name)
            if value != _COMMON_DEFAULTS[name]:
                out[name] = encode(value)
        for setting in fields(self.settings):
            value = getattr(self.settings, setting.name)
            if value != setting.default:
                out[setting.name] = encode(value)
        return out


@dataclass(frozen=True, slots=True)
class Schema:
    """A parsed form schema: the ordered top-level fields of one template version."""

    fields: tuple[Field, ...]

    @classmethod
    def from_dict(cls, data: object) -> Schema:
        """Parse stored JSON. Raises SchemaError on the first structural problem."""
        raw_fields = schema_field_list(data)
        parsed = tuple(_parse_field(raw, position=index + 1)
                       for index, raw in enumerate(raw_fields))
        seen: set[str] = set()
        for field in parsed:
            for key in [field.key, *[column.key for column in _columns(field)]]:
                if key in seen:
                    raise SchemaError("duplicate_key", key=key, label=field.label)
                seen.add(key)
        return cls(parsed)

    def to_dict(self) -> dict[str, Json]:
        return {"fields": [field.to_dict() for field in self.fields]}

    def field(self, key: str) -> Field | None:
        return next((field for field in self.fields if field.key == key), None)

    def walk(self) -> Iterator[tuple[Field | None, Field]]:
        """Every field with its table (None at top level), columns right after their table."""
        for field in self.fields:
            yield None, field
            for column in _columns(field):
                yield field, column


def schema_field_list(data: object) -> list[object]:
    """The raw field list of stored schema JSON, or SchemaError."""
    if not isinstance(data, Mapping) or set(data) - {"fields"}:
        raise SchemaError("invalid_schema")
    raw_fields: object = data.get("fields", [])
    if not isinstance(raw_fields, list):
        raise SchemaError("invalid_schema")
    return list(raw_fields)


def is_valid_key(key: str) -> bool:
    return len(key) <= KEY_MAX_LENGTH and KEY_PATTERN.fullmatch(key) is not None


def encode(value: object) -> Json:
    """Settings value → JSON (Decimal and dates as strings, options and columns as objects)."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case Decimal():
            return str(value)
        case date():
            return value.isoformat()
        case Option(value=option_value, label=label):
            return {"value": option_value, "label": label}
        case Field():
            return value.to_dict()
        case list() | tuple():
            return [encode(item) for item in value]
        case dict():
            return {str(key): encode(item) for key, item in value.items()}
        case _:
            raise TypeError(f"cannot encode {type(value).__name__}")


_COMMON_DEFAULTS: Final[dict[str, object]] = {
    "help": "", "placeholder": "", "required": False, "default": None, "width": Width.FULL,
    "visible_when": None, "required_when": None,
}
_COMMON_SETTINGS: Final = frozenset({"key", "type", "label", *_COMMON_DEFAULTS})


def _columns(field: Field) -> tuple[Field, ...]:
    return field.settings.columns if isinstance(field.settings, TableSettings) else ()


def _parse_field(data: object, *, in_table: bool = False, position: int = 0) -> Field:
    if not isinstance(data, Mapping) or not all(isinstance(name, str) for name in data):
        raise SchemaError("invalid_field", position=position)
    raw_label, raw_key = data.get("label"), data.get("key")
    label = raw_label if isinstance(raw_label, str) else ""
    if not isinstance(raw_key, str) or not raw_key:
        raise SchemaError("missing_key", label=label, position=position)
    if not is_valid_key(raw_key):
        raise SchemaError("invalid_key", key=raw_key, label=label)
    if not isinstance(raw_label, str) or not raw_label.strip():
        raise SchemaError("missing_label", key=raw_key, label=raw_key)
    try:
        field_type = FieldType(str(data.get("type")))
    except ValueError:
        raise SchemaError("unknown_type", key=raw_key, label=label,
                          value=str(data.get("type"))) from None
    if in_table and field_type is FieldType.TABLE:
        raise SchemaError("nested_table", key=raw_key, label=label)
    reader = _Reader(data, raw_key, label)
    settings = _SETTINGS_PARSERS[field_type](reader)
    field = Field(
        key=raw_key, label=label.strip(), settings=settings,
        help=reader.text("help"), placeholder=reader.text("placeholder"),
        required=reader.flag("required"), default=reader.json("default"),
        width=reader.choice("width", Width, Width.FULL),
        visible_when=reader.condition("visible_when"),
        required_when=reader.condition("required_when"),
    )
    reader.finish()
    return field


class _Reader:
    """Typed access to one field's settings; remembers which settings were read."""

    def __init__(self, data: Mapping[str, object], key: str, label: str) -> None:
        self.data = data
        self.key = key
        self.label = label
        self.used: set[str] = set(_COMMON_SETTINGS)

    def error(self, setting: str, code: str = "invalid_setting") -> SchemaError:
        return SchemaError(code, key=self.key, label=self.label, setting=setting)

    def get(self, name: str) -> object:
        self.used.add(name)
        return self.data.get(name)

    def finish(self) -> None:
        for name in self.data:
            if name not in self.used:
                raise self.error(name, "unknown_setting")

    def text(self, name: str, *, limit: int = 10_000) -> str:
        value = self.get(name)
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > limit:
            raise self.error(name)
        return value

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(name)
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name)
        return value

    def decimal(self, name: str) -> Decimal | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(name)
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value))
        except InvalidOperation:
            raise self.error(name) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            raise self.error(name)
        return number

    def date_bound(self, name: str) -> DateBound | None:
        value = self.get(name)
        if value is None:
            return None
        if value == "today":
            return "today"
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.error(name)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.error(name) from None

    def choice[E: StrEnum](self, name: str, enum: type[E], default: E) -> E:
        value = self.get(name)
        if value is None:
            return default
        if not isinstance(value, str) or value not in {str(member) for member in enum}:
            raise self.error(name)
        return enum(value)

    def options(self) -> tuple[Option, ...]:
        value = self.get("options")
        if value is None:
            return ()
        if not isinstance(value, list) or len(value) > MAX_OPTIONS:
            raise self.error("options")
        options: list[Option] = []
        for item in value:
            if isinstance(item, str) and item:
                options.append(Option(item, item))
                continue
            if not isinstance(item, Mapping) or set(item) - {"value", "label"}:
                raise self.error("options")
            option_value, option_label = item.get("value"), item.get("label", item.get("value"))
            if not isinstance(option_value, str) or not option_value.strip():
                raise self.error("options")
            if not isinstance(option_label, str) or not option_label.strip():
                raise self.error("options")
            options.append(Option(option_value, option_label))
        return tuple(options)

    def words(self, name: str, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
        value = self.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(name)
        words = tuple(str(item) for item in value)
        if allowed is not None and not set(words) <= allowed:
            raise self.error(name)
        return words

    def json(self, name: str) -> Json:
        value = self.get(name)
        try:
            return _copy_json(value, depth=0)
        except ValueError:
            raise self.error(name) from None

    def condition(self, name: str) -> Condition | None:
        value = self.json(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(name)
        return value


def _copy_json(value: object, depth: int) -> Json:
    """A deep copy of plain JSON data; anything else (or nesting deeper than 20) is refused."""
    if depth > 20:
        raise ValueError("too deep")
    match value:
        case None | bool() | int() | str():
            return value
        case float():
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("not finite")
            return value
        case list() | tuple():
            return [_copy_json(item, depth + 1) for item in value]
        case Mapping() if all(isinstance(key, str) for key in value):
            return {str(key): _copy_json(item, depth + 1) for key, item in value.items()}
        case _:
            raise ValueError("not JSON")


def _text_settings(reader: _Reader) -> TextSettings:
    return TextSettings(
        min_length=reader.integer("min_length", 0, TEXT_LENGTH_CEILING),
        max_length=reader.integer("max_length", 1, TEXT_LENGTH_CEILING),
        pattern=reader.choice("pattern", TextPattern, TextPattern.NONE),
    )


def _textarea_settings(reader: _Reader) -> TextareaSettings:
    return TextareaSettings(
        min_length=reader.integer("min_length", 0, TEXTAREA_LENGTH_CEILING),
        max_length=reader.integer("max_length", 1, TEXTAREA_LENGTH_CEILING),
    )


def _number_settings(reader: _Reader) -> NumberSettings:
    decimals = reader.integer("decimals", 0, MAX_DECIMALS)
    return NumberSettings(min=reader.decimal("min"), max=reader.decimal("max"),
                          decimals=2 if decimals is None else decimals,
                          unit=reader.text("unit", limit=20))


def _money_settings(reader: _Reader) -> MoneySettings:
    return MoneySettings(min=reader.decimal("min"), max=reader.decimal("max"))


def _date_settings(reader: _Reader) -> DateSettings:
    return DateSettings(min=reader.date_bound("min"), max=reader.date_bound("max"))


def _single_choice_settings(reader: _Reader) -> SingleChoiceSettings:
    return SingleChoiceSettings(options=reader.options(), allow_other=reader.flag("allow_other"))


def _multi_choice_settings(reader: _Reader) -> MultiChoiceSettings:
    return MultiChoiceSettings(
        options=reader.options(), allow_other=reader.flag("allow_other"),
        min_choices=reader.integer("min_choices", 0, MAX_CHOICES_CEILING),
        max_choices=reader.integer("max_choices", 1, MAX_CHOICES_CEILING),
    )


def _attachment_settings(reader: _Reader) -> AttachmentSettings:
    max_files = reader.integer("max_files", 1, MAX_FILES_CEILING)
    return AttachmentSettings(
        accept=reader.words("accept", FILE_KINDS),
        max_files=DEFAULT_MAX_FILES if max_files is None else max_files,
        max_size_mb=reader.integer("max_size_mb", 1, MAX_FILE_SIZE_MB_CEILING),
    )


def _image_settings(reader: _Reader) -> ImageSettings:
    max_files = reader.integer("max_files", 1, MAX_FILES_CEILING)
    return ImageSettings(max_files=DEFAULT_MAX_IMAGES if max_files is None else max_files)


def _table_settings(reader: _Reader) -> TableSettings:
    raw_columns = reader.get("columns")
    if raw_columns is None:
        raw_columns = []
    if not isinstance(raw_columns, list):
        raise reader.error("columns")
    columns = tuple(_parse_field(raw, in_table=True, position=index + 1)
                    for index, raw in enumerate(raw_columns))
    return TableSettings(
        columns=columns,
        min_rows=reader.integer("min_rows", 0, MAX_ROWS_CEILING),
        max_rows=reader.integer("max_rows", 1, MAX_ROWS_CEILING),
        totals=reader.words("totals"),
    )


def _formula_settings(reader: _Reader) -> FormulaSettings:
    decimals = reader.integer("decimals", 0, MAX_DECIMALS)
    return FormulaSettings(
        expression=reader.text("expression", limit=1_000),
        result=reader.choice("result", FormulaResult, FormulaResult.NUMBER),
        decimals=2 if decimals is None else decimals,
    )


type _SettingsParser = Callable[[_Reader], Settings]

_SETTINGS_PARSERS: Final[dict[FieldType, _SettingsParser]] = {
    FieldType.TEXT: _text_settings,
    FieldType.TEXTAREA: _textarea_settings,
    FieldType.NUMBER: _number_settings,
    FieldType.MONEY: _money_settings,
    FieldType.DATE: _date_settings,
    FieldType.DATETIME: lambda reader: DateTimeSettings(),
    FieldType.DATE_RANGE: lambda reader: DateRangeSettings(),
    FieldType.SINGLE_CHOICE: _single_choice_settings,
    FieldType.MULTI_CHOICE: _multi_choice_settings,
    FieldType.PERSON: lambda reader: PersonSettings(multiple=reader.flag("multiple")),
    FieldType.DEPARTMENT: lambda reader: DepartmentSettings(multiple=reader.flag("multiple")),
    FieldType.ATTACHMENT: _attachment_settings,
    FieldType.IMAGE: _image_settings,
    FieldType.SIGNATURE: lambda reader: SignatureSettings(),
    FieldType.TABLE: _table_settings,
    FieldType.FORMULA: _formula_settings,
    FieldType.DESCRIPTION: lambda reader: DescriptionSettings(text=reader.text("text",
                                                                                limit=50_000)),
    FieldType.PHONE: lambda reader: PhoneSettings(),
    FieldType.EMAIL: lambda reader: EmailSettings(),
}
