"""Which value broke a unique key: MySQL's ``Duplicate entry '1' for key 'items.PRIMARY'``.

SQLite names only the columns of the constraint that failed. By the time the error
reaches here the statement has been rolled back, so the statement's "rows as written"
query (read-only, over the table as it was) finds the first row whose key is already in
the table or repeats an earlier row of the same statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import apsw
from sqlglot import exp

from autovec import errors
from autovec.sql.parser import quote_identifier
from autovec.sql.schema import TableSchema

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

_UNIQUE_FAILED = re.compile(r"UNIQUE constraint failed: (.+)$")


@dataclass
class WrittenRows:
    """The rows a statement writes, as a query: ``rows`` with ``new_values`` projected.

    ``rows`` is a SELECT whose FROM gives one row per written row (an INSERT's values as a
    CTE, or the rows an UPDATE matches); ``new_values`` maps a column to its value as
    written. ``updating``: the rows exist already (UPDATE), so a row's own old key is no
    conflict.
    """

    rows: exp.Select
    new_values: dict[str, exp.Expression]
    updating: bool = False


def duplicate_entry(
    session: ExecContext,
    exc: apsw.ConstraintError,
    database: str,
    schema: TableSchema,
    written: WrittenRows,
    all_bindings: Iterable[Any],
) -> errors.IntegrityError | None:
    """MySQL's 1062 for a failed UNIQUE constraint, naming the value; None if not one.

    MySQL checks the primary key first, then the unique keys in the order they were
    declared; SQLite's order differs, so every unique key is looked at in MySQL's.
    """
    match = _UNIQUE_FAILED.search(str(exc))
    if match is None:
        return None
    bindings = list(all_bindings)
    keys = sorted(
        (i for i in schema.indexes if i.kind in ("PRIMARY", "UNIQUE")),
        key=lambda index: index.kind != "PRIMARY",
    )
    for index in keys:
        value = _first_duplicate(session, database, schema, written, index.columns, bindings)
        if value is not None:
            name = "PRIMARY" if index.kind == "PRIMARY" else index.name
            return _duplicate(f"'{value}' ", schema, name)
    failed = [part.strip().split(".")[-1] for part in match.group(1).split(",")]
    return _duplicate("", schema, failed[0])


def _duplicate(shown: str, schema: TableSchema, key: str) -> errors.IntegrityError:
    return errors.IntegrityError(
        f"Duplicate entry {shown}for key '{schema.name}.{key}'", errors.ER_DUP_ENTRY, "23000"
    )


def _first_duplicate(
    session: ExecContext,
    database: str,
    schema: TableSchema,
    written: WrittenRows,
    columns: list[str],
    all_bindings: Iterable[Any],
) -> str | None:
    probe = written.rows.copy()
    keys = [written.new_values.get(c.lower(), exp.column(c, quoted=True)).copy() for c in columns]
    row_id = exp.column("rowid") if written.updating else exp.Literal.number(0)
    probe.set("expressions", [row_id, *keys])
    session.translator.prepare(probe)
    sql = session.translator.sql(probe)
    where = " AND ".join(f"{quote_identifier(c)} = ?" for c in columns)
    existing_sql = (
        f"SELECT rowid FROM {quote_identifier(database)}.{quote_identifier(schema.name)} "
        f"WHERE {where} LIMIT 2"
    )
    cursor = session.conn.cursor()
    new_keys: list[tuple[int, tuple[Any, ...]]] = []
    for bindings in all_bindings:
        for found, *parts in cursor.execute(sql, bindings).fetchall():
            if all(part is not None for part in parts):  # NULLs never collide in a key
                new_keys.append((cast(int, found), tuple(parts)))
    moving = {rowid for rowid, _ in new_keys} if written.updating else set()
    seen: set[tuple[Any, ...]] = set()
    for _rowid, key in new_keys:
        holders = [r for (r,) in cursor.execute(existing_sql, key).fetchall() if r not in moving]
        if key in seen or holders:
            return "-".join(_as_text(part) for part in key)
        seen.add(key)
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
