"""``information_schema``: built from the catalogs on demand, queried with plain SQL.

When a statement names ``information_schema.X``, table X is (re)filled in a per-session
in-memory SQLite database from the catalogs of every database, and the statement runs
against it unchanged: joins, filters and ordering all work as on any table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autovec import errors
from autovec.sql.schema import TableSchema
from autovec.sql.vector_index import indexed_rows, saved_rows

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

ALIAS = "__av_is"

Rows = list[tuple[Any, ...]]

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "SCHEMATA": [
        ("CATALOG_NAME", "VARCHAR(512)"),
        ("SCHEMA_NAME", "VARCHAR(64)"),
        ("DEFAULT_CHARACTER_SET_NAME", "VARCHAR(64)"),
        ("DEFAULT_COLLATION_NAME", "VARCHAR(32)"),
        ("SQL_PATH", "VARCHAR(512)"),
        ("TIDB_PLACEMENT_POLICY_NAME", "VARCHAR(64)"),
    ],
    "TABLES": [
        ("TABLE_CATALOG", "VARCHAR(512)"),
        ("TABLE_SCHEMA", "VARCHAR(64)"),
        ("TABLE_NAME", "VARCHAR(64)"),
        ("TABLE_TYPE", "VARCHAR(64)"),
        ("ENGINE", "VARCHAR(64)"),
        ("VERSION", "BIGINT"),
        ("ROW_FORMAT", "VARCHAR(10)"),
        ("TABLE_ROWS", "BIGINT"),
        ("AVG_ROW_LENGTH", "BIGINT"),
        ("DATA_LENGTH", "BIGINT"),
        ("MAX_DATA_LENGTH", "BIGINT"),
        ("INDEX_LENGTH", "BIGINT"),
        ("DATA_FREE", "BIGINT"),
        ("AUTO_INCREMENT", "BIGINT"),
        ("CREATE_TIME", "DATETIME"),
        ("UPDATE_TIME", "DATETIME"),
        ("CHECK_TIME", "DATETIME"),
        ("TABLE_COLLATION", "VARCHAR(32)"),
        ("CHECKSUM", "BIGINT"),
        ("CREATE_OPTIONS", "VARCHAR(255)"),
        ("TABLE_COMMENT", "VARCHAR(2048)"),
        ("TIDB_TABLE_ID", "BIGINT"),
    ],
    "COLUMNS": [
        ("TABLE_CATALOG", "VARCHAR(512)"),
        ("TABLE_SCHEMA", "VARCHAR(64)"),
        ("TABLE_NAME", "VARCHAR(64)"),
        ("COLUMN_NAME", "VARCHAR(64)"),
        ("ORDINAL_POSITION", "BIGINT"),
        ("COLUMN_DEFAULT", "TEXT"),
        ("IS_NULLABLE", "VARCHAR(3)"),
        ("DATA_TYPE", "VARCHAR(64)"),
        ("CHARACTER_MAXIMUM_LENGTH", "BIGINT"),
        ("CHARACTER_OCTET_LENGTH", "BIGINT"),
        ("NUMERIC_PRECISION", "BIGINT"),
        ("NUMERIC_SCALE", "BIGINT"),
        ("DATETIME_PRECISION", "BIGINT"),
        ("CHARACTER_SET_NAME", "VARCHAR(32)"),
        ("COLLATION_NAME", "VARCHAR(32)"),
        ("COLUMN_TYPE", "TEXT"),
        ("COLUMN_KEY", "VARCHAR(3)"),
        ("EXTRA", "VARCHAR(30)"),
        ("PRIVILEGES", "VARCHAR(80)"),
        ("COLUMN_COMMENT", "VARCHAR(1024)"),
        ("GENERATION_EXPRESSION", "TEXT"),
    ],
    "STATISTICS": [
        ("TABLE_CATALOG", "VARCHAR(512)"),
        ("TABLE_SCHEMA", "VARCHAR(64)"),
        ("TABLE_NAME", "VARCHAR(64)"),
        ("NON_UNIQUE", "VARCHAR(1)"),
        ("INDEX_SCHEMA", "VARCHAR(64)"),
        ("INDEX_NAME", "VARCHAR(64)"),
        ("SEQ_IN_INDEX", "BIGINT"),
        ("COLUMN_NAME", "VARCHAR(21)"),
        ("COLLATION", "VARCHAR(1)"),
        ("CARDINALITY", "BIGINT"),
        ("SUB_PART", "BIGINT"),
        ("PACKED", "VARCHAR(10)"),
        ("NULLABLE", "VARCHAR(3)"),
        ("INDEX_TYPE", "VARCHAR(16)"),
        ("COMMENT", "VARCHAR(16)"),
        ("INDEX_COMMENT", "VARCHAR(1024)"),
        ("IS_VISIBLE", "VARCHAR(3)"),
        ("EXPRESSION", "TEXT"),
    ],
    "KEY_COLUMN_USAGE": [
        ("CONSTRAINT_CATALOG", "VARCHAR(512)"),
        ("CONSTRAINT_SCHEMA", "VARCHAR(64)"),
        ("CONSTRAINT_NAME", "VARCHAR(64)"),
        ("TABLE_CATALOG", "VARCHAR(512)"),
        ("TABLE_SCHEMA", "VARCHAR(64)"),
        ("TABLE_NAME", "VARCHAR(64)"),
        ("COLUMN_NAME", "VARCHAR(64)"),
        ("ORDINAL_POSITION", "BIGINT"),
        ("POSITION_IN_UNIQUE_CONSTRAINT", "BIGINT"),
        ("REFERENCED_TABLE_SCHEMA", "VARCHAR(64)"),
        ("REFERENCED_TABLE_NAME", "VARCHAR(64)"),
        ("REFERENCED_COLUMN_NAME", "VARCHAR(64)"),
    ],
    "VIEWS": [
        ("TABLE_CATALOG", "VARCHAR(512)"),
        ("TABLE_SCHEMA", "VARCHAR(64)"),
        ("TABLE_NAME", "VARCHAR(64)"),
        ("VIEW_DEFINITION", "TEXT"),
        ("CHECK_OPTION", "VARCHAR(8)"),
        ("IS_UPDATABLE", "VARCHAR(3)"),
        ("DEFINER", "VARCHAR(77)"),
        ("SECURITY_TYPE", "VARCHAR(7)"),
        ("CHARACTER_SET_CLIENT", "VARCHAR(32)"),
        ("COLLATION_CONNECTION", "VARCHAR(32)"),
    ],
    "TIFLASH_REPLICA": [
        ("TABLE_SCHEMA", "VARCHAR(64)"),
        ("TABLE_NAME", "VARCHAR(64)"),
        ("TABLE_ID", "BIGINT"),
        ("REPLICA_COUNT", "BIGINT"),
        ("LOCATION_LABELS", "VARCHAR(64)"),
        ("AVAILABLE", "TINYINT(1)"),
        ("PROGRESS", "DOUBLE"),
    ],
    "TIFLASH_INDEXES": [
        ("TIDB_DATABASE", "VARCHAR(64)"),
        ("TIDB_TABLE", "VARCHAR(64)"),
        ("TABLE_ID", "BIGINT"),
        ("COLUMN_NAME", "VARCHAR(64)"),
        ("INDEX_NAME", "VARCHAR(64)"),
        ("COLUMN_ID", "BIGINT"),
        ("INDEX_ID", "BIGINT"),
        ("INDEX_KIND", "VARCHAR(64)"),
        ("ROWS_STABLE_INDEXED", "BIGINT"),
        ("ROWS_STABLE_NOT_INDEXED", "BIGINT"),
        ("ROWS_DELTA_INDEXED", "BIGINT"),
        ("ROWS_DELTA_NOT_INDEXED", "BIGINT"),
        ("ERROR_MESSAGE", "TEXT"),
        ("TIFLASH_INSTANCE", "VARCHAR(64)"),
    ],
    "ENGINES": [
        ("ENGINE", "VARCHAR(64)"),
        ("SUPPORT", "VARCHAR(8)"),
        ("COMMENT", "VARCHAR(80)"),
        ("TRANSACTIONS", "VARCHAR(3)"),
        ("XA", "VARCHAR(3)"),
        ("SAVEPOINTS", "VARCHAR(3)"),
    ],
}


def column_rows(database: str, schema: TableSchema) -> Rows:
    rows: Rows = []
    keys = key_markers(schema)
    for position, column in enumerate(schema.columns, start=1):
        t = column.type
        char_len = (
            t.length if t.name in ("char", "varchar") else (65535 if t.name == "text" else None)
        )
        precision = {"tinyint": 3, "smallint": 5, "mediumint": 7, "int": 10, "bigint": 19}.get(
            t.name
        )
        if t.name == "decimal":
            precision = t.length
        elif t.name in ("float", "double"):
            precision = 12 if t.name == "float" else 22
        rows.append((
            "def", database, schema.name, column.name, position, _default_text(column.default),
            "YES" if column.nullable else "NO", t.name, char_len, char_len * 4 if char_len else None,
            precision, t.scale if t.name == "decimal" else (0 if t.is_integer else None),
            (t.length or 0) if t.name in ("datetime", "timestamp", "time") else None,
            "utf8mb4" if t.is_string else None, "utf8mb4_bin" if t.is_string else None,
            t.sql(), keys.get(column.name, ""), extra(column), "select,insert,update,references",
            column.comment or "", column.generated or "",
        ))  # fmt: skip
    return rows


def _default_text(default: str | None) -> str | None:
    if default is None or default.upper() == "NULL":
        return None
    if len(default) >= 2 and default[0] == default[-1] == "'":
        return default[1:-1].replace("''", "'")
    return default


def extra(column: Any) -> str:
    parts = []
    if column.auto_increment:
        parts.append("auto_increment")
    if column.generated is not None:
        parts.append("STORED GENERATED" if column.generated_stored else "VIRTUAL GENERATED")
    if (
        column.default
        and column.default.upper().startswith("CURRENT_TIMESTAMP")
        and column.type.name in ("datetime", "timestamp")
    ):
        parts.append("DEFAULT_GENERATED")
    if column.on_update:
        parts.append(f"on update {column.on_update}")
    return " ".join(parts)


def key_markers(schema: TableSchema) -> dict[str, str]:
    """MySQL's Key column of DESCRIBE: PRI, UNI, MUL."""
    markers: dict[str, str] = {}
    for index in schema.indexes:
        first = index.columns[0] if index.columns else None
        if first is None:
            continue
        if index.kind == "PRIMARY":
            for column in index.columns:
                markers[column] = "PRI"
        elif index.kind == "UNIQUE" and len(index.columns) == 1:
            markers.setdefault(first, "UNI")
        else:
            markers.setdefault(first, "MUL")
    return markers


def statistics_rows(database: str, schema: TableSchema, row_count: int) -> Rows:
    rows: Rows = []
    for index in schema.indexes:
        for seq, column_name in enumerate(index.columns, start=1):
            column = schema.column(column_name)
            nullable = "YES" if column is not None and column.nullable else ""
            index_type = {"VECTOR": "HNSW", "FULLTEXT": "FULLTEXT"}.get(index.kind, "BTREE")
            expression = None
            if index.kind == "VECTOR":
                # TiDB names the vector column too (tidb-vector's has_vector_index reads
                # Column_name), and the distance it indexes.
                expression = f"vec_{(index.metric or 'cosine').lower()}_distance(`{column_name}`)"
            column_name_out = column_name
            rows.append((
                "def", database, schema.name, "0" if index.kind in ("PRIMARY", "UNIQUE") else "1", database,
                index.name, seq, column_name_out, "A" if index.kind not in ("VECTOR", "FULLTEXT") else None,
                row_count, None, None, nullable, index_type, "", index.comment or "", "YES", expression,
            ))  # fmt: skip
    return rows


class InformationSchema:
    """Materialises ``information_schema`` tables for one session."""

    def __init__(self, session: ExecContext):
        self.session = session
        self._attached = False
        self._builders: dict[str, Callable[[], Rows]] = {
            "SCHEMATA": self._schemata,
            "TABLES": self._tables,
            "COLUMNS": self._columns,
            "STATISTICS": self._statistics,
            "KEY_COLUMN_USAGE": self._key_column_usage,
            "VIEWS": self._views,
            "TIFLASH_REPLICA": self._tiflash_replica,
            "TIFLASH_INDEXES": self._tiflash_indexes,
            "ENGINES": lambda: [
                (
                    "InnoDB",
                    "DEFAULT",
                    "Supports transactions, row-level locking, and foreign keys",
                    "YES",
                    "YES",
                    "YES",
                )
            ],
        }

    def materialize(self, name: str) -> None:
        key = name.upper()
        builder = self._builders.get(key)
        if builder is None:
            raise errors.no_such_table("information_schema", name)
        conn = self.session.conn
        if not self._attached:
            if ALIAS not in self.session.store.attached(conn):
                conn.execute(f"ATTACH DATABASE ':memory:' AS {ALIAS}")
            self._attached = True
        columns = COLUMNS[key]
        rows = builder()
        conn.execute(f'DROP TABLE IF EXISTS {ALIAS}."{key}"')
        conn.execute(
            f'CREATE TABLE {ALIAS}."{key}" (' + ", ".join(f'"{c}" {t}' for c, t in columns) + ")"
        )
        if rows:
            marks = ", ".join("?" for _ in columns)
            conn.executemany(f'INSERT INTO {ALIAS}."{key}" VALUES ({marks})', rows)

    # -- builders ----------------------------------------------------------------------------
    def _databases(self) -> list[str]:
        return self.session.store.datadir.list_databases()

    def _each_table(self) -> list[tuple[str, TableSchema]]:
        return [
            (db, schema) for db in self._databases() for schema in self.session.catalog(db).values()
        ]

    def _row_count(self, database: str, table: str) -> int:
        row = self.session.conn.execute(f'SELECT count(*) FROM "{database}"."{table}"').fetchone()
        return int(row[0]) if row else 0

    def _schemata(self) -> Rows:
        names = ["INFORMATION_SCHEMA", *self._databases()]
        return [("def", n, "utf8mb4", "utf8mb4_bin", None, None) for n in names]

    def _tables(self) -> Rows:
        rows: Rows = []
        for table_id, (database, schema) in enumerate(self._each_table(), start=100):
            count = self._row_count(database, schema.name)
            rows.append((
                "def", database, schema.name, "BASE TABLE", "InnoDB", 10, "Compact", count, 0, 0, 0, 0, 0,
                None, None, None, None, "utf8mb4_bin", None, "", schema.comment or "", table_id,
            ))  # fmt: skip
        for database, name, _sql in self._view_list():
            rows.append(
                (
                    "def",
                    database,
                    name,
                    "VIEW",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "VIEW",
                    None,
                )
            )
        for name in COLUMNS:
            rows.append(
                (
                    "def",
                    "information_schema",
                    name,
                    "SYSTEM VIEW",
                    None,
                    10,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "utf8mb4_bin",
                    None,
                    "",
                    "",
                    None,
                )
            )
        return rows

    def _view_list(self) -> list[tuple[str, str, str]]:
        views = []
        for database in self._databases():
            self.session.attach(database)
            for name, sql in self.session.conn.execute(
                f"SELECT name, sql FROM \"{database}\".sqlite_master WHERE type = 'view'"
            ):
                views.append((database, name, sql))
        return views

    def _columns(self) -> Rows:
        return [
            row for database, schema in self._each_table() for row in column_rows(database, schema)
        ]

    def _statistics(self) -> Rows:
        return [
            row
            for database, schema in self._each_table()
            for row in statistics_rows(database, schema, self._row_count(database, schema.name))
        ]

    def _key_column_usage(self) -> Rows:
        rows: Rows = []
        for database, schema in self._each_table():
            for index in schema.indexes:
                if index.kind in ("PRIMARY", "UNIQUE"):
                    for position, column in enumerate(index.columns, start=1):
                        rows.append(
                            (
                                "def",
                                database,
                                index.name,
                                "def",
                                database,
                                schema.name,
                                column,
                                position,
                                None,
                                None,
                                None,
                                None,
                            )
                        )
        return rows

    def _views(self) -> Rows:
        return [
            (
                "def",
                db,
                name,
                sql.split(" AS ", 1)[-1],
                "CASCADED",
                "NO",
                "root@%",
                "DEFINER",
                "utf8mb4",
                "utf8mb4_bin",
            )
            for db, name, sql in self._view_list()
        ]

    def _vector_progress(self, database: str, schema: TableSchema, index: Any) -> tuple[int, int]:
        """(rows in the vector index, rows with a vector): the build's real progress."""
        quoted = '"' + index.columns[0].replace('"', '""') + '"'
        found = self.session.conn.execute(
            f'SELECT count(*) FROM "{database}"."{schema.name}" WHERE {quoted} IS NOT NULL'
        ).fetchone()
        total = int(found[0]) if found else 0
        indexed = indexed_rows(self.session, database, schema, index)
        if indexed is None:
            indexed = saved_rows(self.session, database, schema, index)
        return min(indexed, total), total

    def _tiflash_indexes(self) -> Rows:
        rows: Rows = []
        for table_id, (database, schema) in enumerate(self._each_table(), start=100):
            for index_id, index in enumerate(schema.indexes, start=1):
                if index.kind not in ("VECTOR", "FULLTEXT"):
                    continue
                column = schema.column(index.columns[0])
                column_id = schema.columns.index(column) + 1 if column is not None else 0
                if index.kind == "VECTOR":
                    indexed, total = self._vector_progress(database, schema, index)
                    kind = "Vector"
                else:
                    total = indexed = self._row_count(database, schema.name)
                    kind = "FullText"
                rows.append((
                    database, schema.name, table_id, index.columns[0], index.name, column_id, index_id, kind,
                    indexed, total - indexed, 0, 0, "", "autovec",
                ))  # fmt: skip
        return rows

    def _tiflash_replica(self) -> Rows:
        rows: Rows = []
        for table_id, (database, schema) in enumerate(self._each_table(), start=100):
            if not schema.tiflash_replica:
                continue
            progress = 1.0
            for index in schema.indexes:
                if index.kind != "VECTOR":
                    continue
                indexed, total = self._vector_progress(database, schema, index)
                progress = min(progress, 1.0 if total == 0 else indexed / total)
            rows.append(
                (
                    database,
                    schema.name,
                    table_id,
                    schema.tiflash_replica,
                    "",
                    1 if progress >= 1 else 0,
                    progress,
                )
            )
        return rows
