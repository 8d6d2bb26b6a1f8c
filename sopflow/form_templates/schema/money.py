"""Money helpers: parsing user input into 2-decimal amounts and the Chinese capital form (大写)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

CENT: Final = Decimal("0.01")
_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
_PLACES: Final = ((3, "仟"), (2, "佰"), (1, "拾"), (0, ""))
_GROUP_UNITS: Final = ("", "万", "亿", "万亿")
_LIMIT: Final = Decimal(10) ** 16


def to_chinese_capital(amount: Decimal) -> str:
    """The amount in Chinese financial capitals, as written on cheques and invoices.

    Rounds half-up to the cent. Follows the 《支付结算办法》 conventions: 整 after 元 when there are
    no 角/分, nothing after 角 or 分, one 零 for any run of zeros inside the integer part and 零
    before 分 when 角 is zero. Raises ValueError for non-finite amounts or amounts ≥ 10^16.
    """
    if not amount.is_finite():
        raise ValueError("amount must be finite")
    cents = int((abs(amount)).quantize(CENT, rounding=ROUND_HALF_UP) * 100)
    if cents >= _LIMIT * 100:
        raise ValueError("amount too large for the capital form")
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    sign = "负" if amount < 0 and cents else ""
    integer = _integer_part(yuan)
    if jiao == 0 and fen == 0:
        return f"{sign}{integer or '零'}元整"
    head = f"{integer}元" if integer else ""
    if jiao == 0:
        return f"{sign}{head}{'零' if head else ''}{_DIGITS[fen]}分"
    tail = f"{_DIGITS[jiao]}角" + (f"{_DIGITS[fen]}分" if fen else "")
    return f"{sign}{head}{tail}"


def _integer_part(number: int) -> str:
    groups: list[int] = []
    while number:
        groups.append(number % 10_000)
        number //= 10_000
    out = ""
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(out)
            continue
        if out and (zero_pending or group < 1000):
            out += "零"
        zero_pending = False
        out += _group(group) + _GROUP_UNITS[index]
    return out


def _group(number: int) -> str:
    out = ""
    zero_pending = False
    for power, unit in _PLACES:
        digit = number // 10**power % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out += "零"
            zero_pending = False
        out += _DIGITS[digit] + unit
    return out
