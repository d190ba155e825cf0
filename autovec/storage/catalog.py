"""The catalog: table definitions kept inside each database file, next to the data.

Definitions are stored as JSON documents in ``__autovec_catalog`` so a DDL statement
changes the SQLite table and its definition in one transaction: a crash leaves both or
neither. Storage does not interpret the documents; the SQL layer owns their shape.
"""

from __future__ import annotations

import json
from typing import Any

import apsw

CATALOG_TABLE = "__autovec_catalog"
VERSIONS_TABLE = "__autovec_versions"
CHANGES_TABLE = "__autovec_changes"
INTERNAL_PREFIX = "__autovec"


def ensure_catalog(conn: apsw.Connection, schema: str) -> None:
    """Create the catalog tables in an attached database if it is new."""
    conn.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".{CATALOG_TABLE} ('
        "name TEXT PRIMARY KEY COLLATE NOCASE, definition TEXT NOT NULL, created_at TEXT DEFAULT CURRENT_TIMESTAMP)"
    )
    conn.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".{VERSIONS_TABLE} ('
        "name TEXT PRIMARY KEY COLLATE NOCASE, version INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute(
        f'CREATE TABLE IF NOT EXISTS "{schema}".{CHANGES_TABLE} ('
        "name TEXT NOT NULL COLLATE NOCASE, version INTEGER NOT NULL, row INTEGER NOT NULL, "
        "PRIMARY KEY (name, version, row)) WITHOUT ROWID"
    )


def load_tables(conn: apsw.Connection, schema: str) -> dict[str, dict[str, Any]]:
    """All table definitions of one database, keyed by lower-cased table name."""
    rows = conn.execute(f'SELECT name, definition FROM "{schema}".{CATALOG_TABLE}')
    return {name.lower(): json.loads(definition) for name, definition in rows}


def save_table(conn: apsw.Connection, schema: str, name: str, definition: dict[str, Any]) -> None:
    conn.execute(
        f'INSERT INTO "{schema}".{CATALOG_TABLE}(name, definition) VALUES (?, ?) '
        "ON CONFLICT(name) DO UPDATE SET name = excluded.name, definition = excluded.definition",
        (name, json.dumps(definition, separators=(",", ":"))),
    )


def delete_table(conn: apsw.Connection, schema: str, name: str) -> None:
    conn.execute(f'DELETE FROM "{schema}".{CATALOG_TABLE} WHERE name = ?', (name,))
    conn.execute(f'DELETE FROM "{schema}".{CHANGES_TABLE} WHERE name = ?', (name,))


def bump_version(conn: apsw.Connection, schema: str, name: str) -> int:
    """Count one more committed change to a table; caches compare against this number."""
    row = conn.execute(
        f'INSERT INTO "{schema}".{VERSIONS_TABLE}(name, version) VALUES (?, 1) '
        "ON CONFLICT(name) DO UPDATE SET version = version + 1 RETURNING version",
        (name,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def table_version(conn: apsw.Connection, schema: str, name: str) -> int:
    row = conn.execute(
        f'SELECT version FROM "{schema}".{VERSIONS_TABLE} WHERE name = ?', (name,)
    ).fetchone()
    return int(row[0]) if row else 0


# -- the change log: which rows each version changed, for tables with derived indexes ---------


def log_changes(
    conn: apsw.Connection, schema: str, name: str, version: int, rowids: set[int]
) -> None:
    """Record, in the writing transaction, the rows a table version changed."""
    conn.executemany(
        f'INSERT OR IGNORE INTO "{schema}".{CHANGES_TABLE}(name, version, row) VALUES (?, ?, ?)',
        [(name, version, r) for r in rowids],
    )


def changed_rows(conn: apsw.Connection, schema: str, name: str, after: int, upto: int) -> list[int]:
    rows = conn.execute(
        f'SELECT DISTINCT row FROM "{schema}".{CHANGES_TABLE} WHERE name = ? AND version > ? AND version <= ?',
        (name, after, upto),
    )
    return [r[0] for r in rows]


def prune_changes(conn: apsw.Connection, schema: str, name: str, upto: int) -> None:
    conn.execute(
        f'DELETE FROM "{schema}".{CHANGES_TABLE} WHERE name = ? AND version <= ?', (name, upto)
    )
