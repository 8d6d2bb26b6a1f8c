from datetime import date
from decimal import Decimal

import pytest

from sopflow.form_templates.schema.fields import (
    AttachmentSettings,
    DateSettings,
    Field,
    FieldType,
    FormulaResult,
    FormulaSettings,
    Json,
    MoneySettings,
    MultiChoiceSettings,
    NumberSettings,
    Option,
    Schema,
    SchemaError,
    TableSettings,
    TextPattern,
    TextSettings,
    Width,
)

from .builders import field

EVERY_TYPE = [
    field("f_text", "text", "姓名", min_length=2, max_length=20, pattern="phone",
          placeholder="请输入", help="说明", width="half", default="13800138000"),
    field("f_area", "textarea", "客户需求", min_length=100, max_length=2000),
    field("f_number", "number", "数量", min=0, max="99.5", decimals=1, unit="件"),
    field("f_money", "money", "金额", min="0.01", max=50000, required=True),
    field("f_date", "date", "日期", min="today", max="2026-12-31"),
    field("f_moment", "datetime", "时间"),
    field("f_range", "date_range", "请假时间"),
    field("f_one", "single_choice", "类型", options=[{"value": "差旅", "label": "差旅"}],
          allow_other=True),
    field("f_many", "multi_choice", "标签", options=["a", "b"], min_choices=1, max_choices=2),
    field("f_person", "person", "审批人", multiple=True),
    field("f_dept", "department", "部门"),
    field("f_file", "attachment", "发票", accept=["pdf", "jpg"], max_files=3, max_size_mb=10),
    field("f_image", "image", "照片", max_files=4),
    field("f_sign", "signature", "签名"),
    field("f_items", "table", "明细", min_rows=1, max_rows=20, totals=["f_amount"],
          columns=[field("f_amount", "money", "金额")]),
    field("f_total", "formula", "合计", expression="SUM(f_items.f_amount)", result="money",
          decimals=2),
    field("f_note", "description", "说明", text="**请先阅读**"),
    field("f_phone", "phone", "手机"),
    field("f_email", "email", "邮箱",
          visible_when={"field": "f_one", "op": "eq", "value": "差旅"},
          required_when={"field": "f_money", "op": "gt", "value": "100"}),
]


def test_every_field_type_parses_when_given_its_documented_settings() -> None:
    parsed = Schema.from_dict({"fields": EVERY_TYPE})

    assert [item.type for item in parsed.fields] == list(FieldType)
    assert parsed.fields[0].settings == TextSettings(2, 20, TextPattern.PHONE)
    assert parsed.fields[0].width is Width.HALF
    assert parsed.fields[2].settings == NumberSettings(Decimal(0), Decimal("99.5"), 1, "件")
    assert parsed.fields[3].settings == MoneySettings(Decimal("0.01"), Decimal(50000))
    assert parsed.fields[4].settings == DateSettings("today", date(2026, 12, 31))
    assert parsed.fields[8].settings == MultiChoiceSettings(
        (Option("a", "a"), Option("b", "b")), False, 1, 2)
    assert parsed.fields[11].settings == AttachmentSettings(("pdf", "jpg"), 3, 10)
    assert parsed.fields[15].settings == FormulaSettings("SUM(f_items.f_amount)",
                                                         FormulaResult.MONEY, 2)


def test_schema_round_trips_when_written_and_read_back() -> None:
    parsed = Schema.from_dict({"fields": EVERY_TYPE})

    assert Schema.from_dict(parsed.to_dict()) == parsed
    assert Schema.from_dict(parsed.to_dict()).to_dict() == parsed.to_dict()


def test_to_dict_leaves_out_defaults_when_settings_are_not_set() -> None:
    parsed = Field.from_dict(field("f_a", "number", "数量"))

    assert parsed.to_dict() == {"key": "f_a", "type": "number", "label": "数量"}


def test_table_columns_parse_as_fields_when_a_table_is_read() -> None:
    parsed = Schema.from_dict({"fields": EVERY_TYPE})
    table = parsed.field("f_items")

    assert table is not None
    assert isinstance(table.settings, TableSettings)
    assert table.settings.column("f_amount") == Field("f_amount", "金额", MoneySettings())
    assert [(parent.key if parent else None, item.key) for parent, item in parsed.walk()][14:17] \
        == [(None, "f_items"), ("f_items", "f_amount"), (None, "f_total")]


@pytest.mark.parametrize(
    ("case", "data", "code", "setting"),
    [
        ("not an object", [], "invalid_schema", ""),
        ("extra top-level key", {"fields": [], "x": 1}, "invalid_schema", ""),
        ("fields not a list", {"fields": {}}, "invalid_schema", ""),
        ("field not an object", {"fields": ["f_a"]}, "invalid_field", ""),
        ("missing key", {"fields": [{"type": "text", "label": "a"}]}, "missing_key", ""),
        ("bad key", {"fields": [field("amount", "text")]}, "invalid_key", ""),
        ("double underscore key", {"fields": [field("f_a__b", "text")]}, "invalid_key", ""),
        ("missing label", {"fields": [{"key": "f_a", "type": "text"}]}, "missing_label", ""),
        ("unknown type", {"fields": [field("f_a", "colour")]}, "unknown_type", ""),
        ("unknown setting", {"fields": [field("f_a", "text", colour="red")]},
         "unknown_setting", "colour"),
        ("setting of another type", {"fields": [field("f_a", "text", decimals=2)]},
         "unknown_setting", "decimals"),
        ("wrong setting type", {"fields": [field("f_a", "text", min_length="3")]},
         "invalid_setting", "min_length"),
        ("bool as number", {"fields": [field("f_a", "number", min=True)]},
         "invalid_setting", "min"),
        ("decimals out of range", {"fields": [field("f_a", "number", decimals=7)]},
         "invalid_setting", "decimals"),
        ("bad width", {"fields": [field("f_a", "text", width="wide")]}, "invalid_setting", "width"),
        ("bad date", {"fields": [field("f_a", "date", min="2026-02-30")]}, "invalid_setting",
         "min"),
        ("unknown file kind", {"fields": [field("f_a", "attachment", accept=["exe"])]},
         "invalid_setting", "accept"),
        ("condition not an object", {"fields": [field("f_a", "text", visible_when=[1])]},
         "invalid_setting", "visible_when"),
        ("nested table", {"fields": [field("f_t", "table", columns=[field("f_u", "table")])]},
         "nested_table", ""),
        ("duplicate key", {"fields": [field("f_a", "text"), field("f_a", "number")]},
         "duplicate_key", ""),
        ("duplicate column key",
         {"fields": [field("f_a", "text"), field("f_t", "table", columns=[field("f_a", "text")])]},
         "duplicate_key", ""),
    ],
)
def test_parsing_fails_with_a_code_when_the_json_is_malformed(
        case: str, data: object, code: str, setting: str) -> None:
    with pytest.raises(SchemaError) as caught:
        Schema.from_dict(data)

    assert (caught.value.code, caught.value.setting) == (code, setting)


def test_stored_conditions_are_copies_when_the_input_dict_changes_later() -> None:
    condition: dict[str, Json] = {"field": "f_a", "op": "eq", "value": "x"}
    parsed = Field.from_dict(field("f_b", "text", visible_when=condition))

    condition["value"] = "changed"

    assert parsed.visible_when == {"field": "f_a", "op": "eq", "value": "x"}
