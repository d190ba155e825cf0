"""The SQL of a vector search, post-filter and pre-filter, as pytidb 0.0.14 writes it.

Post-filter (default): an inner ANN query over the whole table — no WHERE, so the
vector index serves it — keeps ``num_candidate`` rows (else ``limit*10`` when
``limit < 100``, else ``limit``); the outer query filters them and cuts to ``limit``::

    SELECT candidates.id, …, candidates._distance, 1 - candidates._distance AS _score
    FROM (SELECT _inner_hit.id AS id, …, VEC_COSINE_DISTANCE(_inner_hit.v, '[1,2,3]') AS _distance
          FROM docs AS _inner_hit ORDER BY _distance ASC LIMIT 20) AS candidates
    WHERE <filters> AND candidates._distance <= 0.5 ORDER BY candidates._distance ASC LIMIT 5

Pre-filter (``.filter(..., prefilter=True)``): one SELECT with the filters in WHERE and
the distance conditions in ``HAVING`` on the ``_distance`` alias.

The query is a vector (given, or embedded here with the column's ``embed_fn``), or, for
a column the database embeds itself (``server_side``), the text, sent as
``VEC_EMBED_<METRIC>_DISTANCE(col, 'text')`` (on an EMBED_IMAGE column an image query
is sent as its URL or a ``data:`` URI, which the database embeds as that image). It is the statement's one parameter
(:data:`~autovec.client.search.statement.QUERY_PARAMETER`), so the SELECT of a search
shape is built once (:mod:`~autovec.client.search.statement`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from autovec.client.fields import DistanceMetric, SearchTarget, VectorFieldInfo
from autovec.client.search.columns import (
    effective_metric,
    row_id_column,
    selectable_of,
    vector_field,
)
from autovec.client.search.filtering import search_filter
from autovec.client.search.labels import (
    CANDIDATES_LABEL,
    DISTANCE_LABEL,
    HIT_LABEL,
    INNER_HIT_LABEL,
    INNER_ROW_ID_LABEL,
    ROW_ID_LABEL,
    SCORE_LABEL,
)
from autovec.client.search.plan import SearchPlan
from autovec.client.search.query import as_query_vector
from autovec.client.search.statement import (
    QUERY_PARAMETER,
    SearchStatement,
    filter_key,
    statements,
)
from autovec.embeddings.inputs import as_image
from autovec.sqlalchemy.vector import VECTOR
from autovec.vector import Vector

__all__ = [
    "build_vector_query",
    "candidate_limit",
    "distance_conditions",
    "distance_expression",
    "query_operand",
]


def candidate_limit(plan: SearchPlan) -> int:
    """The inner query's LIMIT: pytidb's rule."""
    if plan.num_candidate:
        return plan.num_candidate
    limit = plan.required_limit()
    return limit * 10 if limit < 100 else limit


def query_operand(plan: SearchPlan, field: VectorFieldInfo) -> Vector | str:
    """What the distance function compares the column with: a vector, or (server-side
    embedding) the query text itself."""
    if plan.query_vector is not None:
        vector = plan.query_vector
    elif plan.query is None:
        raise ValueError(
            "query is required for vector search, please specify it through "
            ".search('<query>') or .vector([...])"
        )
    elif field.server_side:
        if isinstance(plan.query, str):
            return plan.query
        if field.source_type == "image":
            # A PIL image, file or bytes travels as a data: URI, which the database embeds
            # as that image (a URL string it loads itself, under its own policy).
            return as_image(plan.query).uri
        raise ValueError(
            f"column {field.name!r} is embedded by the database, which embeds text "
            f"queries only; got {type(plan.query).__name__} (pass a vector instead)"
        )
    elif field.embed_fn is None:
        raise ValueError(
            f"query should be a vector, because the vector column {field.name!r} didn't "
            "configure the embed_fn parameter"
        )
    else:
        # Text, or an image for a multimodal function: the function decides what it takes.
        embedded = field.embed_fn.get_query_embedding(plan.query, field.source_type)
        vector = as_query_vector(embedded)
    if vector.dims != field.dimensions:
        raise ValueError(
            f"the query vector has {vector.dims} dimensions, but column {field.name!r} "
            f"has {field.dimensions}"
        )
    return vector


def _operand_kind(operand: Vector | str) -> int | None:
    """What the SELECT depends on in the operand: text (``None``) or a vector's dimensions."""
    return None if isinstance(operand, str) else operand.dims


def distance_expression(
    column: ColumnElement[Any], metric: DistanceMetric, operand_kind: int | None
) -> ColumnElement[float]:
    """``VEC_<M>_DISTANCE(col, :search_query)`` for a vector of ``operand_kind``
    dimensions, ``VEC_EMBED_<M>_DISTANCE(col, :search_query)`` for text (``None``)."""
    if operand_kind is None:
        text = sa.bindparam(QUERY_PARAMETER, type_=sa.String())
        return getattr(sa.func, metric.embed_function)(column, text, type_=sa.Float())
    vector = sa.bindparam(QUERY_PARAMETER, type_=VECTOR(operand_kind))
    return getattr(sa.func, metric.function)(column, vector, type_=sa.Float())


def distance_conditions(
    plan: SearchPlan, distance: ColumnElement[Any]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if plan.skip_null_vectors:
        # MySQL sorts NULL first: rows without a vector would crowd out real neighbours.
        conditions.append(distance.is_not(None))
    if plan.distance_lower_bound is not None and plan.distance_upper_bound is not None:
        conditions.append(distance >= plan.distance_lower_bound)
        conditions.append(distance <= plan.distance_upper_bound)
    # `is not None`, not truthiness: pytidb drops a threshold of 0, we honour it.
    if plan.distance_threshold is not None:
        conditions.append(distance <= plan.distance_threshold)
    return conditions


def build_vector_query(target: SearchTarget, plan: SearchPlan) -> SearchStatement:
    field = vector_field(target, plan)
    metric = effective_metric(plan, field)
    operand = query_operand(plan, field)
    limit = plan.required_limit()
    kind = _operand_kind(operand)
    with_row_id = not target.primary_key
    shape = (
        "vector",
        target.table_model,
        target.db_engine.dialect,
        with_row_id,
        field.name,
        metric,
        kind,
        plan.prefilter,
        filter_key(plan.filters),
        plan.skip_null_vectors,
        plan.distance_lower_bound,
        plan.distance_upper_bound,
        plan.distance_threshold,
        candidate_limit(plan),
        limit,
    )
    build = _pre_filter if plan.prefilter else _post_filter
    select = statements.get(
        shape, lambda: build(target, plan, field, metric, kind, limit, with_row_id)
    )
    return SearchStatement(select, {QUERY_PARAMETER: operand})


def _post_filter(
    target: SearchTarget,
    plan: SearchPlan,
    field: VectorFieldInfo,
    metric: DistanceMetric,
    operand_kind: int | None,
    limit: int,
    with_row_id: bool,
) -> Select[Any]:
    inner_hit = aliased(target.table_model, name=INNER_HIT_LABEL)
    inner_column = selectable_of(inner_hit).c[field.name]
    inner_distance = distance_expression(inner_column, metric, operand_kind).label(DISTANCE_LABEL)
    inner_columns: list[Any] = [inner_hit, inner_distance]
    if with_row_id:
        inner_columns.append(row_id_column(target, INNER_HIT_LABEL, INNER_ROW_ID_LABEL))
    candidates = (
        sa.select(*inner_columns)
        .order_by(sa.asc(inner_distance))
        .limit(candidate_limit(plan))
        .subquery(CANDIDATES_LABEL)
    )

    hit = aliased(target.table_model, candidates, name=HIT_LABEL)
    distance = candidates.c[DISTANCE_LABEL]
    columns: list[Any] = [hit, distance, (1 - distance).label(SCORE_LABEL)]
    if with_row_id:
        columns.append(candidates.c[INNER_ROW_ID_LABEL].label(ROW_ID_LABEL))
    stmt = sa.select(*columns)
    if plan.filters is not None:
        stmt = stmt.where(search_filter(plan.filters, hit))
    # Distance conditions stay outside: inside, they would keep the ANN query off the index.
    conditions = distance_conditions(plan, distance)
    if conditions:
        stmt = stmt.where(sa.and_(*conditions))
    return stmt.order_by(distance.asc()).limit(limit)


def _pre_filter(
    target: SearchTarget,
    plan: SearchPlan,
    field: VectorFieldInfo,
    metric: DistanceMetric,
    operand_kind: int | None,
    limit: int,
    with_row_id: bool,
) -> Select[Any]:
    hit = aliased(target.table_model, name=HIT_LABEL)
    column = selectable_of(hit).c[field.name]
    distance = distance_expression(column, metric, operand_kind).label(DISTANCE_LABEL)
    columns: list[Any] = [hit, distance, (1 - distance).label(SCORE_LABEL)]
    if with_row_id:
        columns.append(row_id_column(target, HIT_LABEL, ROW_ID_LABEL))
    stmt = sa.select(*columns)
    if plan.filters is not None:
        stmt = stmt.where(search_filter(plan.filters, hit))
    conditions = distance_conditions(plan, sa.literal_column(DISTANCE_LABEL))
    if conditions:
        stmt = stmt.having(sa.and_(*conditions))
    return stmt.order_by(sa.asc(distance)).limit(limit)
