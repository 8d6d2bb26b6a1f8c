from decimal import Decimal

import pytest

from sopflow.form_templates.schema.money import to_chinese_capital


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("3200.00", "叁仟贰佰元整"),
        ("12000", "壹万贰仟元整"),
        ("1200.50", "壹仟贰佰元伍角"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("0.55", "伍角伍分"),
        ("100010.01", "壹拾万零壹拾元零壹分"),
        ("0", "零元整"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("105", "壹佰零伍元整"),
        ("1005", "壹仟零伍元整"),
        ("1050", "壹仟零伍拾元整"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("10000500", "壹仟万零伍佰元整"),
        ("325000", "叁拾贰万伍仟元整"),
        ("100000000", "壹亿元整"),
        ("100000001", "壹亿零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
        ("1000000000000", "壹万亿元整"),
        ("20.09", "贰拾元零玖分"),
        ("-3200", "负叁仟贰佰元整"),
        ("-0.05", "负伍分"),
        ("-0.001", "零元整"),
        ("0.005", "壹分"),
        ("2.675", "贰元陆角捌分"),
    ],
)
def test_capital_form_follows_financial_rules_when_amount_is(amount: str, expected: str) -> None:
    assert to_chinese_capital(Decimal(amount)) == expected


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1E+16"])
def test_capital_form_is_refused_when_amount_is_not_finite_or_too_large(amount: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        to_chinese_capital(Decimal(amount))
