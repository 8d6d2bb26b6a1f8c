from sopflow.form_templates.schema.diff import (
    ChangeKind,
    SchemaChange,
    SettingChange,
    ValueChange,
    diff_schemas,
    diff_values,
)

from .builders import expense_claim, field, schema


def test_s11_added_field_is_summarised_in_chinese_when_version_2_adds_the_tax_id() -> None:
    version_2 = expense_claim(field("f_buyer_tax_id", "text", "购买方纳税人识别号", required=True))

    changes = diff_schemas(expense_claim(), version_2)

    assert changes == [SchemaChange(ChangeKind.ADDED, "f_buyer_tax_id", "购买方纳税人识别号", (),
                                    "新增字段“购买方纳税人识别号”")]


def test_removed_field_is_listed_when_the_new_version_drops_it() -> None:
    old = schema(field("f_a", "text", "备注"), field("f_b", "text", "事由"))

    changes = diff_schemas(old, schema(field("f_b", "text", "事由")))

    assert [(change.kind, change.key, change.summary) for change in changes] == [
        (ChangeKind.REMOVED, "f_a", "删除字段“备注”")]


def test_changed_settings_are_detailed_when_label_and_required_change() -> None:
    old = schema(field("f_a", "money", "金额", max=5000))
    new = schema(field("f_a", "money", "报销金额", required=True, max=10000))

    changes = diff_schemas(old, new)

    assert changes == [SchemaChange(
        ChangeKind.CHANGED, "f_a", "报销金额",
        (SettingChange("label", "金额", "报销金额"), SettingChange("required", None, True),
         SettingChange("max", "5000", "10000")),
        "修改字段“报销金额”：名称由 金额 改为 报销金额；必填由 （空） 改为 是；"
        "最大值由 5000 改为 10000")]


def test_summary_is_in_english_when_english_is_requested() -> None:
    old = schema(field("f_a", "text", "备注"))

    changes = diff_schemas(old, schema(), language="en")

    assert changes[0].summary == "Removed field “备注”"


def test_table_column_changes_are_listed_under_the_table_when_columns_change() -> None:
    old = schema(field("f_t", "table", "明细", columns=[
        field("f_a", "money", "金额"), field("f_b", "text", "备注")]))
    new = schema(field("f_t", "table", "明细", columns=[
        field("f_a", "money", "金额", min="0.01"), field("f_c", "text", "发票号")]))

    changes = diff_schemas(old, new)

    assert [(change.kind, change.key, change.summary) for change in changes] == [
        (ChangeKind.CHANGED, "f_t.f_a", "明细“明细”修改列“金额”：最小值由 （空） 改为 0.01"),
        (ChangeKind.ADDED, "f_t.f_c", "明细“明细”新增列“发票号”"),
        (ChangeKind.REMOVED, "f_t.f_b", "明细“明细”删除列“备注”"),
    ]


def test_nothing_is_reported_when_only_the_order_changes() -> None:
    first, second = field("f_a", "text", "甲"), field("f_b", "text", "乙")

    assert diff_schemas(schema(first, second), schema(second, first)) == []


def test_type_change_is_a_detail_when_a_key_keeps_its_name() -> None:
    changes = diff_schemas(schema(field("f_a", "text", "数量")),
                           schema(field("f_a", "number", "数量")))

    assert changes[0].details == (SettingChange("type", "text", "number"),)


def test_s1_resubmission_shows_exactly_the_changed_fields_when_the_invoice_is_replaced() -> None:
    old = {"f_type": "差旅", "f_items": [{"f_item": "交通", "f_amount": "1200.00"}],
           "f_total": "1200.00", "f_invoice": [41]}
    new = {"f_type": "差旅", "f_items": [{"f_item": "交通", "f_amount": "1200.00"},
                                         {"f_item": "住宿", "f_amount": "2000.00"}],
           "f_total": "3200.00", "f_invoice": [57]}

    changes = diff_values(expense_claim(), old, new)

    assert changes == [
        ValueChange("f_items[1]", "明细第 2 行", None, {"f_item": "住宿", "f_amount": "2000.00"}),
        ValueChange("f_total", "合计", "1200.00", "3200.00"),
        ValueChange("f_invoice", "电子发票", [41], [57]),
    ]


def test_changed_cell_is_reported_by_path_when_a_row_is_edited() -> None:
    old = {"f_items": [{"f_item": "交通", "f_amount": "1200.00"}]}
    new = {"f_items": [{"f_item": "打车", "f_amount": "1200"}]}

    changes = diff_values(expense_claim(), old, new, language="en")

    assert changes == [ValueChange("f_items[0].f_item", "项目 (row 1 of 明细)", "交通", "打车")]


def test_no_changes_are_reported_when_values_are_equal_in_meaning() -> None:
    old = {"f_type": "差旅", "f_total": "3200.00", "f_invoice": []}
    new = {"f_type": "差旅", "f_total": "3200", "f_note": "not in schema"}

    assert diff_values(expense_claim(), old, new) == []


def test_garbage_value_sets_are_treated_as_empty_when_diffing() -> None:
    assert diff_values(expense_claim(), None, {"f_type": "差旅"}) == [
        ValueChange("f_type", "类型", None, "差旅")]
