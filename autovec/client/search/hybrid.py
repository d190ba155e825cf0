"""Hybrid search: the vector statement and the full-text statement, fused in Python.

Both run in one session, each with the search's ``limit``; their rows are merged on
the primary key (or ``_tidb_rowid``) and ranked by :mod:`~autovec.client.search.fusion`.
The caller reranks or cuts to ``limit``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from autovec.client.fields import SearchTarget
from autovec.client.search.columns import effective_metric, row_key, vector_field
from autovec.client.search.fusion import fuse
from autovec.client.search.plan import SearchPlan
from autovec.client.search.statement import SearchStatement

__all__ = ["run_hybrid"]


def run_hybrid(
    target: SearchTarget,
    plan: SearchPlan,
    session: Session,
    vector_stmt: SearchStatement,
    fulltext_stmt: SearchStatement,
) -> tuple[list[str], list[Row[Any]]]:
    vs_result = vector_stmt.execute(session)
    vs_keys = list(vs_result.keys())
    vs_rows = list(vs_result.all())
    fts_result = fulltext_stmt.execute(session)
    fts_keys = list(fts_result.keys())
    fts_rows = list(fts_result.all())
    # Union of both statements' columns, in order: _hit, _distance, _score, _match_score.
    keys = list(dict.fromkeys([*vs_keys, *fts_keys]))
    rows = fuse(
        plan.fusion,
        keys,
        vs_rows,
        fts_rows,
        row_key(target),
        limit=plan.required_limit(),
        metric=effective_metric(plan, vector_field(target, plan)),
    )
    return keys, rows
