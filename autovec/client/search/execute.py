"""Running a search plan: build its statements, execute them through the target's
session, fuse (hybrid), rerank, cut to ``limit``.

Only SQLAlchemy statements against ``target.session()`` — no engine internals — so the
same search runs on the embedded engine, on ``autovec serve`` and on TiDB.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Row

from autovec.client.fields import SearchTarget
from autovec.client.search.fulltext import build_fulltext_query
from autovec.client.search.hybrid import run_hybrid
from autovec.client.search.plan import SearchPlan
from autovec.client.search.rerank import rerank_field, rerank_rows
from autovec.client.search.results import ResultSet
from autovec.client.search.statement import SearchStatement
from autovec.client.search.vector import build_vector_query

__all__ = ["compile_sql", "fulltext_statement", "logger", "run_search", "vector_statement"]

logger = logging.getLogger("autovec.client.search")


def compile_sql(target: SearchTarget, statement: SearchStatement) -> str:
    """The statement as the target's dialect writes it, values inlined (for reading)."""
    compiled = statement.with_values().compile(
        dialect=target.db_engine.dialect, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _logged(
    target: SearchTarget, plan: SearchPlan, kind: str, stmt: SearchStatement
) -> SearchStatement:
    if plan.debug:
        logger.info(
            "Build %s search query on table <%s>:\n%s",
            kind,
            target.table_name,
            compile_sql(target, stmt),
        )
    return stmt


def vector_statement(target: SearchTarget, plan: SearchPlan) -> SearchStatement:
    return _logged(target, plan, "vector", build_vector_query(target, plan))


def fulltext_statement(target: SearchTarget, plan: SearchPlan) -> SearchStatement:
    return _logged(target, plan, "fulltext", build_fulltext_query(target, plan))


def run_search(target: SearchTarget, plan: SearchPlan) -> ResultSet:
    limit = plan.required_limit()
    # Statements are built (and the query embedded) before a session is opened: a search
    # that cannot run fails without touching the database.
    field = rerank_field(target, plan) if plan.reranker is not None else None
    statements: list[SearchStatement] = []
    if plan.search_type in ("vector", "hybrid"):
        statements.append(vector_statement(target, plan))
    if plan.search_type in ("fulltext", "hybrid"):
        statements.append(fulltext_statement(target, plan))
    keys: list[str]
    rows: list[Row[Any]]
    with target.session() as session:
        if plan.search_type == "hybrid":
            keys, rows = run_hybrid(target, plan, session, statements[0], statements[1])
        else:
            result = statements[0].execute(session)
            keys = list(result.keys())
            rows = list(result.all())
        # Inside the session: the reranker reads the hits' attributes.
        if plan.reranker is not None and field is not None:
            rows = rerank_rows(keys, rows, plan.reranker, plan.query, field, limit)
    return ResultSet(keys=keys, rows=rows[:limit], model=target.table_model)
