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

__all__ = ["build_fulltext_query"]


def build_fulltext_query(target: SearchTarget, plan: SearchPlan) -> Select[Any]:
    if plan.query is None:
        raise ValueError(
            "query string is required for fulltext search, please specify it through "
            ".text('<your query string>')"
        )
    if not isinstance(plan.query, str):
        raise ValueError(f"fulltext search needs a text query, got {type(plan.query).__name__}")
    field = text_field(target, plan)
    limit = plan.required_limit()

    hit = aliased(target.table_model, name=HIT_LABEL)
    column = selectable_of(hit).c[field.name]
    query = sa.bindparam(None, plan.query, type_=sa.String(), unique=True)
    match = sa.func.FTS_MATCH_WORD(query, column, type_=sa.Float())
    columns: list[Any] = [hit, match.label(MATCH_SCORE_LABEL), match.label(SCORE_LABEL)]
    if not target.primary_key:
        columns.append(row_id_column(target, HIT_LABEL, ROW_ID_LABEL))
    stmt = sa.select(*columns).where(match)
    if plan.filters is not None:
        stmt = stmt.where(search_filter(plan.filters, hit))
    return stmt.order_by(sa.desc(MATCH_SCORE_LABEL)).limit(limit)
