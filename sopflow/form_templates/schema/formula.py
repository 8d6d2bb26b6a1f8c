"""Form formulas: parse once, check against an allow-list, evaluate with a locked-down simpleeval.

An expression such as `ROUND(SUM(f_items.f_amount) * 1.06, 2)` may use field keys, detail-table
columns (`f_table.f_column`, a list of decimals), number and text literals, `+ - * / %`,
comparisons, `and`/`or`/`not` and the functions in FUNCTIONS. Everything else (attribute access,
subscripts, `**`, lambdas, comprehensions, keyword arguments, unknown names) is refused when the
expression is parsed, before anything runs. Arithmetic is Decimal throughout (0.1 + 0.2 == 0.3).

Defence in depth: the evaluator itself is simpleeval with `ast.Attribute`, subscripts,
comprehensions and assignment removed from its node table, our own type-checked operators, only
the functions below, and plain values (Decimal, str, date, bool, lists of Decimal) as names.
"""

from __future__ import annotations

import ast
import calendar as month_calendar
import decimal
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import simpleeval

from .fields import KEY_PATTERN

type FormulaValue = Decimal | str | date | bool | list[Decimal] | None

MAX_EXPRESSION_LENGTH: Final = 1_000
MAX_NODES: Final = 300
MAX_DEPTH: Final = 40
MAX_TEXT: Final = 10_000
MAX_LITERAL: Final = Decimal(10) ** 18
SAFE_SEPARATOR: Final = "__"

# name → (fewest, most) arguments; None means any number.
FUNCTIONS: Final[dict[str, tuple[int, int | None]]] = {
    "SUM": (1, None), "ROUND": (1, 2), "IF": (3, 3), "MAX": (1, None), "MIN": (1, None),
    "ABS": (1, 1), "AVG": (1, None), "COUNT": (1, None), "DATEDIF": (2, 3), "UPPER": (1, 1),
    "LOWER": (1, 1), "LEN": (1, 1), "CONCAT": (1, None),
}

_BINARY_SYMBOLS: Final[dict[type[ast.operator], str]] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%", ast.Pow: "**",
    ast.FloorDiv: "//", ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^",
    ast.BitAnd: "&", ast.MatMult: "@",
}
_ALLOWED_BINARY: Final = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod)
_ALLOWED_UNARY: Final = (ast.USub, ast.UAdd, ast.Not)
_ALLOWED_COMPARE: Final = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_CONTEXT: Final = decimal.Context(prec=28, rounding=ROUND_HALF_UP, Emax=999, Emin=-999,
                                  traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                         decimal.Overflow])


class FormulaSyntaxError(ValueError):
    """The expression is not allowed. `code`: syntax | banned | unknown_function | arity |
    unknown_name; `detail`: the offending construct, function or name."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class FormulaError(ArithmeticError):
    """The expression is fine but these inputs cannot be computed. `code`: division_by_zero |
    type_mismatch | too_large | invalid_argument (each has a catalogue message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _MissingInput(Exception):
    """A date the formula needs is empty: the result is empty, which is not an error."""


@dataclass(frozen=True, slots=True)
class ParsedFormula:
    """A checked, rewritten expression tree plus the field references it reads."""

    expression: str
    tree: ast.expr
    references: frozenset[str]  # "f_key" or "f_table.f_column"
    literals: tuple[tuple[str, Decimal], ...] = ()  # number literals, exact, by their safe name


@functools.lru_cache(maxsize=2_048)
def parse_formula(expression: str) -> ParsedFormula:
    """Check `expression` against the allow-list and prepare it for evaluation (cached).

    Raises FormulaSyntaxError naming what is wrong.
    """
    if not expression.strip():
        raise FormulaSyntaxError("syntax", "")
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise FormulaSyntaxError("banned", f"> {MAX_EXPRESSION_LENGTH}")
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FormulaSyntaxError("syntax", "") from None
    _check_size(tree)
    references: set[str] = set()
    # Names that are a table (`f_t` in `f_t.f_c`) or a function (`SUM`) are checked by their
    # parent node, not as field references.
    owned = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    owned |= {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if id(node) not in owned:
            _check_node(node, references)
    rewriter = _Rewriter(expression.strip())
    rewritten = rewriter.visit(tree)
    if not isinstance(rewritten, ast.expr):  # pragma: no cover - the rewriter keeps expressions
        raise FormulaSyntaxError("syntax", "")
    return ParsedFormula(expression, rewritten, frozenset(references),
                         tuple(rewriter.literals.items()))


def evaluate_formula(parsed: ParsedFormula,
                     names: Mapping[str, FormulaValue]) -> Decimal | str | date | bool | None:
    """Evaluate with `names` keyed by reference ("f_price", "f_items.f_amount").

    Returns None when a date the formula needs is empty. Raises FormulaError when the inputs
    cannot be computed (division by zero, wrong types, too large).
    """
    safe_names: dict[str, FormulaValue] = {
        reference.replace(".", SAFE_SEPARATOR): names.get(reference)
        for reference in parsed.references}
    safe_names.update(parsed.literals)
    return evaluate_tree(parsed.tree, safe_names)


def evaluate_tree(tree: ast.expr,
                  names: dict[str, FormulaValue]) -> Decimal | str | date | bool | None:
    """Run a tree through the locked-down evaluator. Trees normally come from parse_formula;
    anything outside the allowed node table is refused by the evaluator itself."""
    evaluator = simpleeval.SimpleEval(operators=dict(_OPERATORS), functions=dict(_FUNCTIONS),
                                      names=names)
    evaluator.nodes = {node_type: handler for node_type, handler in evaluator.nodes.items()
                       if node_type in _EVALUATOR_NODES}
    try:
        with decimal.localcontext(_CONTEXT):
            result: object = evaluator.eval("", previously_parsed=tree)
    except _MissingInput:
        return None
    except FormulaError:
        raise
    except ZeroDivisionError:
        raise FormulaError("division_by_zero") from None
    except (decimal.Overflow, OverflowError, simpleeval.NumberTooHigh,
            simpleeval.IterableTooLong):
        raise FormulaError("too_large") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, RecursionError,
            simpleeval.InvalidExpression):
        raise FormulaError("invalid_argument") from None
    if result is None or isinstance(result, (Decimal, str, date, bool)):
        return result
    raise FormulaError("type_mismatch")


# --- parse-time checks ----------------------------------------------------------------------

def _check_size(tree: ast.expr) -> None:
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            raise FormulaSyntaxError("banned", "nesting")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_node(node: ast.AST, references: set[str]) -> None:
    match node:
        case ast.Constant(value=bool() | str() | int() | float() as value):
            if isinstance(value, str) and len(value) > 200:
                raise FormulaSyntaxError("banned", "long text")
        case ast.Constant(value=value):
            raise FormulaSyntaxError("banned", repr(value)[:20])
        case ast.Name(id=name, ctx=ast.Load()):
            if not _is_key(name):
                raise FormulaSyntaxError("unknown_name", name)
            references.add(name)
        case ast.Attribute(value=ast.Name(id=table, ctx=ast.Load()), attr=column, ctx=ast.Load()):
            if not (_is_key(table) and _is_key(column)):
                raise FormulaSyntaxError("banned", f".{column}")
            references.add(f"{table}.{column}")
        case ast.Attribute(attr=attribute):
            raise FormulaSyntaxError("banned", f".{attribute}")
        case ast.BinOp(op=operator):
            if not isinstance(operator, _ALLOWED_BINARY):
                raise FormulaSyntaxError("banned", _BINARY_SYMBOLS.get(type(operator), "?"))
        case ast.UnaryOp(op=operator):
            if not isinstance(operator, _ALLOWED_UNARY):
                raise FormulaSyntaxError("banned", "~")
        case ast.Compare(ops=operators):
            if not all(isinstance(operator, _ALLOWED_COMPARE) for operator in operators):
                raise FormulaSyntaxError("banned", "in / is")
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords):
            _check_call(name, args, keywords)
        case ast.Call(func=function):
            raise FormulaSyntaxError("banned", _construct_name(function))
        case ast.BoolOp() | ast.operator() | ast.unaryop() | ast.cmpop() | ast.boolop() \
                | ast.expr_context():
            pass
        case _:
            raise FormulaSyntaxError("banned", _construct_name(node))


def _check_call(name: str, args: list[ast.expr], keywords: list[ast.keyword]) -> None:
    if name not in FUNCTIONS:
        raise FormulaSyntaxError("unknown_function", name)
    if keywords or any(isinstance(arg, ast.Starred) for arg in args):
        raise FormulaSyntaxError("banned", f"{name}(…=…)")
    fewest, most = FUNCTIONS[name]
    if len(args) < fewest or (most is not None and len(args) > most):
        raise FormulaSyntaxError("arity", name)


def _construct_name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f".{node.attr}"
    names = {ast.Lambda: "lambda", ast.Subscript: "[]", ast.List: "[]", ast.Tuple: "()",
             ast.Dict: "{}", ast.Set: "{}", ast.ListComp: "for", ast.SetComp: "for",
             ast.DictComp: "for", ast.GeneratorExp: "for", ast.IfExp: "if … else",
             ast.JoinedStr: "f-string", ast.NamedExpr: ":=", ast.Starred: "*",
             ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: ":"}
    return names.get(type(node), type(node).__name__)


def _is_key(name: str) -> bool:
    return KEY_PATTERN.fullmatch(name) is not None


class _Rewriter(ast.NodeTransformer):
    """`f_t.f_c` → name `f_t__f_c`; number literals → names bound to exact Decimals (so 0.1 is
    0.1, not a float); IF(c, a, b) → lazy if/else (`IF(f_qty == 0, 0, f_total / f_qty)` never
    divides by zero)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.literals: dict[str, Decimal] = {}

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not isinstance(node.value, ast.Name):  # pragma: no cover - refused by _check_node
            raise FormulaSyntaxError("banned", f".{node.attr}")
        return ast.copy_location(
            ast.Name(id=f"{node.value.id}{SAFE_SEPARATOR}{node.attr}", ctx=ast.Load()), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        text = ast.get_source_segment(self.source, node) or repr(node.value)
        try:
            number = Decimal(text.replace("_", ""))
        except decimal.InvalidOperation:
            raise FormulaSyntaxError("syntax", text) from None
        if not number.is_finite() or abs(number) >= MAX_LITERAL:
            raise FormulaSyntaxError("banned", text[:20])
        name = f"literal{SAFE_SEPARATOR}{len(self.literals)}"
        self.literals[name] = number
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "IF":
            test, body, orelse = node.args
            return ast.copy_location(ast.IfExp(test=test, body=body, orelse=orelse), node)
        return node


# --- operators ------------------------------------------------------------------------------

def _number(value: object) -> Decimal:
    if value is None:
        raise _MissingInput
    if not isinstance(value, Decimal):
        raise FormulaError("type_mismatch")
    return value


def _divisor(value: object) -> Decimal:
    number = _number(value)
    if number == 0:
        raise FormulaError("division_by_zero")
    return number


def _days(value: Decimal) -> timedelta:
    if value != value.to_integral_value() or abs(value) > 100_000:
        raise FormulaError("invalid_argument")
    return timedelta(days=int(value))


def _add(left: object, right: object) -> Decimal | str | date:
    match left, right:
        case Decimal(), Decimal():
            return left + right
        case date(), Decimal():
            return left + _days(right)
        case Decimal(), date():
            return right + _days(left)
        case str(), str():
            if len(left) + len(right) > MAX_TEXT:
                raise FormulaError("too_large")
            return left + right
        case (None, _) | (_, None):
            raise _MissingInput
    raise FormulaError("type_mismatch")


def _subtract(left: object, right: object) -> Decimal | date:
    match left, right:
        case Decimal(), Decimal():
            return left - right
        case date(), Decimal():
            return left - _days(right)
        case date(), date():
            return Decimal((left - right).days)
        case (None, _) | (_, None):
            raise _MissingInput
    raise FormulaError("type_mismatch")


def _ordered(compare: Callable[[int], bool]) -> Callable[[object, object], bool]:
    def operator(left: object, right: object) -> bool:
        if left is None or right is None:
            raise _MissingInput
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            return compare((left > right) - (left < right))
        if isinstance(left, str) and isinstance(right, str):
            return compare((left > right) - (left < right))
        if isinstance(left, date) and isinstance(right, date):
            return compare((left > right) - (left < right))
        raise FormulaError("type_mismatch")
    return operator


def _equal(left: object, right: object) -> bool:
    if left is None or right is None:
        raise _MissingInput
    return left == right


_OPERATORS: Final[dict[type[ast.AST], Callable[..., object]]] = {
    ast.Add: _add,
    ast.Sub: _subtract,
    ast.Mult: lambda left, right: _number(left) * _number(right),
    ast.Div: lambda left, right: _number(left) / _divisor(right),
    ast.Mod: lambda left, right: _number(left) % _divisor(right),
    ast.USub: lambda operand: -_number(operand),
    ast.UAdd: lambda operand: +_number(operand),
    ast.Not: lambda operand: not operand,
    ast.Eq: _equal,
    ast.NotEq: lambda left, right: not _equal(left, right),
    ast.Lt: _ordered(lambda result: result < 0),
    ast.LtE: _ordered(lambda result: result <= 0),
    ast.Gt: _ordered(lambda result: result > 0),
    ast.GtE: _ordered(lambda result: result >= 0),
}
_EVALUATOR_NODES: Final = frozenset({ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.BoolOp,
                                     ast.Compare, ast.IfExp, ast.Call})


# --- functions ------------------------------------------------------------------------------

def _numbers(args: tuple[object, ...]) -> list[Decimal]:
    found: list[Decimal] = []
    for arg in args:
        if isinstance(arg, list):
            found.extend(_number(item) for item in arg)
        elif arg is not None:
            found.append(_number(arg))
    return found


def _sum(*args: object) -> Decimal:
    return sum(_numbers(args), Decimal(0))


def _round(value: object, places: object = Decimal(0)) -> Decimal:
    digits = _number(places)
    if digits != digits.to_integral_value() or abs(digits) > 10:
        raise FormulaError("invalid_argument")
    return _number(value).quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP)


def _max(*args: object) -> Decimal:
    numbers = _numbers(args)
    return max(numbers) if numbers else Decimal(0)


def _min(*args: object) -> Decimal:
    numbers = _numbers(args)
    return min(numbers) if numbers else Decimal(0)


def _average(*args: object) -> Decimal:
    numbers = _numbers(args)
    return sum(numbers, Decimal(0)) / len(numbers) if numbers else Decimal(0)


def _count(*args: object) -> Decimal:
    count = 0
    for arg in args:
        if isinstance(arg, list):
            count += len(arg)
        elif arg is not None and arg != "":
            count += 1
    return Decimal(count)


def _datedif(start: object, end: object, unit: object = "D") -> Decimal:
    """Excel's DATEDIF: whole days (D), months (M) or years (Y) from start to end."""
    if start is None or end is None:
        raise _MissingInput
    if not isinstance(start, date) or not isinstance(end, date) or not isinstance(unit, str):
        raise FormulaError("type_mismatch")
    if end < start:
        raise FormulaError("invalid_argument")
    match unit.upper():
        case "D":
            return Decimal((end - start).days)
        case "M":
            return Decimal(_whole_months(start, end))
        case "Y":
            return Decimal(_whole_months(start, end) // 12)
    raise FormulaError("invalid_argument")


def _whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    last_day = month_calendar.monthrange(end.year, end.month)[1]
    if end.day < min(start.day, last_day):
        months -= 1
    return months


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise FormulaError("type_mismatch")
    return value


def _length(value: object) -> Decimal:
    if isinstance(value, list):
        return Decimal(len(value))
    return Decimal(len(_text(value)))


def _concat(*args: object) -> str:
    parts: list[str] = []
    for arg in args:
        match arg:
            case None:
                continue
            case str():
                parts.append(arg)
            case Decimal():
                parts.append(format(arg, "f"))
            case date():
                parts.append(arg.isoformat())
            case _:
                raise FormulaError("type_mismatch")
    text = "".join(parts)
    if len(text) > MAX_TEXT:
        raise FormulaError("too_large")
    return text


_FUNCTIONS: Final[dict[str, Callable[..., object]]] = {
    "SUM": _sum, "ROUND": _round, "MAX": _max, "MIN": _min,
    "ABS": lambda value: abs(_number(value)), "AVG": _average, "COUNT": _count,
    "DATEDIF": _datedif, "UPPER": lambda value: _text(value).upper(),
    "LOWER": lambda value: _text(value).lower(), "LEN": _length, "CONCAT": _concat,
}
