"""Which columns a search uses, and how to name them in its SQL.

The target describes its special columns (:class:`VectorFieldInfo`,
:class:`FullTextFieldInfo`); the SQL is written against aliases of the target's model
(``docs AS _hit``), whose columns are looked up here by name.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.util import AliasedClass
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause
from sqlmodel import SQLModel

from autovec.client.fields import (
    DistanceMetric,
    FullTextFieldInfo,
    SearchTarget,
    VectorFieldInfo,
)
from autovec.client.search.fusion import RowKey
from autovec.client.search.labels import HIT_LABEL, ROW_ID_LABEL
from autovec.client.search.plan import SearchPlan

#: What ``sqlalchemy.orm.aliased(model, ...)`` returns, as SQLAlchemy types it.
ModelAlias = type[SQLModel] | AliasedClass[Any]

__all__ = [
    "ModelAlias",
    "check_column",
    "effective_metric",
    "model_mapper",
    "model_table",
    "row_id_column",
    "row_key",
    "selectable_of",
    "text_field",
    "vector_field",
]


def model_mapper(target: SearchTarget) -> Mapper[Any]:
    mapper = sa.inspect(target.table_model)
    if not isinstance(mapper, Mapper):
        raise TypeError(f"{target.table_model!r} is not a mapped model")
    return mapper


def model_table(target: SearchTarget) -> sa.Table:
    """The SQLAlchemy ``Table`` behind the target's model."""
    table = model_mapper(target).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{target.table_model!r} is not mapped to a table")
    return table


def selectable_of(alias: ModelAlias) -> FromClause:
    """What an aliased model selects from (``docs AS _hit`` or the ``candidates`` subquery)."""
    return sa.inspect(alias).selectable


def check_column(target: SearchTarget, name: str, what: str) -> str:
    if name not in model_table(target).c:
        raise ValueError(f"{what} {name!r} is not a column of table {target.table_name!r}")
    return name


def vector_field(target: SearchTarget, plan: SearchPlan) -> VectorFieldInfo:
    """The chosen vector column, or the table's only one."""
    fields = target.vector_fields
    if plan.vector_column is not None:
        if plan.vector_column not in fields:
            raise ValueError(
                f"{plan.vector_column!r} is not a vector column of table {target.table_name!r}"
                f" (vector columns: {sorted(fields)})"
            )
        return fields[plan.vector_column]
    if not fields:
        raise ValueError(
            f"no vector column found in table {target.table_name!r}, but vector column is "
            "required for vector search"
        )
    if len(fields) > 1:
        raise ValueError(
            f"more than one vector column in table {target.table_name!r} ({sorted(fields)}), "
            "please choose one through .vector_column()"
        )
    return next(iter(fields.values()))


def text_field(target: SearchTarget, plan: SearchPlan) -> FullTextFieldInfo:
    """The chosen full-text column, or the table's only one."""
    fields = target.text_fields
    if plan.text_column is not None:
        if plan.text_column not in fields:
            raise ValueError(
                f"{plan.text_column!r} is not a full-text column of table "
                f"{target.table_name!r} (full-text columns: {sorted(fields)})"
            )
        return fields[plan.text_column]
    if not fields:
        raise ValueError(
            f"no full-text column found in table {target.table_name!r}, fulltext search "
            "cannot be executed (declare one with FullTextField())"
        )
    if len(fields) > 1:
        raise ValueError(
            f"more than one full-text column in table {target.table_name!r} "
            f"({sorted(fields)}), please choose one through .text_column()"
        )
    return next(iter(fields.values()))


def effective_metric(plan: SearchPlan, field: VectorFieldInfo) -> DistanceMetric:
    # pytidb always defaults to COSINE; the column's declared metric is what its index
    # serves, so it is the better default (identical for the usual cosine columns).
    return plan.distance_metric or field.distance_metric


def row_id_column(target: SearchTarget, alias_name: str, label: str) -> ColumnElement[int]:
    """``<alias>._tidb_rowid AS <label>``: the hidden row id of a table without a primary key."""
    quote = target.db_engine.dialect.identifier_preparer.quote
    return sa.literal_column(f"{quote(alias_name)}.{quote(ROW_ID_LABEL)}", sa.BigInteger).label(
        label
    )


def row_key(target: SearchTarget) -> RowKey:
    """How hybrid search matches a vector row with a full-text row: the primary key's
    values (read from the ``_hit`` entity), else the ``_tidb_rowid`` column."""
    names = list(target.primary_key)
    if not names:

        def by_row_id(row: Row[Any]) -> Hashable:
            return row._mapping[ROW_ID_LABEL]

        return by_row_id
    mapper = model_mapper(target)
    table = model_table(target)
    # Attribute names can differ from column names (``Field(sa_column=Column("ID"))``).
    attributes = [mapper.get_property_by_column(table.c[name]).key for name in names]

    def by_primary_key(row: Row[Any]) -> Hashable:
        hit = row._mapping[HIT_LABEL]
        return tuple(getattr(hit, attribute) for attribute in attributes)

    return by_primary_key
