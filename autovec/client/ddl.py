"""DDL as pytidb sends it: tables, then each vector / full-text index after its replica.

Per vector or full-text index on a self-managed server (anything but a TiDB Cloud
Starter host): ``SELECT … FROM INFORMATION_SCHEMA.tiflash_replica WHERE TABLE_SCHEMA=…
AND TABLE_NAME=…``; if there is no row or its count is 0, ``ALTER TABLE t SET TIFLASH
REPLICA 1``; then ``CREATE VECTOR INDEX vec_idx_… ON t ((VEC_COSINE_DISTANCE(col))) USING
HNSW`` or ``CREATE FULLTEXT INDEX fts_idx_… ON t (col) WITH PARSER MULTILINGUAL``. On
Starter hosts the replica is left to `` ADD_COLUMNAR_REPLICA_ON_DEMAND``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import visitors

from autovec.schema import index_kind

__all__ = ["create_index", "create_table", "ensure_tiflash_replica", "index_sql", "plain_copy"]

_DISTANCE_CALL = re.compile(r"(VEC_[A-Z0-9_]+)\s*\(\s*`?([^`)\s]+)`?\s*\)", re.I)


def plain_copy(table: sa.Table, columns: Collection[str]) -> sa.Table:
    """A copy of ``table`` in which ``columns`` are ordinary (not generated) columns.

    Used when the database cannot run ``EMBED_TEXT``: the vectors are then written by the
    SDK. The model's own table keeps its ``Computed``; only the DDL differs.
    """
    copy = table.to_metadata(sa.MetaData())
    for name in columns:
        column = copy.c[name]
        column.computed = None
        column.server_default = None
        column.server_onupdate = None
    return copy


def ensure_tiflash_replica(conn: sa.Connection, table_name: str) -> None:
    """``ALTER TABLE t SET TIFLASH REPLICA 1`` unless the table already has a replica."""
    schema = conn.execute(sa.text("SELECT DATABASE()")).scalar()
    row = conn.execute(
        sa.text(
            "SELECT TABLE_SCHEMA, TABLE_NAME, REPLICA_COUNT, LOCATION_LABELS, AVAILABLE, PROGRESS "
            "FROM INFORMATION_SCHEMA.tiflash_replica "
            "WHERE TABLE_SCHEMA = :table_schema AND TABLE_NAME = :table_name"
        ),
        {"table_schema": schema, "table_name": table_name},
    ).first()
    if row is None or not row[2]:
        quoted = conn.dialect.identifier_preparer.quote(table_name)
        conn.exec_driver_sql(f"ALTER TABLE {quoted} SET TIFLASH REPLICA 1")


def _distance_call(index: sa.Index) -> tuple[str, str]:
    """``("VEC_COSINE_DISTANCE", "embedding")`` from a vector index's expression."""
    expression = index.expressions[0]
    if isinstance(expression, sa.Function):
        columns = [e for e in visitors.iterate(expression) if isinstance(e, sa.ColumnClause)]
        if len(columns) == 1:
            return expression.name.upper(), columns[0].name
    match = _DISTANCE_CALL.search(str(expression))
    if match is None:
        raise ValueError(f"vector index {index.name}: cannot read {expression!r}")
    return match.group(1).upper(), match.group(2)


def index_sql(index: sa.Index, dialect: sa.Dialect, *, serverless: bool) -> str:
    """pytidb's ``CREATE VECTOR|FULLTEXT INDEX`` text for one of the SDK's indexes."""
    quote = dialect.identifier_preparer.quote
    assert index.table is not None
    table = quote(index.table.name)
    name = quote(str(index.name))
    kind = index_kind(index)
    if kind == "vector":
        function, column = _distance_call(index)
        text = f"CREATE VECTOR INDEX {name} ON {table} (({function}({quote(column)}))) USING HNSW"
    elif kind == "fulltext":
        columns = ", ".join(quote(c.name) for c in index.columns)
        parser = index.dialect_options["mysql"]["with_parser"] or "MULTILINGUAL"
        text = f"CREATE FULLTEXT INDEX {name} ON {table} ({columns}) WITH PARSER {parser}"
    else:
        return str(CreateIndex(index).compile(dialect=dialect))
    if serverless:
        text += " ADD_COLUMNAR_REPLICA_ON_DEMAND"
    return text


def create_index(conn: sa.Connection, index: sa.Index, *, serverless: bool) -> None:
    """Create one index; vector and full-text ones get their columnar replica first."""
    if index_kind(index) == "scalar":
        conn.execute(CreateIndex(index))
        return
    assert index.table is not None
    if not serverless:
        ensure_tiflash_replica(conn, index.table.name)
    conn.exec_driver_sql(index_sql(index, conn.dialect, serverless=serverless))


def _index_order(table: sa.Table, index: sa.Index) -> tuple[int, str]:
    positions = {c.name: i for i, c in enumerate(table.columns)}
    names = [c.name for c in index.columns] or [
        name for name in positions if any(name in str(e) for e in index.expressions)
    ]
    return (
        min((positions.get(n, len(positions)) for n in names), default=len(positions)),
        str(index.name),
    )


def create_table(
    conn: sa.Connection,
    table: sa.Table,
    *,
    serverless: bool,
    plain_columns: Collection[str] = (),
) -> None:
    """``CREATE TABLE``, then its indexes in column order (see the module docstring)."""
    target = plain_copy(table, plain_columns) if plain_columns else table
    conn.execute(CreateTable(target, include_foreign_key_constraints=None))
    for index in sorted(target.indexes, key=lambda ix: _index_order(target, ix)):
        create_index(conn, index, serverless=serverless)
