"""Reordering a search's rows with a reranker (pytidb's ``.rerank(reranker, field)``).

The reranker gets the query text and each row's ``rerank_field`` value; the rows come
back in its order, each ``_score`` replaced by its ``relevance_score``, at most
``limit`` of them. As in pytidb, a vector or full-text search reranks the ``limit`` rows
its SQL returned, and a hybrid search reranks the fused rows of both before the cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, result_tuple

from autovec.client.fields import SearchTarget
from autovec.client.search.columns import text_field, vector_field
from autovec.client.search.labels import HIT_LABEL, SCORE_LABEL
from autovec.client.search.plan import SearchPlan
from autovec.rerankers.base import Reranker

__all__ = ["rerank_field", "rerank_rows"]


def rerank_field(target: SearchTarget, plan: SearchPlan) -> str:
    """The field whose text the reranker reads: the one given, else the vector column's
    source field (vector, hybrid), else the full-text column (full-text, hybrid)."""
    if plan.rerank_field is not None:
        return plan.rerank_field
    if plan.search_type in ("vector", "hybrid"):
        source = vector_field(target, plan).source_field
        if source is not None:
            return source
    if plan.search_type in ("fulltext", "hybrid") and target.text_fields:
        return text_field(target, plan).name
    raise ValueError(
        "Please specify the rerank field name through .rerank(reranker, rerank_field='...')"
    )


def _document(hit: Any, field: str) -> str:
    if not hasattr(hit, field):
        raise ValueError(f"rerank field {field!r} is not a field of {type(hit).__name__}")
    value = getattr(hit, field)
    # A NULL text still takes a place in the list (the reranker scores it low), so the
    # indexes the reranker returns keep pointing at the right rows.
    return "" if value is None else str(value)


def rerank_rows(
    keys: Sequence[str],
    rows: Sequence[Row[Any]],
    reranker: Reranker,
    query: Any,
    field: str,
    top_n: int,
) -> list[Row[Any]]:
    if not rows:
        return []
    if not isinstance(query, str):
        raise ValueError(
            "query text is required for reranker, please specify it through "
            ".text('<your query string>')"
        )
    documents = [_document(row._mapping[HIT_LABEL], field) for row in rows]
    ranked = reranker.rerank(query, documents, top_n)
    make = result_tuple(list(keys))
    score_at = list(keys).index(SCORE_LABEL)
    reranked: list[Row[Any]] = []
    for item in ranked[:top_n]:
        values = list(rows[item.index])
        values[score_at] = item.relevance_score
        reranked.append(make(values))
    return reranked
