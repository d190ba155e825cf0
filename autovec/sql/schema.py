"""Table definitions as the SQL layer sees them: columns, indexes, checks.

A :class:`TableSchema` is built from CREATE TABLE, changed by ALTER TABLE, stored as a
JSON document by ``storage.catalog``, printed by SHOW CREATE TABLE and turned into the
SQLite table that holds the rows. It is immutable in spirit: DDL builds a new one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from autovec.sql.parser import mysql_quote
from autovec.sql.types import SqlType


@dataclass
class ColumnDef:
    name: str
    type: SqlType
    nullable: bool = True
    default: str | None = None  # MySQL expression text, e.g. "'x'", "CURRENT_TIMESTAMP"
    auto_increment: bool = False
    generated: str | None = None  # MySQL expression text of GENERATED ALWAYS AS (...)
    generated_stored: bool = True
    on_update: str | None = None
    comment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = asdict(self.type)
        return {k: v for k, v in data.items() if v not in (None, False) or k == "nullable"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnDef:
        t = data["type"]
        sql_type = SqlType(
            t["name"],
            t.get("length"),
            t.get("scale"),
            t.get("unsigned", False),
            tuple(t.get("values", ())),
        )
        return cls(**{**data, "type": sql_type})


@dataclass
class IndexDef:
    name: str
    kind: str  # PRIMARY | UNIQUE | INDEX | VECTOR | FULLTEXT
    columns: list[str]
    metric: str | None = None  # VECTOR: COSINE | L2
    options: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, "")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexDef:
        return cls(**data)


@dataclass
class CheckDef:
    name: str
    expression: str  # MySQL expression text


@dataclass
class TableSchema:
    name: str
    columns: list[ColumnDef]
    indexes: list[IndexDef] = field(default_factory=list)
    checks: list[CheckDef] = field(default_factory=list)
    comment: str | None = None
    auto_increment_start: int | None = None
    tiflash_replica: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    # -- lookups -----------------------------------------------------------------------
    def column(self, name: str) -> ColumnDef | None:
        lowered = name.lower()
        for column in self.columns:
            if column.name.lower() == lowered:
                return column
        return None

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def primary_key(self) -> IndexDef | None:
        return next((i for i in self.indexes if i.kind == "PRIMARY"), None)

    @property
    def rowid_column(self) -> ColumnDef | None:
        """The single integer primary key column, which SQLite stores as the rowid."""
        pk = self.primary_key
        if pk and len(pk.columns) == 1:
            column = self.column(pk.columns[0])
            if column is not None and column.type.is_integer:
                return column
        return None

    def index(self, name: str) -> IndexDef | None:
        return next((i for i in self.indexes if i.name.lower() == name.lower()), None)

    # -- persistence -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": [c.to_dict() for c in self.columns],
            "indexes": [i.to_dict() for i in self.indexes],
            "checks": [asdict(c) for c in self.checks],
            "comment": self.comment,
            "auto_increment_start": self.auto_increment_start,
            "tiflash_replica": self.tiflash_replica,
            "options": self.options,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSchema:
        return cls(
            name=data["name"],
            columns=[ColumnDef.from_dict(c) for c in data["columns"]],
            indexes=[IndexDef.from_dict(i) for i in data.get("indexes", [])],
            checks=[CheckDef(**c) for c in data.get("checks", [])],
            comment=data.get("comment"),
            auto_increment_start=data.get("auto_increment_start"),
            tiflash_replica=data.get("tiflash_replica", 0),
            options=data.get("options", {}),
        )

    # -- SHOW CREATE TABLE -------------------------------------------------------------
    def show_create(self, next_auto_increment: int | None = None) -> str:
        lines = [f"  {_column_sql(c)}" for c in self.columns]
        for index in self.indexes:
            lines.append(f"  {_index_sql(index)}")
        for check in self.checks:
            lines.append(f"  CONSTRAINT {mysql_quote(check.name)} CHECK ({check.expression})")
        options = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        if next_auto_increment and next_auto_increment > 1:
            options += f" AUTO_INCREMENT={next_auto_increment}"
        if self.comment:
            options += " COMMENT='" + self.comment.replace("'", "''") + "'"
        return f"CREATE TABLE {mysql_quote(self.name)} (\n" + ",\n".join(lines) + f"\n) {options}"


def _column_sql(column: ColumnDef) -> str:
    parts = [mysql_quote(column.name), column.type.sql()]
    if column.generated is not None:
        parts.append(
            f"GENERATED ALWAYS AS ({column.generated}) {'STORED' if column.generated_stored else 'VIRTUAL'}"
        )
    if not column.nullable:
        parts.append("NOT NULL")
    if column.auto_increment:
        parts.append("AUTO_INCREMENT")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    elif column.nullable and column.generated is None and not column.type.is_text_blob:
        parts.append("DEFAULT NULL")
    if column.on_update:
        parts.append(f"ON UPDATE {column.on_update}")
    if column.comment:
        parts.append("COMMENT '" + column.comment.replace("'", "''") + "'")
    return " ".join(parts)


def _index_sql(index: IndexDef) -> str:
    cols = ",".join(mysql_quote(c) for c in index.columns)
    if index.kind == "PRIMARY":
        return f"PRIMARY KEY ({cols}) /*T![clustered_index] CLUSTERED */"
    if index.kind == "UNIQUE":
        return f"UNIQUE KEY {mysql_quote(index.name)} ({cols})"
    if index.kind == "VECTOR":
        func = "VEC_COSINE_DISTANCE" if index.metric == "COSINE" else "VEC_L2_DISTANCE"
        text = f"VECTOR INDEX {mysql_quote(index.name)}(({func}({cols})))"
        return text + (
            " COMMENT '" + index.comment.replace("'", "''") + "'" if index.comment else ""
        )
    if index.kind == "FULLTEXT":
        parser = index.options.get("parser", "STANDARD")
        return f"FULLTEXT INDEX {mysql_quote(index.name)}({cols}) WITH PARSER {parser.upper()}"
    return f"KEY {mysql_quote(index.name)} ({cols})"


def unique_index_name(existing: list[IndexDef], base: str) -> str:
    """MySQL's naming for unnamed indexes: base, base_2, base_3, …"""
    names = {i.name.lower() for i in existing}
    if base.lower() not in names:
        return base
    n = 2
    while f"{base}_{n}".lower() in names:
        n += 1
    return f"{base}_{n}"


def sqlite_index_name(table: str, index: str) -> str:
    """SQLite index names are per database; MySQL's are per table."""
    return f"{table}.{index}"
