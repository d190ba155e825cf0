"""Declaring tables: pytidb's ``autovec.schema`` (``TableModel``, ``Field``, ``VectorField``...).

A table is a SQLModel class; ``TableModel`` subclasses are tables (``table=True`` implied)::

    class Document(TableModel):
        __tablename__ = "docs"
        id: int = Field(primary_key=True)
        content: str = FullTextField()
        embedding: list[float] = EmbeddingFunction("openai/text-embedding-3-small").VectorField(
            source_field="content"
        )

What makes a column special (its vector size, metric, embedding function, full-text
parser) is kept in the SQLAlchemy column's ``info`` under :data:`FIELD_INFO_KEY`, as a
:class:`~autovec.client.fields.VectorFieldInfo` / ``FullTextFieldInfo`` whose ``name`` is
filled in when read. Keeping it on the column (not in pydantic's schema extras) keeps
non-JSON objects such as the embedding function out of the model's JSON schema, and
lets reflected tables (``autovec.client.reflection``) describe themselves the same way.

At class creation the metaclass turns ``EmbeddingFunction.VectorField(...)`` specs (the
embeddings layer cannot build fields itself) into fields, and adds pytidb's indexes:
``vec_idx_{col}_{metric}`` (``CREATE VECTOR INDEX … ((VEC_COSINE_DISTANCE(col))) USING
HNSW``) and ``fts_idx_{col}`` (``CREATE FULLTEXT INDEX … WITH PARSER MULTILINGUAL``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

import sqlalchemy as sa
from pydantic import BaseModel, field_serializer
from sqlalchemy import Column, Computed, Index
from sqlalchemy.sql import visitors
from sqlmodel import Field, Relationship, SQLModel
from sqlmodel.main import SQLModelMetaclass

from autovec.client.dumps import vector_to_list
from autovec.client.fields import DistanceMetric, FullTextFieldInfo, SourceType, VectorFieldInfo
from autovec.embeddings.function import EmbeddingFunction, VectorFieldSpec
from autovec.sqlalchemy.vector import VECTOR

__all__ = [
    "FIELD_INFO_KEY",
    "Column",
    "ColumnInfo",
    "DistanceMetric",
    "Field",
    "FullTextField",
    "FullTextParser",
    "Index",
    "QueryBundle",
    "Relationship",
    "TableModel",
    "TableModelMeta",
    "VectorDataType",
    "VectorField",
    "fulltext_field_infos",
    "fulltext_index",
    "index_kind",
    "parser_name",
    "validate_distance_metric",
    "vector_field_infos",
    "vector_index",
]

#: ``Column.info`` key holding a column's VectorFieldInfo / FullTextFieldInfo.
FIELD_INFO_KEY = "autovec_field"

VectorDataType = list[float]
FullTextParser = Literal["STANDARD", "MULTILINGUAL"]
IndexKind = Literal["vector", "fulltext", "scalar"]


class QueryBundle(TypedDict, total=False):
    """pytidb's search input carrying a query and/or its precomputed vector."""

    query: Any
    query_vector: VectorDataType | None


class ColumnInfo(BaseModel):
    """One row of ``Table.columns()``."""

    column_name: str
    column_type: str


def validate_distance_metric(value: DistanceMetric | str) -> DistanceMetric:
    """``"cosine"`` / ``"L2"`` / ``DistanceMetric.L2`` → the enum; ValueError otherwise."""
    if isinstance(value, DistanceMetric):
        return value
    if isinstance(value, str):
        try:
            return DistanceMetric(value.upper())
        except ValueError:
            pass
    valid = ", ".join(m.value for m in DistanceMetric)
    raise ValueError(f"Invalid distance metric: {value!r}. Valid options: {valid}")


# --- fields ---------------------------------------------------------------------------


def VectorField(
    dimensions: int,
    source_field: str | None = None,
    embed_fn: EmbeddingFunction | None = None,
    source_type: SourceType = "text",
    index: bool | None = None,
    distance_metric: DistanceMetric | str = DistanceMetric.COSINE,
    algorithm: Literal["HNSW"] = "HNSW",
    **kwargs: Any,
) -> Any:
    """A ``VECTOR(dimensions)`` field, optionally embedded by ``embed_fn`` from ``source_field``.

    With a server-side function (``embed_fn.use_server``, the default for text models)
    the column is ``VECTOR(d) GENERATED ALWAYS AS (EMBED_TEXT('model', source[,
    'options'])) STORED``: the database embeds rows. Otherwise it is a plain vector the
    SDK fills on insert. ``index`` (default on) adds ``vec_idx_{col}_{metric}``.
    A client whose database has no ``EMBED_TEXT`` creates the column plain and embeds
    client-side instead (``autovec.client.table``).
    """
    if algorithm != "HNSW":
        raise ValueError(f"Invalid vector index algorithm: {algorithm}")
    if source_type not in ("text", "image"):
        raise ValueError(f"invalid source type: {source_type}")
    metric = validate_distance_metric(distance_metric)
    server_side = _server_side(embed_fn, source_field, source_type)
    info = VectorFieldInfo(
        name="",
        dimensions=dimensions,
        distance_metric=metric,
        index=True if index is None else index,
        embed_fn=embed_fn,
        source_field=source_field,
        source_type=source_type,
        server_side=server_side,
    )
    extra_options = kwargs.pop("additional_json_options", None) or {}
    sa_column = kwargs.pop("sa_column", None)
    if sa_column is None:
        args: list[Any] = []
        if server_side and embed_fn is not None and source_field is not None:
            args.append(
                Computed(
                    embed_text_expression(embed_fn, source_field, extra_options, source_type),
                    persisted=True,
                )
            )
        sa_column = Column(VECTOR(dimensions), *args, nullable=True)
    sa_column.info[FIELD_INFO_KEY] = info
    kwargs.setdefault("default", None)
    return Field(sa_column=sa_column, **kwargs)


def _server_side(
    embed_fn: EmbeddingFunction | None, source_field: str | None, source_type: SourceType
) -> bool:
    """Whether the column is generated by the database (EMBED_TEXT / EMBED_IMAGE)."""
    if embed_fn is None or not source_field:
        return False
    if source_type == "image":
        return embed_fn.server_images
    return embed_fn.use_server


def embed_text_expression(
    embed_fn: EmbeddingFunction,
    source_field: str,
    extra_options: Mapping[str, Any] | None = None,
    source_type: SourceType = "text",
) -> sa.ColumnElement[Any]:
    """``EMBED_TEXT('model', source[, 'json options'])`` as pytidb writes it
    (``EMBED_IMAGE(...)``, autovec's, for an image field).

    The third argument is ``json.dumps`` of the function's server-side options
    (``sql_options()``: its own plus the provider defaults, e.g. ``{"dimensions": 512}``),
    omitted when there are none.
    """
    options = {**embed_fn.sql_options(), **(extra_options or {})}
    source: sa.ColumnClause[Any] = sa.column(source_field)
    function = sa.func.EMBED_IMAGE if source_type == "image" else sa.func.EMBED_TEXT
    if options:
        return function(embed_fn.model_name, source, json.dumps(options))
    return function(embed_fn.model_name, source)


def FullTextField(
    index: bool = True,
    fts_parser: FullTextParser = "MULTILINGUAL",
    **kwargs: Any,
) -> Any:
    """A ``TEXT`` field with a full-text index ``fts_idx_{col}`` (``WITH PARSER fts_parser``)."""
    if fts_parser not in ("STANDARD", "MULTILINGUAL"):
        raise ValueError(f"Invalid full text parser: {fts_parser}")
    sa_column = kwargs.pop("sa_column", None)
    if sa_column is None:
        sa_column = Column(sa.TEXT(), nullable=True)
    sa_column.info[FIELD_INFO_KEY] = FullTextFieldInfo(name="", fts_parser=fts_parser, index=index)
    return Field(sa_column=sa_column, **kwargs)


def _field_from_spec(spec: VectorFieldSpec) -> Any:
    kwargs = dict(spec.field_kwargs)
    return VectorField(
        dimensions=kwargs.pop("dimensions", None) or spec.embed_fn.dimensions,
        source_field=spec.source_field,
        embed_fn=spec.embed_fn,
        source_type=spec.source_type,
        index=spec.index,
        distance_metric=spec.distance_metric,
        **kwargs,
    )


# --- indexes --------------------------------------------------------------------------


def vector_index(
    name: str,
    column: sa.Column[Any],
    distance_metric: DistanceMetric | str = DistanceMetric.COSINE,
    algorithm: Literal["HNSW"] = "HNSW",
) -> Index:
    """``CREATE VECTOR INDEX name ON t ((VEC_<METRIC>_DISTANCE(col)))``.

    SQLAlchemy's MySQL compiler would quote ``USING `HNSW```, so the index carries no
    ``mysql_using``: HNSW is TiDB's only (and default) vector index, and the SDK's DDL
    (``autovec.client.ddl``) writes pytidb's ``… USING HNSW`` itself.
    """
    if algorithm != "HNSW":
        raise ValueError(f"Invalid vector index algorithm: {algorithm}")
    metric = validate_distance_metric(distance_metric)
    expression = getattr(sa.func, metric.function)(column)
    return Index(name, expression, mysql_prefix="VECTOR")


def fulltext_index(
    name: str, column: sa.Column[Any], fts_parser: FullTextParser = "MULTILINGUAL"
) -> Index:
    """``CREATE FULLTEXT INDEX name ON t (col) WITH PARSER fts_parser``."""
    return Index(name, column, mysql_prefix="FULLTEXT", mysql_with_parser=fts_parser)


def index_kind(index: Index) -> IndexKind:
    """Whether an index is a vector, full-text or ordinary one (by its MySQL prefix)."""
    prefix = str(index.dialect_options["mysql"]["prefix"] or "").upper()
    if prefix == "VECTOR":
        return "vector"
    if prefix == "FULLTEXT":
        return "fulltext"
    return "scalar"


def parser_name(index: Index) -> str:
    """A full-text index's parser (``STANDARD`` when none is named).

    Reflected TiDB indexes can carry the rest of their DDL line (``"STANDARD,"``), so
    only the leading word counts.
    """
    match = re.match(r"\W*(\w+)", str(index.dialect_options["mysql"]["with_parser"] or ""))
    return match.group(1).upper() if match else "STANDARD"


def _index_columns(index: Index) -> list[str]:
    """Column names an index covers (through expressions for vector indexes)."""
    names: list[str] = [c.name for c in index.columns]
    for expression in index.expressions:
        if isinstance(expression, sa.ColumnElement):
            names.extend(
                getattr(e, "name", "")
                for e in visitors.iterate(expression)
                if isinstance(e, sa.ColumnClause)
            )
        elif isinstance(expression, sa.TextClause):
            names.append(expression.text)
    return names


def _vector_metric_of(index: Index) -> str:
    text = " ".join(str(e) for e in index.expressions).upper()
    for metric in DistanceMetric:
        if metric.function in text:
            return metric.value
    return ""


def _add_default_indexes(table: sa.Table) -> None:
    """pytidb's automatic indexes for fields that ask for one and have none yet."""
    for column in table.columns:
        info = column.info.get(FIELD_INFO_KEY)
        if isinstance(info, VectorFieldInfo) and info.index:
            metric = info.distance_metric
            covered = any(
                index_kind(ix) == "vector"
                and _vector_metric_of(ix) == metric.value
                and any(column.name in name for name in _index_columns(ix))
                for ix in table.indexes
            )
            if not covered:
                name = dataclasses.replace(info, name=column.name).index_name
                table.append_constraint(vector_index(name, column, metric))
        elif isinstance(info, FullTextFieldInfo) and info.index:
            covered = any(
                index_kind(ix) == "fulltext" and column.name in [c.name for c in ix.columns]
                for ix in table.indexes
            )
            if not covered:
                name = dataclasses.replace(info, name=column.name).index_name
                table.append_constraint(fulltext_index(name, column, info.fts_parser))  # type: ignore[arg-type]


def vector_field_infos(table: sa.Table) -> dict[str, VectorFieldInfo]:
    """Every ``VECTOR`` column of ``table``, by name, as declared (or plain vectors)."""
    out: dict[str, VectorFieldInfo] = {}
    for column in table.columns:
        info = column.info.get(FIELD_INFO_KEY)
        if isinstance(info, VectorFieldInfo):
            out[column.name] = dataclasses.replace(info, name=column.name)
        elif isinstance(column.type, VECTOR):
            # A vector column declared without VectorField (sa_type=VECTOR(3)...).
            metric = DistanceMetric.COSINE
            indexed = False
            for ix in table.indexes:
                if index_kind(ix) == "vector" and column.name in " ".join(_index_columns(ix)):
                    metric = DistanceMetric(_vector_metric_of(ix) or "COSINE")
                    indexed = True
            out[column.name] = VectorFieldInfo(
                name=column.name,
                dimensions=column.type.dim or 0,
                distance_metric=metric,
                index=indexed,
            )
    return out


def fulltext_field_infos(table: sa.Table) -> dict[str, FullTextFieldInfo]:
    """Columns with (or declared to get) a full-text index, by name."""
    out: dict[str, FullTextFieldInfo] = {}
    for column in table.columns:
        info = column.info.get(FIELD_INFO_KEY)
        if isinstance(info, FullTextFieldInfo):
            out[column.name] = dataclasses.replace(info, name=column.name)
    for ix in table.indexes:
        if index_kind(ix) == "fulltext":
            parser = parser_name(ix)
            for column in ix.columns:
                out.setdefault(column.name, FullTextFieldInfo(name=column.name, fts_parser=parser))
    return out


# --- the model base -------------------------------------------------------------------


class TableModelMeta(SQLModelMetaclass):
    """SQLModel's metaclass with ``table=True`` implied and autovec's fields resolved."""

    def __new__(
        mcs,
        name: str,
        bases: tuple[type[Any], ...],
        class_dict: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        if any(isinstance(base, TableModelMeta) for base in bases):
            kwargs.setdefault("table", True)
        vectors: list[str] = []
        for key, value in list(class_dict.items()):
            if isinstance(value, VectorFieldSpec):
                class_dict[key] = value = _field_from_spec(value)
            column = getattr(value, "sa_column", None)
            if isinstance(column, Column) and isinstance(column.type, VECTOR):
                vectors.append(key)
        if vectors:
            # Vectors load as numpy arrays; dump them as the lists their fields declare
            # (pydantic would warn and emit arrays).
            class_dict["_autovec_dump_vectors"] = field_serializer(*vectors, mode="plain")(
                vector_to_list
            )
        return super().__new__(mcs, name, bases, class_dict, **kwargs)

    def __init__(
        cls, classname: str, bases: tuple[type, ...], dict_: dict[str, Any], **kw: Any
    ) -> None:
        super().__init__(classname, bases, dict_, **kw)
        table = cls.__dict__.get("__table__")
        if isinstance(table, sa.Table):
            _add_default_indexes(table)


class TableModel(SQLModel, metaclass=TableModelMeta):
    """Base class of autovec tables: a SQLModel with ``table=True`` implied."""
