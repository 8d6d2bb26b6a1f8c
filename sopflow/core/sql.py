"""Prepared SQL for the few hot paths (decision 0010): statements built once from a model's own
metadata, run on Django's cursor (same connection, transaction and query capture as the ORM).

The ORM builds and compiles every query anew; on an approval that costs several times the
database's own work. `Table` derives the table name, the columns, how each value is adapted on
the way in and converted on the way out, and caches the statement text per backend and shape, so
the SQL never names a column the model does not have. Use it only where the benchmark shows the
ORM's cost (the workflow store, audit, notifications, the submit path); everywhere else the ORM
is the rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.utils import CursorWrapper
from django.db.models.base import DEFERRED
from django.utils import timezone

_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
          models.AutoField, models.BigAutoField)
_MISSING = object()


def _plain(field: models.Field[Any, Any]) -> bool:
    """True when the value goes to the driver as it is (no adaptation)."""
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field)
    return isinstance(field, _PLAIN) and not isinstance(field, models.GenericIPAddressField)


class _Backend:
    """What a Table needs from one backend: adapters, defaults and converters."""

    def __init__(self, table: Table[Any], alias: str) -> None:
        connection = connections[alias]
        ops = connection.ops
        self.vendor = connection.vendor
        self.connection = connection
        self.adapters: list[Callable[[Any], Any] | None] = []
        for field in table.fields:
            self.adapters.append(_adapter(field, connection))
        # Per written (non-pk) column: attname, adapter, and the default as a parameter
        # (_MISSING for `auto_now(_add)`: now; None for a callable default, made per row).
        self.written: list[tuple[str, Callable[[Any], Any] | None, Any, Any]] = []
        for position, field in enumerate(table.fields):
            if field.primary_key:
                continue
            adapter = self.adapters[position]
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default, make = _MISSING, None
            elif callable(field.default):
                default, make = None, field.get_default
            else:
                value = field.get_default()
                default = value if adapter is None or value is None else adapter(value)
                make = None
            self.written.append((field.attname, adapter, default, make))
        self.converters: list[tuple[Callable[..., Any], ...]] = []
        self.columns: list[Any] = []
        for field in table.fields:
            column = field.get_col(table.name)
            self.columns.append(column)
            self.converters.append((*ops.get_db_converters(column),
                                    *field.get_db_converters(connection)))
        self.statements: dict[tuple[Any, ...], str] = {}


class JsonText(str):
    """A value for a JSON column that the caller already serialised (written as is)."""


def _adapter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """How a value of `field` becomes a parameter: as is, or through the backend's datetime
    or JSON adapter, or (anything else) through the field's own `get_db_prep_save`."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        if connection.vendor == "sqlite" and encoder is None:
            return _json_text

        def json_value(value: Any) -> Any:
            if type(value) is JsonText:
                return _jsonb_text(value)
            return ops.adapt_json_value(value, encoder)
        return json_value
    if _plain(field):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _json_text(value: Any) -> str:
    # What SQLite's `adapt_json_value` does for a field without an encoder.
    return str(value) if type(value) is JsonText else json.dumps(value)


def _jsonb_text(text: str) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(text, dumps=_as_is)


def _as_is(text: str) -> str:
    return text


class Table[M: models.Model]:
    """Statements over `model`'s table. Rows are mappings of attribute names (`assignee_id`) to
    Python values; a column left out takes the field's default (`auto_now(_add)`: now)."""

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.fields: list[models.Field[Any, Any]] = list(meta.concrete_fields)
        self.index = {field.attname: position for position, field in enumerate(self.fields)}
        self.pk: str = meta.pk.attname  # type: ignore[union-attr,unused-ignore]  # always a pk
        if not self.fields[0].primary_key:  # `build` and `load` pass values in field order
            raise ValueError(f"{model.__name__}: the primary key must be the first column")
        self._backends: dict[str, _Backend] = {}

    def backend(self, alias: str = DEFAULT_DB_ALIAS) -> _Backend:
        # Built from the first connection seen: adapters and converters depend on the backend
        # and settings only, so threads (each with its own connection) share them.
        found = self._backends.get(alias)
        if found is None:
            found = self._backends[alias] = _Backend(self, alias)
        return found

    @staticmethod
    def q(name: str) -> str:
        """A quoted identifier (column or table name)."""
        return '"' + name.replace('"', '""') + '"'

    def columns(self, alias: str, names: Sequence[str] | None = None) -> str:
        """`alias."col", …` for `names` (attribute names; default: every concrete column), in
        the order `load` expects them."""
        fields = self.fields if names is None else [self.fields[self.index[n]] for n in names]
        return ", ".join(f"{alias}.{self.q(str(field.column))}" for field in fields)

    # --- reading --------------------------------------------------------------------------------

    def load(self, values: Sequence[Any], names: Sequence[str] | None = None,
             alias: str = DEFAULT_DB_ALIAS) -> M:
        """A model instance from a row selected with `columns(…, names)` (converted like the
        ORM converts it: JSON decoded, SQLite datetimes parsed and made aware)."""
        backend = self.backend(alias)
        connection = backend.connection
        converters, columns = backend.converters, backend.columns
        positions = range(len(self.fields)) if names is None else [self.index[n] for n in names]
        converted = []
        for value, position in zip(values, positions, strict=True):
            if value is not None:
                for converter in converters[position]:
                    value = converter(value, columns[position], connection)
            converted.append(value)
        if names is not None:  # the others stay deferred (loaded on first access)
            full: list[Any] = [DEFERRED] * len(self.fields)
            for value, position in zip(converted, positions, strict=True):
                full[position] = value
            converted = full
        instance = self.model(*converted)
        instance._state.adding = False
        instance._state.db = alias
        return instance

    def build(self, pk: Any, row: Mapping[str, Any]) -> M:
        """The instance for a row just inserted with `insert` (every column given; pk None for
        a row queued in a `Batch`)."""
        instance = self.model(pk, *(row[field.attname] for field in self.fields[1:]))
        instance._state.adding = pk is None
        return instance

    # --- writing --------------------------------------------------------------------------------

    def insert(self, cursor: CursorWrapper, rows: Sequence[Mapping[str, Any]], *,
               suffix: str = "", returning: bool = True,
               alias: str = DEFAULT_DB_ALIAS) -> list[int]:
        """One multi-row INSERT of every non-pk column (left-out columns take their defaults);
        `suffix` goes before RETURNING (an ON CONFLICT clause). Returns the primary keys in row
        order when `returning`."""
        if not rows:
            return []
        sql, params = self.insert_statement(rows, suffix=suffix, returning=returning,
                                            alias=alias)
        cursor.execute(sql, params)
        if not returning:
            return []
        return [row[0] for row in cursor.fetchall()]

    def insert_statement(self, rows: Sequence[Mapping[str, Any]], *, suffix: str = "",
                         returning: bool = False,
                         alias: str = DEFAULT_DB_ALIAS) -> tuple[str, list[Any]]:
        """The SQL and parameters `insert` runs (for a `Batch`)."""
        backend = self.backend(alias)
        shape = ("insert", len(rows), suffix, returning)
        sql = backend.statements.get(shape)
        if sql is None:
            written = [field for field in self.fields if not field.primary_key]
            one = "(" + ", ".join(["%s"] * len(written)) + ")"
            sql = (f"INSERT INTO {self.q(self.name)} ("
                   + ", ".join(self.q(str(field.column)) for field in written) + ") VALUES "
                   + ", ".join([one] * len(rows)) + (f" {suffix}" if suffix else "")
                   + (f" RETURNING {self.q(self.pk)}" if returning else ""))
            backend.statements[shape] = sql
        params: list[Any] = []
        append = params.append
        adapted: dict[datetime, Any] = {}  # a command stamps its rows with one `now`
        for row in rows:
            get = row.get
            for attname, adapter, default, make in backend.written:
                value = get(attname, _MISSING)
                if value is _MISSING:
                    if default is _MISSING:
                        value = timezone.now()
                    elif make is None:
                        append(default)
                        continue
                    else:
                        value = make()
                if adapter is None or value is None:
                    append(value)
                elif type(value) is datetime:
                    found = adapted.get(value)
                    if found is None:
                        found = adapted[value] = adapter(value)
                    append(found)
                else:
                    append(adapter(value))
        return sql, params

    def set_values(self, names: Sequence[str], values: Sequence[Any],
                   alias: str = DEFAULT_DB_ALIAS) -> tuple[str, list[Any]]:
        """`"a" = %s, "b" = %s` and the adapted parameters, for an UPDATE's SET clause."""
        backend = self.backend(alias)
        clauses, params = [], []
        for name, value in zip(names, values, strict=True):
            position = self.index[name]
            adapter = backend.adapters[position]
            clauses.append(f"{self.q(str(self.fields[position].column))} = %s")
            params.append(value if adapter is None or value is None else adapter(value))
        return ", ".join(clauses), params


class Batch:
    """The writes of one command, run together: on PostgreSQL as one statement (each write a
    data-modifying WITH query, which PostgreSQL runs exactly once and to completion, in the
    caller's transaction; one failure fails them all), elsewhere one statement after another.

    The writes must not read each other's effects (on PostgreSQL they share one snapshot); an
    UPDATE may use `last_id(name)` of the INSERT added just before it. `add(…, count=name)`
    makes `run` report how many rows that write touched, so a caller can refuse (roll back)
    when an optimistic-lock UPDATE matched nothing.
    """

    def __init__(self, alias: str = DEFAULT_DB_ALIAS) -> None:
        self.alias = alias
        self.vendor = connections[alias].vendor
        self.parts: list[tuple[str, list[Any], str, bool]] = []
        self.returning: dict[str, str] = {}  # INSERT name → its primary key column

    def add(self, sql: str, params: Sequence[Any], *, name: str = "",
            count: bool = False) -> None:
        """Queue one INSERT/UPDATE (without RETURNING; `count` adds what it needs)."""
        self.parts.append((sql, list(params), name or f"w{len(self.parts)}", count))

    def insert(self, table: Table[Any], rows: Sequence[Mapping[str, Any]], *, suffix: str = "",
               name: str = "", ids: bool = False) -> None:
        """Queue one multi-row INSERT (`Table.insert_statement`). A `name` lets later writes use
        `last_id(name)`; `ids=True` makes `run` return the new primary keys under that name."""
        if rows:
            returning = (self.vendor == "postgresql" and bool(name)) or ids
            sql, params = table.insert_statement(rows, suffix=suffix, returning=returning,
                                                 alias=self.alias)
            if ids:
                self.returning[name] = table.pk
            self.add(sql, params, name=name)

    def last_id(self, name: str) -> str:
        """SQL for the largest primary key the INSERT queued as `name` wrote."""
        if self.vendor == "postgresql":
            return f"(SELECT max(id) FROM {name})"
        if not self.parts or self.parts[-1][2] != name:
            raise ValueError(f"last_id({name!r}) must follow that INSERT directly")
        return "last_insert_rowid()"

    def run(self, cursor: CursorWrapper) -> dict[str, Any]:
        """Send the writes; returns the row counts asked for with `count` and the new ids asked
        for with `insert(…, ids=True)`, by name."""
        found: dict[str, Any] = {}
        if not self.parts:
            return found
        if self.vendor != "postgresql":
            for sql, params, name, count in self.parts:
                cursor.execute(sql, params)
                if count:
                    found[name] = cursor.rowcount
                elif name in self.returning:
                    found[name] = [row[0] for row in cursor.fetchall()]
            return found
        clauses, params, tail, wanted = [], [], [], []
        for sql, part_params, name, count in self.parts:
            if count:
                sql += " RETURNING 1"
                tail.append(f"(SELECT count(*) FROM {name})")
                wanted.append(name)
            elif name in self.returning:
                pk = self.returning[name]
                tail.append(f"(SELECT array_agg({pk} ORDER BY {pk}) FROM {name})")
                wanted.append(name)
            clauses.append(f"{name} AS ({sql})")
            params += part_params
        cursor.execute("WITH " + ", ".join(clauses) + " SELECT " + (", ".join(tail) or "1"),
                       params)
        values = cursor.fetchone()
        return {name: values[i] for i, name in enumerate(wanted)}


def cursor(alias: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """Django's cursor on `alias` (same connection and transaction as the ORM; statements show
    up in query capture). On PostgreSQL it binds parameters on the server, so psycopg prepares a
    statement after its fifth run on a connection and PostgreSQL stops parsing and planning it
    again (the ORM's cursors bind on the client; the SQL here is written to be preparable).
    Behind a connection pooler in transaction mode, turn preparing off with
    PG_PREPARED_STATEMENTS=0 (settings, README)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 only

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
        # The same query capture and error translation as `connection.cursor()`.
        return connection._prepare_cursor(raw)  # type: ignore[attr-defined,no-any-return]
