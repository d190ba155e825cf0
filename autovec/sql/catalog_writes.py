"""Writing table definitions and stored column values: shared by DDL and back-fills.

Its own module so that auto_embedding.py (which DDL calls) need not import ddl.py.
"""

from __future__ import annotations

from autovec.sql.context import ExecContext
from autovec.sql.internal_functions import type_key
from autovec.sql.schema import ColumnDef, TableSchema
from autovec.storage import catalog as storage_catalog


def save_table(session: ExecContext, database: str, schema: TableSchema) -> None:
    """Store a table's definition in the database's catalog."""
    storage_catalog.save_table(session.conn, database, schema.name, schema.to_dict())


def store_sql(expression_sql: str, column: ColumnDef) -> str:
    """SQLite for ``expression_sql`` converted to the value ``column`` stores."""
    key = type_key(column.type).replace("'", "''")
    name = column.name.replace("'", "''")
    return f"__av_store({expression_sql}, '{key}', '{name}', 1)"
