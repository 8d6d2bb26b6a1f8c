"""Property tests: random schemas that pass the design check, random and garbage values."""

import contextlib
from datetime import date, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sopflow.form_templates.schema.design import check_design
from sopflow.form_templates.schema.fields import Json, Schema, SchemaError, TableSettings
from sopflow.form_templates.schema.formula import (
    FormulaError,
    FormulaSyntaxError,
    evaluate_formula,
    parse_formula,
)
from sopflow.form_templates.schema.validate import compute, validate

from .builders import TODAY, StatutoryCalendar

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow,
                                                    HealthCheck.data_too_large])

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["2026-09-30", "1,200.00", "13800138000", "a@b.cn", "差旅"]))
GARBAGE: st.SearchStrategy[Json] = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
TEXT = st.text(alphabet="客户需求ab 12", min_size=1, max_size=12).filter(lambda text: text.strip())
OPTIONS = st.lists(st.sampled_from(["差旅", "办公", "培训", "a", "b"]), min_size=1, max_size=4,
                   unique=True)


def condition_on(previous: list[dict[str, Json]]) -> st.SearchStrategy[Json]:
    """Conditions only look back at earlier fields, so generated schemas never loop."""
    if not previous:
        return st.none()
    def ops_for(item: dict[str, Json]) -> list[str]:
        # Only operators that fit the field's type pass the design check.
        if item["type"] in {"number", "money", "date", "datetime", "formula"}:
            return ["eq", "ne", "gt", "not_empty"]
        if item["type"] in {"text", "textarea", "phone", "email", "single_choice",
                            "multi_choice"}:
            return ["eq", "ne", "not_empty"]
        return ["not_empty"]

    leaf = st.sampled_from(previous).flatmap(lambda item: st.builds(
        lambda op, value: {"field": str(item["key"]), "op": op, "value": value},
        st.sampled_from(ops_for(item)), st.sampled_from(["差旅", "100", 1])))
    return st.one_of(st.none(), leaf, st.builds(lambda part: {"not": part}, leaf))


@st.composite
def plain_field(draw: st.DrawFn, key: str, previous: list[dict[str, Json]],
                numeric: list[str]) -> dict[str, Json]:
    """One non-table field; a formula reads only earlier numeric fields and columns."""
    kind = draw(st.sampled_from(["text", "textarea", "number", "money", "date", "datetime",
                                 "date_range", "single_choice", "multi_choice", "person",
                                 "department", "attachment", "image", "signature", "formula",
                                 "description", "phone", "email"]))
    data: dict[str, Json] = {"key": key, "type": kind, "label": f"字段{key}",
                             "required": draw(st.booleans())}
    visible_when = draw(condition_on(previous))
    if visible_when is not None:
        data["visible_when"] = visible_when
    match kind:
        case "text":
            data |= draw(st.fixed_dictionaries({}, optional={
                "min_length": st.integers(0, 3), "max_length": st.integers(5, 30),
                "pattern": st.sampled_from(["none", "phone", "email", "id_number"])}))
        case "textarea":
            data |= draw(st.fixed_dictionaries({}, optional={
                "min_length": st.integers(0, 3), "max_length": st.integers(5, 30)}))
        case "number":
            data |= draw(st.fixed_dictionaries({}, optional={
                "min": st.sampled_from([0, "-10.5"]), "max": st.sampled_from([1000, "99999.99"]),
                "decimals": st.integers(0, 6), "unit": st.just("件")}))
        case "money":
            data |= draw(st.fixed_dictionaries({}, optional={
                "min": st.sampled_from([0, "0.01"]), "max": st.sampled_from([50000, "1e6"])}))
        case "date":
            data |= draw(st.fixed_dictionaries({}, optional={
                "min": st.sampled_from(["today", "2026-01-01"]),
                "max": st.sampled_from(["2027-12-31"])}))
        case "single_choice":
            data |= {"options": list[Json](draw(OPTIONS)), "allow_other": draw(st.booleans())}
        case "multi_choice":
            data |= {"options": list[Json](draw(OPTIONS)), "allow_other": draw(st.booleans())}
            data |= draw(st.fixed_dictionaries({}, optional={
                "min_choices": st.integers(0, 1), "max_choices": st.integers(2, 4)}))
        case "person" | "department":
            data["multiple"] = draw(st.booleans())
        case "attachment":
            data |= draw(st.fixed_dictionaries({}, optional={
                "accept": st.just(["pdf", "png"]), "max_files": st.integers(1, 3),
                "max_size_mb": st.integers(1, 5)}))
        case "image":
            data |= draw(st.fixed_dictionaries({}, optional={"max_files": st.integers(1, 3)}))
        case "formula":
            data |= draw(formula_settings(numeric))
        case "description":
            data |= {"text": "**须知**", "required": False}
    if kind in ("number", "money") or (kind == "formula" and data.get("result") != "text"):
        numeric.append(key)
    return data


def formula_settings(numeric: list[str]) -> st.SearchStrategy[dict[str, Json]]:
    if not numeric:
        return st.fixed_dictionaries({"expression": st.sampled_from(["1 + 2", "LEN('客户')"]),
                                      "result": st.sampled_from(["number", "money"])})
    names = st.sampled_from(numeric)
    pattern = st.sampled_from(["SUM({a}, {b})", "ROUND({a} * 1.06, 2)", "{a} - {b}",
                               "IF({a} > 100, {a}, {b})", "{a} / {b}", "MAX({a}, 0)",
                               "AVG({a})", "COUNT({a}, {b})", "ABS({a}) + 0.1"])
    return st.builds(lambda template, a, b, result: {
        "expression": template.format(a=a, b=b), "result": result},
        pattern, names, names, st.sampled_from(["number", "money"]))


@st.composite
def schemas(draw: st.DrawFn) -> dict[str, Json]:
    fields: list[dict[str, Json]] = []
    numeric: list[str] = []
    for index in range(draw(st.integers(0, 7))):
        key = f"f_{index}"
        if draw(st.integers(0, 5)) == 0:
            columns: list[dict[str, Json]] = []
            column_numeric: list[str] = []
            for column_index in range(draw(st.integers(1, 3))):
                column = draw(plain_field(f"f_{index}_{column_index}", columns, column_numeric))
                columns.append(column)
            table: dict[str, Json] = {"key": key, "type": "table", "label": f"明细{index}",
                                      "columns": list[Json](columns),
                                      "required": draw(st.booleans())}
            totals = [name for name in column_numeric if draw(st.booleans())]
            if totals:
                table["totals"] = list[Json](totals)
            table |= draw(st.fixed_dictionaries({}, optional={
                "min_rows": st.integers(0, 1), "max_rows": st.integers(2, 4)}))
            fields.append(table)
            numeric.extend(f"{key}.{name}" for name in column_numeric
                           if name in column_numeric)
        else:
            fields.append(draw(plain_field(key, fields, numeric)))
    return {"fields": list[Json](fields)}


def plausible_value(item: dict[str, Json]) -> st.SearchStrategy[Json]:
    """Mostly valid values for one field (so deeper rules run), sometimes garbage."""
    kind = item["type"]
    valid: st.SearchStrategy[Json]
    match kind:
        case "text" | "textarea":
            valid = {"phone": st.just("13800138000"), "email": st.just("li@example.cn"),
                     "id_number": st.just("11010519491231002X")}.get(
                str(item.get("pattern")), TEXT)
        case "phone":
            valid = st.just("139 1234 5678")
        case "email":
            valid = st.just("a@b.cn")
        case "number" | "money":
            valid = st.decimals(min_value=0, max_value=999, places=2).map(str)
        case "date":
            valid = st.dates(TODAY, date(2027, 12, 31)).map(date.isoformat)
        case "datetime":
            valid = st.datetimes(timezones=st.just(timezone(timedelta(hours=8)))).map(
                lambda moment: moment.isoformat())
        case "date_range":
            valid = st.builds(lambda start, days: {
                "start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat()},
                st.dates(date(2026, 1, 1), date(2027, 1, 1)), st.integers(0, 40))
        case "single_choice":
            options = item.get("options")
            valid = st.sampled_from(options if isinstance(options, list) else ["x"])
        case "multi_choice":
            options = item.get("options")
            valid = st.lists(st.sampled_from(options if isinstance(options, list) else ["x"]),
                             unique=True)
        case "person" | "department":
            valid = st.lists(st.integers(1, 50), min_size=1, max_size=1)
        case "attachment" | "image" | "signature":
            valid = st.lists(st.integers(1, 50), min_size=1, max_size=1)
        case "table":
            columns = item.get("columns")
            column_list = columns if isinstance(columns, list) else []
            valid = st.lists(st.fixed_dictionaries({
                str(column["key"]): plausible_value(column) for column in column_list
                if isinstance(column, dict) and column.get("type") not in
                ("formula", "description")}), max_size=4)
        case _:
            valid = GARBAGE
    return st.one_of(valid, valid, valid, GARBAGE)


@st.composite
def schema_and_values(draw: st.DrawFn) -> tuple[dict[str, Json], dict[str, Json]]:
    data = draw(schemas())
    fields = data["fields"]
    assert isinstance(fields, list)
    values: dict[str, Json] = {}
    for item in fields:
        assert isinstance(item, dict)
        if draw(st.integers(0, 4)) > 0:
            values[str(item["key"])] = draw(plausible_value(item))
    if draw(st.integers(0, 9)) == 0:
        values[draw(st.text(max_size=6))] = draw(GARBAGE)
    return data, values


@PROPERTY_SETTINGS
@given(schemas())
def test_generated_schemas_pass_the_design_check_and_round_trip(data: dict[str, Json]) -> None:
    assert check_design(data) == []
    parsed = Schema.from_dict(data)
    assert Schema.from_dict(parsed.to_dict()) == parsed


@PROPERTY_SETTINGS
@given(schema_and_values())
def test_validation_never_raises_and_keeps_only_known_keys_for_any_values(
        case: tuple[dict[str, Json], dict[str, Json]]) -> None:
    form = Schema.from_dict(case[0])

    result = validate(form, case[1], today=TODAY, calendar=StatutoryCalendar(),
                      known_people={1, 2, 3}, language="en")
    compute(form, case[1], today=TODAY)

    keys = {item.key for item in form.fields}
    assert set(result.cleaned) <= keys
    for item in form.fields:
        rows = result.cleaned.get(item.key)
        if isinstance(item.settings, TableSettings) and rows is not None:
            assert isinstance(rows, list)
            columns = {column.key for column in item.settings.columns}
            assert all(isinstance(row, dict) and set(row) <= columns for row in rows)
    assert all(error.message for error in result.errors)


@PROPERTY_SETTINGS
@given(schema_and_values())
def test_cleaned_values_are_a_fixed_point_when_validation_succeeded(
        case: tuple[dict[str, Json], dict[str, Json]]) -> None:
    form = Schema.from_dict(case[0])
    first = validate(form, case[1], today=TODAY)
    event("first validation " + ("failed" if first.errors else "passed"))
    if first.errors:
        return

    second = validate(form, first.cleaned, today=TODAY)

    assert (second.errors, second.cleaned) == ([], first.cleaned)
    assert second.computed == first.computed


@PROPERTY_SETTINGS
@given(GARBAGE)
def test_design_check_reports_instead_of_raising_when_given_any_json(data: Json) -> None:
    check_design(data)
    check_design({"fields": [data]})
    check_design({"fields": [{"key": "f_a", "type": "table", "label": "t", "columns": [data]}]})


@PROPERTY_SETTINGS
@given(GARBAGE)
def test_schema_parsing_raises_only_schema_errors_when_given_any_json(data: Json) -> None:
    for candidate in (data, {"fields": [data]}):
        with contextlib.suppress(SchemaError):
            Schema.from_dict(candidate)


@PROPERTY_SETTINGS
@given(st.text(alphabet="f_ab12.+-*/%()<>=!,'\" SUMROUNDIFabx", max_size=40),
       st.dictionaries(st.sampled_from(["f_a", "f_b", "f_a.f_b"]),
                       st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False),
                                 st.text(max_size=5), st.dates(),
                                 st.lists(st.decimals(allow_nan=False, allow_infinity=False),
                                          max_size=3))))
def test_formulas_raise_only_formula_errors_when_given_any_text_and_inputs(
        expression: str, names: dict[str, Decimal | str | date | list[Decimal] | None]) -> None:
    try:
        parsed = parse_formula(expression)
    except FormulaSyntaxError:
        return
    with contextlib.suppress(FormulaError):
        evaluate_formula(parsed, names)
