"""The tables a statement reads, by alias: how translation gives columns their types.

Its own module so that modules below the translator (full-text search, vector search,
the execution context) can name it without importing translate.py.
"""

from __future__ import annotations

from sqlglot import exp

from autovec.sql.schema import ColumnDef, TableSchema
from autovec.sql.types import SqlType


class Scope:
    """The tables a statement reads, by alias, to give columns their types."""

    def __init__(self, tables: dict[str, tuple[str, TableSchema]]):
        self.tables = tables  # alias → (database, schema)

    def column(self, column: exp.Column) -> tuple[str, ColumnDef] | None:
        """The (database, definition) a column reference reads, if it reads a table."""
        qualifier = column.table.lower() if column.table else None
        candidates = (
            [self.tables[qualifier]]
            if qualifier in self.tables
            else []
            if qualifier
            else list(self.tables.values())
        )
        for database, schema in candidates:
            col = schema.column(column.name)
            if col is not None:
                return database, col
        return None

    def column_type(self, column: exp.Column) -> SqlType | None:
        found = self.column(column)
        return found[1].type if found else None
