"""Prepared SQL for the few hot paths (decision 0010): statements built once from a model's own
metadata, run on Django's cursor (same connection, transaction and query capture as the ORM).

The ORM builds and compiles every query anew; on an approval that costs several times the
database's own work. `Table` derives the table name, the columns, how each value is adapted on
the way in and converted on the way out, and caches the statement text per backend and shape, so
the SQL never names a column the model does not have. Use it only where the benchmark shows the
ORM's cost (the workflow store, audit, notifications); everywhere else the ORM is the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

# How a Python value becomes a parameter: as is, through the backend's datetime or JSON adapter,
# or (anything else) through the field's own `get_db_prep_save`.
_AS_IS, _DATETIME, _JSON, _FIELD = range(4)
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
          models.AutoField, models.BigAutoField)


def _kind(field: models.Field[Any, Any]) -> int:
    if isinstance(field, models.DateTimeField):
        return _DATETIME
    if isinstance(field, models.JSONField):
        return _JSON
    if isinstance(field, models.ForeignKey):
        return _kind(field.target_field)
    if isinstance(field, _PLAIN) and not isinstance(field, models.GenericIPAddressField):
        return _AS_IS
    return _FIELD


class _Backend:
    """What a Table needs from one backend: adapters and converters (built on first use)."""

    def __init__(self, table: Table[Any], alias: str) -> None:
        connection = connections[alias]
        ops = connection.ops
        self.vendor = connection.vendor
        self.adapters: list[Callable[[Any], Any] | None] = []
        for field in table.fields:
            kind = _kind(field)
            if kind == _AS_IS:
                self.adapters.append(None)
            elif kind == _DATETIME:
                self.adapters.append(ops.adapt_datetimefield_value)
            elif kind == _JSON:
                encoder = field.encoder  # type: ignore[attr-defined]  # JSONField
                self.adapters.append(lambda value, encoder=encoder: ops.adapt_json_value(
                    value, encoder))
            else:
                self.adapters.append(lambda value, field=field: field.get_db_prep_save(
                    value, connection))
        self.converters: list[list[Callable[..., Any]]] = []
        self.columns: list[Any] = []
        for field in table.fields:
            column = field.get_col(table.name)
            self.columns.append(column)
            self.converters.append([*ops.get_db_converters(column),
                                    *field.get_db_converters(connection)])
        self.connection = connection
        self.statements: dict[tuple[Any, ...], str] = {}


class Table[M: models.Model]:
    """Statements over `model`'s table. Rows are mappings of attribute names (`assignee_id`) to
    Python values; a column left out takes the field's default (`auto_now(_add)`: now)."""

    def __init__(self, model: type[M]) -> None:
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.fields: list[models.Field[Any, Any]] = list(meta.concrete_fields)
        self.index = {field.attname: position for position, field in enumerate(self.fields)}
        self.pk = meta.pk.attname  # type: ignore[union-attr]  # every model has a pk
        self._backends: dict[str, _Backend] = {}

    def backend(self, alias: str = DEFAULT_DB_ALIAS) -> _Backend:
        # Built from the first connection seen: adapters and converters depend on the backend
        # and settings only, so threads (each with its own connection) share them.
        found = self._backends.get(alias)
        if found is None:
            found = self._backends[alias] = _Backend(self, alias)
        return found

    def q(self, name: str) -> str:
        """A quoted identifier (column or table name)."""
        return '"' + name.replace('"', '""') + '"'

    def columns(self, alias: str, names: Sequence[str] | None = None) -> str:
        """`alias."col", …` for `names` (attribute names; default: every concrete column), in
        the order `load` expects them."""
        fields = self.fields if names is None else [self.fields[self.index[n]] for n in names]
        return ", ".join(f"{alias}.{self.q(field.column)}" for field in fields)

    # --- reading --------------------------------------------------------------------------------

    def load(self, values: Sequence[Any], names: Sequence[str] | None = None,
             alias: str = DEFAULT_DB_ALIAS) -> M:
        """A model instance from a row selected with `columns(…, names)` (converted like the
        ORM converts it: JSON decoded, SQLite datetimes parsed and made aware)."""
        backend = self.backend(alias)
        connection = backend.connection
        positions = range(len(self.fields)) if names is None else [self.index[n] for n in names]
        converted = []
        for value, position in zip(values, positions, strict=True):
            for converter in backend.converters[position]:
                value = converter(value, backend.columns[position], connection)
            converted.append(value)
        field_names = [self.fields[p].attname for p in positions]
        return self.model.from_db(alias, field_names, converted)  # type: ignore[return-value]

    # --- writing --------------------------------------------------------------------------------

    def insert(self, cursor: CursorWrapper, rows: Sequence[Mapping[str, Any]], *,
               suffix: str = "", returning: bool = True,
               alias: str = DEFAULT_DB_ALIAS) -> list[int]:
        """One multi-row INSERT of every non-pk column (left-out columns take their defaults);
        `suffix` goes before RETURNING (an ON CONFLICT clause). Returns the primary keys in row
        order when `returning`."""
        if not rows:
            return []
        backend = self.backend(alias)
        shape = ("insert", len(rows), suffix, returning)
        sql = backend.statements.get(shape)
        written = [field for field in self.fields if not field.primary_key]
        if sql is None:
            one = "(" + ", ".join(["%s"] * len(written)) + ")"
            sql = (f"INSERT INTO {self.q(self.name)} ("
                   + ", ".join(self.q(field.column) for field in written) + ") VALUES "
                   + ", ".join([one] * len(rows)) + (f" {suffix}" if suffix else "")
                   + (f" RETURNING {self.q(self.pk)}" if returning else ""))
            backend.statements[shape] = sql
        params: list[Any] = []
        now = None
        for row in rows:
            for field in written:
                position = self.index[field.attname]
                if field.attname in row:
                    value = row[field.attname]
                elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    now = now or timezone.now()
                    value = now
                else:
                    value = field.get_default()
                adapter = backend.adapters[position]
                params.append(value if adapter is None or value is None else adapter(value))
        cursor.execute(sql, params)
        if not returning:
            return []
        return [row[0] for row in cursor.fetchall()]

    def set_values(self, names: Sequence[str], values: Sequence[Any],
                   alias: str = DEFAULT_DB_ALIAS) -> tuple[str, list[Any]]:
        """`"a" = %s, "b" = %s` and the adapted parameters, for an UPDATE's SET clause."""
        backend = self.backend(alias)
        clauses, params = [], []
        for name, value in zip(names, values, strict=True):
            position = self.index[name]
            adapter = backend.adapters[position]
            clauses.append(f"{self.q(self.fields[position].column)} = %s")
            params.append(value if adapter is None or value is None else adapter(value))
        return ", ".join(clauses), params

    def adapt(self, name: str, value: Any, alias: str = DEFAULT_DB_ALIAS) -> Any:
        """One value as the parameter for column `name`."""
        adapter = self.backend(alias).adapters[self.index[name]]
        return value if adapter is None or value is None else adapter(value)

    def vendor(self, alias: str = DEFAULT_DB_ALIAS) -> str:
        return self.backend(alias).vendor


def cursor(alias: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """Django's cursor on `alias` (statements show up in query capture like the ORM's)."""
    return connections[alias].cursor()
