"""``Table``: pytidb's table API over one model class (writes, reads, indexes, search).

Every statement goes through SQLAlchemy on the client's engine, inside the client's
session (``client.session()`` when one is open, else one per call), so the same code
serves the embedded engine, ``autovec serve`` and TiDB.

Writes and embedding: a vector field whose column is ``GENERATED … EMBED_TEXT`` is left
out of INSERTs (the database embeds every row of the statement in one batch); other
embedded fields are filled client-side first, one batch per field for the whole call
(``autovec.client.embedding``). ``bulk_insert`` writes all its rows with one multi-row
INSERT (one per distinct set of supplied columns, normally one), so server-side
embedding is batched across the call too, then reads the rows back by primary key in
one SELECT so generated vectors, defaults and auto-increment ids appear on the objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import attributes, make_transient_to_detached
from sqlmodel import Session, SQLModel

from autovec.client import ddl
from autovec.client.embedding import embed_objects, embed_values
from autovec.client.fields import DistanceMetric, FullTextFieldInfo, VectorFieldInfo
from autovec.client.filters import Filters, filter_clauses
from autovec.client.results import SQLModelQueryResult
from autovec.client.search import Search
from autovec.schema import (
    ColumnInfo,
    FullTextParser,
    fulltext_field_infos,
    fulltext_index,
    vector_field_infos,
    vector_index,
)

if TYPE_CHECKING:
    from pathlib import Path

    from autovec.schema import QueryBundle

__all__ = ["Table", "TableClient"]

T = TypeVar("T", bound=SQLModel)

#: Rows read back per SELECT after an insert (keeps the IN list a sensible size).
_REFRESH_CHUNK = 1000


class TableClient(Protocol):
    """What a table needs of its client (``autovec.client.client.TiDBClient`` is one)."""

    @property
    def db_engine(self) -> sa.Engine: ...

    @property
    def is_serverless(self) -> bool: ...

    @property
    def supports_server_embedding(self) -> bool: ...

    @property
    def supports_server_image_embedding(self) -> bool: ...

    def session(self) -> AbstractContextManager[Session]: ...

    def connection(self) -> AbstractContextManager[sa.Connection]: ...


def _is_table_model(schema: object) -> bool:
    return isinstance(schema, type) and isinstance(getattr(schema, "__table__", None), sa.Table)


class Table(Generic[T]):
    """A table of ``schema`` (a SQLModel ``table=True`` class) on ``client``'s database."""

    def __init__(self, *, schema: type[T], client: TableClient) -> None:
        if not _is_table_model(schema):
            raise TypeError(f"Invalid schema type: {schema!r} (expected a TableModel class)")
        self._client = client
        self._model = schema
        self._sa_table: sa.Table = schema.__table__  # type: ignore[attr-defined]
        self._declared_vectors = vector_field_infos(self._sa_table)
        self._text_fields = fulltext_field_infos(self._sa_table)
        mapper = sa.inspect(schema)
        self._pk_columns: list[sa.Column[Any]] = list(mapper.primary_key)  # type: ignore[arg-type]
        self._attr_of: dict[str, str] = {
            prop.columns[0].name: prop.key
            for prop in mapper.column_attrs
            if isinstance(prop.columns[0], sa.Column) and prop.columns[0].table is self._sa_table
        }

    # --- SearchTarget -------------------------------------------------------------------

    @property
    def table_name(self) -> str:
        return self._sa_table.name

    @property
    def table_model(self) -> type[T]:
        return self._model

    @property
    def db_engine(self) -> sa.Engine:
        return self._client.db_engine

    @property
    def client(self) -> TableClient:
        return self._client

    @property
    def vector_fields(self) -> Mapping[str, VectorFieldInfo]:
        """Vector columns; ``server_side`` is False when this database cannot embed them."""
        out: dict[str, VectorFieldInfo] = {}
        for name, info in self._declared_vectors.items():
            if info.server_side and not self._database_embeds(info):
                info = dataclasses.replace(info, server_side=False)
            out[name] = info
        return out

    def _database_embeds(self, info: VectorFieldInfo) -> bool:
        """Whether the database runs the field's EMBED_TEXT (or autovec's EMBED_IMAGE)."""
        if info.source_type == "image":
            return self._client.supports_server_image_embedding
        return self._client.supports_server_embedding

    @property
    def text_fields(self) -> Mapping[str, FullTextFieldInfo]:
        return dict(self._text_fields)

    @property
    def primary_key(self) -> Sequence[str]:
        return [c.name for c in self._pk_columns]

    def session(self) -> AbstractContextManager[Session]:
        return self._client.session()

    # pytidb's names for the special columns.
    @property
    def vector_columns(self) -> list[sa.Column[Any]]:
        return [self._sa_table.c[name] for name in self._declared_vectors]

    @property
    def text_columns(self) -> list[sa.Column[Any]]:
        return [c for c in self._sa_table.columns if isinstance(c.type, sa.String | sa.Text)]

    # --- DDL --------------------------------------------------------------------------

    def _plain_columns(self) -> list[str]:
        """Generated EMBED_TEXT / EMBED_IMAGE columns to create as plain vectors (the
        database cannot embed them)."""
        return [
            n
            for n, i in self._declared_vectors.items()
            if i.server_side and not self._database_embeds(i)
        ]

    def create(self, if_exists: Literal["raise", "skip"] = "raise") -> Table[T]:
        """``CREATE TABLE`` and its indexes (``if_exists="skip"``: nothing if it exists)."""
        if if_exists not in ("raise", "skip"):
            raise ValueError(f"Invalid if_exists value: {if_exists}")
        plain = self._plain_columns()
        with self._client.connection() as conn:
            if if_exists == "skip" and sa.inspect(conn).has_table(self.table_name):
                return self
            ddl.create_table(
                conn, self._sa_table, serverless=self._client.is_serverless, plain_columns=plain
            )
        return self

    def drop(self, if_not_exists: Literal["raise", "skip"] = "raise") -> None:
        if if_not_exists not in ("raise", "skip"):
            raise ValueError(f"Invalid if_not_exists value: {if_not_exists}")
        quoted = self._quote(self.table_name)
        exists = "IF EXISTS " if if_not_exists == "skip" else ""
        with self._client.connection() as conn:
            conn.exec_driver_sql(f"DROP TABLE {exists}{quoted}")

    def _quote(self, name: str) -> str:
        return self.db_engine.dialect.identifier_preparer.quote(name)

    # --- writes -------------------------------------------------------------------------

    def _to_model(self, data: T | Mapping[str, Any]) -> T:
        if isinstance(data, self._model):
            return data
        if isinstance(data, Mapping):
            return self._model(**data)
        raise ValueError(f"Invalid data type: {type(data)}, expected {self._model}, dict")

    def _server_generated(self) -> set[str]:
        return {n for n, i in self.vector_fields.items() if i.server_side}

    def _row_of(self, obj: T, server_generated: set[str]) -> dict[str, Any]:
        """The values an INSERT sends for ``obj`` (server-filled columns left out)."""
        values = sa.inspect(obj).dict
        # EMBED_TEXT columns created plain because the database cannot embed: written.
        plain = {n for n, i in self._declared_vectors.items() if i.server_side} - server_generated
        row: dict[str, Any] = {}
        for column in self._sa_table.columns:
            attr = self._attr_of.get(column.name)
            if attr is None or column.name in server_generated:
                continue
            if column.computed is not None and column.name not in plain:
                continue  # GENERATED ALWAYS: the database computes it
            value = values.get(attr)
            if value is None and (
                column is self._sa_table.autoincrement_column
                or (column.computed is None and column.server_default is not None)
            ):
                continue
            if attr not in values and column.default is not None:
                continue  # a Python-side default: let Core apply it
            row[column.key] = value
        return row

    def insert(self, data: T | Mapping[str, Any]) -> T:
        """Insert one row; returns the object with its id and generated columns loaded."""
        return self.bulk_insert([data])[0]

    def bulk_insert(self, data: Sequence[T | Mapping[str, Any]]) -> list[T]:
        """Insert rows with one multi-row INSERT; embedding is batched across the call."""
        if isinstance(data, str | bytes | Mapping) or not isinstance(data, Sequence):
            raise ValueError(
                f"Invalid data type: {type(data)}, expected list[dict], list[{self._model}]"
            )
        objects = [self._to_model(item) for item in data]
        if not objects:
            return []
        for obj in objects:
            if not sa.inspect(obj).transient:
                raise ValueError(
                    f"{obj!r} is already stored (or was loaded); use save() to upsert it"
                )
        embed_objects(objects, self.vector_fields.values())
        server_generated = self._server_generated()
        auto = self._sa_table.autoincrement_column
        groups: dict[tuple[str, ...], list[tuple[T, dict[str, Any]]]] = {}
        for obj in objects:
            row = self._row_of(obj, server_generated)
            groups.setdefault(tuple(row), []).append((obj, row))
        with self._client.session() as session:
            conn = session.connection()
            for members in groups.values():
                result = conn.execute(sa.insert(self._sa_table).values([r for _, r in members]))
                if auto is not None and auto.key not in members[0][1]:
                    first: Any = result.lastrowid
                    if not first:  # a server that does not report it in the OK packet
                        first = conn.execute(sa.text("SELECT LAST_INSERT_ID()")).scalar()
                    # MySQL and TiDB give the rows of one INSERT consecutive ids.
                    for offset, (obj, _) in enumerate(members):
                        setattr(obj, self._attr_of[auto.name], int(first) + offset)
            for obj in objects:
                make_transient_to_detached(obj)
                session.add(obj)
            self._reload(session, objects)
        return objects

    def _identity(self, obj: T) -> tuple[Any, ...]:
        return tuple(getattr(obj, self._attr_of[c.name]) for c in self._pk_columns)

    def _reload(self, session: Session, objects: Sequence[T]) -> None:
        """Read inserted rows back (generated vectors, defaults) into their objects."""
        keys = [self._identity(obj) for obj in objects]
        for start in range(0, len(keys), _REFRESH_CHUNK):
            chunk = keys[start : start + _REFRESH_CHUNK]
            if len(self._pk_columns) == 1:
                condition = self._pk_columns[0].in_([k[0] for k in chunk])
            else:
                condition = sa.tuple_(*self._pk_columns).in_(chunk)
            stmt = sa.select(self._model).where(condition).execution_options(populate_existing=True)
            session.execute(stmt).scalars().all()

    def save(self, data: T | Mapping[str, Any]) -> T:
        """Insert or update by primary key (pytidb's ``merge``); returns the stored object."""
        obj = self._to_model(data)
        state = sa.inspect(obj)

        def stale(item: Any, field: VectorFieldInfo) -> bool:
            # An object loaded earlier whose source changed: its old vector no longer
            # matches, as the database would re-embed a changed source itself.
            if state.transient or field.source_field is None:
                return False
            source = state.attrs[self._attr_of.get(field.source_field, field.source_field)]
            vector = state.attrs[self._attr_of.get(field.name, field.name)]
            return bool(source.history.has_changes() and not vector.history.has_changes())

        embed_objects([obj], self.vector_fields.values(), stale)
        for name in self._server_generated():
            attr = self._attr_of[name]
            if attr in state.dict and state.dict[attr] is None:
                # merge() would copy the None into an UPDATE of a GENERATED column.
                attributes.del_attribute(obj, attr)
        with self._client.session() as session:
            merged = session.merge(obj)
            session.flush()
            session.refresh(merged)
            return merged

    def update(self, values: Mapping[str, Any], filters: Filters | None = None) -> int:
        """``UPDATE t SET values WHERE filters``; a changed source re-embeds. Rows matched."""
        new_values = dict(values)
        embed_values(new_values, self.vector_fields.values())
        stmt = sa.update(self._sa_table).values(new_values)
        clauses = filter_clauses(self._sa_table, filters)
        if clauses:
            stmt = stmt.where(*clauses)
        with self._client.session() as session:
            return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def delete(self, filters: Filters | None = None) -> int:
        """``DELETE FROM t WHERE filters`` (every row without filters). Rows deleted."""
        stmt = sa.delete(self._sa_table)
        clauses = filter_clauses(self._sa_table, filters)
        if clauses:
            stmt = stmt.where(*clauses)
        with self._client.session() as session:
            return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def truncate(self) -> None:
        with self._client.connection() as conn:
            conn.exec_driver_sql(f"TRUNCATE TABLE {self._quote(self.table_name)}")

    # --- reads ------------------------------------------------------------------------

    def get(self, id: Any) -> T | None:
        with self._client.session() as session:
            return session.get(self._model, id)

    def query(
        self,
        filters: Filters | None = None,
        order_by: Sequence[Any] | str | Mapping[str, str] | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> SQLModelQueryResult[T]:
        """Rows matching ``filters``: ``order_by`` is a column name, ``{"col": "desc"}``
        or a list of SQLAlchemy order expressions."""
        stmt = sa.select(self._model)
        clauses = filter_clauses(self._sa_table, filters)
        if clauses:
            stmt = stmt.where(*clauses)
        columns = self._sa_table.c
        if isinstance(order_by, str):
            if order_by not in columns:
                raise KeyError(f"Unknown order by column: {order_by}")
            stmt = stmt.order_by(columns[order_by])
        elif isinstance(order_by, Mapping):
            for key, direction in order_by.items():
                if key not in columns:
                    raise KeyError(f"Unknown order by column: {key}")
                if direction == "desc":
                    stmt = stmt.order_by(columns[key].desc())
                elif direction == "asc":
                    stmt = stmt.order_by(columns[key])
                else:
                    raise ValueError(
                        f"Invalid order direction value (allowed: 'desc', 'asc'): {direction}"
                    )
        elif order_by is not None:
            stmt = stmt.order_by(*order_by)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset is not None:
            stmt = stmt.offset(offset)
        with self._client.session() as session:
            return SQLModelQueryResult(list(session.execute(stmt).scalars().all()))

    def rows(self) -> int:
        """``SELECT COUNT(*)``."""
        with self._client.connection() as conn:
            stmt = f"SELECT COUNT(*) FROM {self._quote(self.table_name)}"
            return int(conn.exec_driver_sql(stmt).scalar() or 0)

    def columns(self) -> list[ColumnInfo]:
        """Column names and types from ``INFORMATION_SCHEMA.COLUMNS``, in table order."""
        stmt = sa.text(
            "SELECT COLUMN_NAME AS column_name, COLUMN_TYPE AS column_type "
            "FROM INFORMATION_SCHEMA.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table_name"
        )
        # pytidb passes identifier_preparer.quote(name), which is the bare name unless the
        # name needs quoting, and then matches nothing; the bare name is what it means.
        with self._client.connection() as conn:
            rows = conn.execute(stmt, {"table_name": self.table_name}).mappings().all()
        return [ColumnInfo.model_validate(dict(row)) for row in rows]

    # --- indexes ------------------------------------------------------------------------

    def _has_tiflash_index(self, column_name: str, kind: Literal["FullText", "Vector"]) -> bool:
        stmt = sa.text(
            "SELECT EXISTS(SELECT 1 FROM INFORMATION_SCHEMA.TIFLASH_INDEXES "
            "WHERE TIDB_DATABASE = DATABASE() AND TIDB_TABLE = :table_name "
            "AND COLUMN_NAME = :column_name AND INDEX_KIND = :index_kind)"
        )
        params = {"table_name": self.table_name, "column_name": column_name, "index_kind": kind}
        with self._client.connection() as conn:
            return bool(conn.execute(stmt, params).scalar())

    def has_vector_index(self, column_name: str) -> bool:
        if self._client.is_serverless:
            return self._has_tiflash_index(column_name, "Vector")
        # pytidb's statement, which TiDB and autovec both answer.
        with self._client.connection() as conn:
            rows = conn.execute(
                sa.text(
                    f"SHOW INDEXES FROM {self._quote(self.table_name)}"
                    " WHERE Column_name = :column AND Index_type = 'HNSW'"
                ),
                {"column": column_name},
            )
            return rows.first() is not None

    def has_fts_index(self, column_name: str) -> bool:
        return self._has_tiflash_index(column_name, "FullText")

    def create_vector_index(
        self,
        column_name: str,
        name: str | None = None,
        *,
        distance_metric: DistanceMetric | str = DistanceMetric.COSINE,
        if_exists: Literal["raise", "skip"] = "raise",
    ) -> None:
        """``CREATE VECTOR INDEX`` (``vec_idx_{col}`` by default, as pytidb)."""
        if if_exists == "skip" and self.has_vector_index(column_name):
            return
        index = vector_index(
            name or f"vec_idx_{column_name}", self._sa_table.c[column_name], distance_metric
        )
        with self._client.connection() as conn:
            ddl.create_index(conn, index, serverless=self._client.is_serverless)

    def create_fts_index(
        self,
        column_name: str,
        name: str | None = None,
        *,
        fts_parser: FullTextParser = "MULTILINGUAL",
        if_exists: Literal["raise", "skip"] = "raise",
    ) -> None:
        """``CREATE FULLTEXT INDEX`` (``fts_idx_{col}`` by default)."""
        if if_exists == "skip" and self.has_fts_index(column_name):
            return
        index = fulltext_index(
            name or f"fts_idx_{column_name}", self._sa_table.c[column_name], fts_parser
        )
        with self._client.connection() as conn:
            ddl.create_index(conn, index, serverless=self._client.is_serverless)
        self._text_fields.setdefault(
            column_name, FullTextFieldInfo(name=column_name, fts_parser=fts_parser)
        )

    # --- search -----------------------------------------------------------------------

    def search(
        self,
        query: Sequence[float] | str | QueryBundle | Path | Any | None = None,
        search_type: Literal["vector", "fulltext", "hybrid"] = "vector",
    ) -> Search:
        """A search builder (``autovec.client.search``): ``.limit(k).to_list()``..."""
        return Search(self, query, search_type=search_type)
