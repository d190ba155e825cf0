"""The SQL of a full-text search, as pytidb 0.0.14 writes it::

    SELECT _hit.id, …, FTS_MATCH_WORD('q', _hit.text) AS _match_score,
           FTS_MATCH_WORD('q', _hit.text) AS _score
    FROM docs AS _hit WHERE FTS_MATCH_WORD('q', _hit.text) [AND <filters>]
    ORDER BY _match_score DESC LIMIT n

The query comes first and must be a constant: TiDB rejects a column or expression there.
A bound parameter is a constant to it (PyMySQL interpolates parameters into the text).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select
from sqlalchemy.orm import aliased

from autovec.client.fields import SearchTarget
from autovec.client.search.columns import row_id_column, selectable_of, text_field
from autovec.client.search.filtering import search_filter
from autovec.client.search.labels import HIT_LABEL, MATCH_SCORE_LABEL, ROW_ID_LABEL, SCORE_LABEL
from autovec.client.search.plan import SearchPlan
from autovec.client.search.statement import (
    QUERY_PARAMETER,
    SearchStatement,
    filter_key,
    statements,
)

__all__ = ["build_fulltext_query"]


def build_fulltext_query(target: SearchTarget, plan: SearchPlan) -> SearchStatement:
    if plan.query is None:
        raise ValueError(
            "query string is required for fulltext search, please specify it through "
            ".text('<your query string>')"
        )
    if not isinstance(plan.query, str):
        raise ValueError(f"fulltext search needs a text query, got {type(plan.query).__name__}")
    field = text_field(target, plan)
    limit = plan.required_limit()
    with_row_id = not target.primary_key
    shape = (
        "fulltext",
        target.table_model,
        target.db_engine.dialect,
        with_row_id,
        field.name,
        filter_key(plan.filters),
        limit,
    )
    select = statements.get(
        shape, lambda: _fulltext_select(target, plan, field.name, limit, with_row_id)
    )
    return SearchStatement(select, {QUERY_PARAMETER: plan.query})


def _fulltext_select(
    target: SearchTarget, plan: SearchPlan, column_name: str, limit: int, with_row_id: bool
) -> Select[Any]:
    hit = aliased(target.table_model, name=HIT_LABEL)
    column = selectable_of(hit).c[column_name]
    query = sa.bindparam(QUERY_PARAMETER, type_=sa.String())
    match = sa.func.FTS_MATCH_WORD(query, column, type_=sa.Float())
    columns: list[Any] = [hit, match.label(MATCH_SCORE_LABEL), match.label(SCORE_LABEL)]
    if with_row_id:
        columns.append(row_id_column(target, HIT_LABEL, ROW_ID_LABEL))
    stmt = sa.select(*columns).where(match)
    if plan.filters is not None:
        stmt = stmt.where(search_filter(plan.filters, hit))
    return stmt.order_by(sa.desc(MATCH_SCORE_LABEL)).limit(limit)
