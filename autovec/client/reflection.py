"""A model class for a table that exists in the database but has no model in this process.

``client.open_table(name)`` (beyond pytidb, which returns None) reflects the table with
SQLAlchemy and builds a :class:`autovec.schema.TableModel` subclass from it: every
column becomes a field; ``VECTOR(d)`` columns become vector fields, with their metric from
their vector index; a ``GENERATED ALWAYS AS (EMBED_TEXT('model', src[, 'opts'])) STORED``
column gets an :class:`~autovec.embeddings.EmbeddingFunction` for that model and those
options, so text search embeds queries as the column's rows were; full-text indexes
become full-text fields. Each reflected model has its own ``MetaData``, so it never
clashes with a declared model of the same table name.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

import sqlalchemy as sa

from autovec.client.fields import DistanceMetric, FullTextFieldInfo, SourceType, VectorFieldInfo
from autovec.embeddings.function import EmbeddingFunction
from autovec.schema import (
    FIELD_INFO_KEY,
    Field,
    TableModel,
    TableModelMeta,
    index_kind,
    parser_name,
)
from autovec.sqlalchemy.vector import VECTOR

__all__ = ["embedded_source_type", "parse_embed_text", "reflect_model"]

_EMBED_TEXT = re.compile(
    r"""^\(*\s*(?P<function>EMBED_TEXT|EMBED_IMAGE)\s*\(\s*
        (?P<q>['"])(?P<model>(?:(?!(?P=q)).|(?P=q)(?P=q))*)(?P=q)\s*,\s*
        `?(?P<source>(?:``|[^`,\s()])+)`?\s*
        (?:,\s*'(?P<options>(?:''|\\.|[^'\\])*)'\s*)?
        \)\s*\)*$""",
    re.I | re.X | re.S,
)
_DISTANCE = re.compile(r"VEC_(COSINE|L2)_DISTANCE\s*\(\s*`?([^`)\s]+)`?\s*\)", re.I)


def embedded_source_type(expression: str) -> SourceType:
    """``image`` for an ``EMBED_IMAGE(...)`` generation expression, else ``text``."""
    match = _EMBED_TEXT.match(expression.strip())
    return "image" if match is not None and match["function"].upper() == "EMBED_IMAGE" else "text"


def parse_embed_text(expression: str) -> tuple[str, str, dict[str, Any]] | None:
    """``EMBED_TEXT('m', `c`, '{"k": 1}')`` → ``("m", "c", {"k": 1})``; None if not one
    (``EMBED_IMAGE(...)`` alike)."""
    match = _EMBED_TEXT.match(expression.strip())
    if match is None:
        return None
    quote = match["q"]
    model = match["model"].replace(quote * 2, quote)
    options: dict[str, Any] = {}
    if match["options"]:
        text = match["options"].replace("''", "'").replace("\\'", "'").replace("\\\\", "\\")
        options = json.loads(text)
    return model, match["source"].replace("``", "`"), options


def _python_type(column: sa.Column[Any]) -> Any:
    if isinstance(column.type, VECTOR):
        return list[float] | None
    if isinstance(column.type, sa.JSON):
        return Any
    try:
        python = column.type.python_type
    except NotImplementedError:
        return Any
    return python | None


def _vector_info(column: sa.Column[Any], metrics: dict[str, DistanceMetric]) -> VectorFieldInfo:
    assert isinstance(column.type, VECTOR)
    dims = column.type.dim or 0
    metric = metrics.get(column.name)
    base = VectorFieldInfo(
        name="",
        dimensions=dims,
        distance_metric=metric or DistanceMetric.COSINE,
        index=metric is not None,
    )
    if column.computed is None:
        return base
    parsed = parse_embed_text(str(column.computed.sqltext))
    if parsed is None:
        return base
    model, source, options = parsed
    source_type = embedded_source_type(str(column.computed.sqltext))
    embed_fn = EmbeddingFunction(
        model,
        dimensions=dims or None,
        use_server=True,
        multimodal=source_type == "image",
        additional_json_options=options,
    )
    return VectorFieldInfo(
        name="",
        dimensions=dims,
        distance_metric=base.distance_metric,
        index=base.index,
        embed_fn=embed_fn,
        source_field=source,
        source_type=source_type,
        server_side=True,
    )


def _copy_column(column: sa.Column[Any], info: object | None) -> sa.Column[Any]:
    args: list[Any] = []
    if column.computed is not None:
        args.append(sa.Computed(column.computed.sqltext, persisted=column.computed.persisted))
    elif isinstance(column.server_default, sa.DefaultClause):
        args.append(sa.DefaultClause(column.server_default.arg))
    copy: sa.Column[Any] = sa.Column(
        column.name,
        column.type,
        *args,
        primary_key=column.primary_key,
        nullable=column.nullable,
        autoincrement=column.autoincrement,
        comment=column.comment,
    )
    if info is not None:
        copy.info[FIELD_INFO_KEY] = info
    return copy


def _class_name(table_name: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", table_name)
    name = "".join(w[:1].upper() + w[1:] for w in words if w) or "Table"
    return name if name[0].isalpha() else f"T{name}"


def reflect_model(conn: sa.Connection, table_name: str) -> type[TableModel]:
    """Build a model class for ``table_name`` as it is in the connected database."""
    reflected = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    if not reflected.primary_key.columns:
        raise ValueError(
            f"table {table_name!r} has no primary key; the SDK maps rows by primary key"
        )
    metrics: dict[str, DistanceMetric] = {}
    parsers: dict[str, str] = {}
    for index in reflected.indexes:
        kind = index_kind(index)
        if kind == "vector":
            text = " ".join(str(e) for e in index.expressions)
            match = _DISTANCE.search(text)
            if match:
                metrics[match.group(2)] = DistanceMetric(match.group(1).upper())
        elif kind == "fulltext":
            parser = parser_name(index)
            for column in index.columns:
                parsers[column.name] = parser
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {
        "__tablename__": table_name,
        "__module__": __name__,
        # Its own MetaData: a declared model of the same table may exist elsewhere.
        "metadata": sa.MetaData(),
        "__annotations__": annotations,
    }
    for column in reflected.columns:
        info: object | None = None
        if isinstance(column.type, VECTOR):
            info = _vector_info(column, metrics)
        elif column.name in parsers:
            info = FullTextFieldInfo(name="", fts_parser=parsers[column.name])
        annotations[column.name] = _python_type(column)
        namespace[column.name] = Field(default=None, sa_column=_copy_column(column, info))
    model = TableModelMeta(_class_name(table_name), (TableModel,), namespace)
    return cast("type[TableModel]", model)
