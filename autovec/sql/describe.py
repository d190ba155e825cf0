"""What a statement takes and returns, told before it runs (the answer to a PREPARE).

MySQL's answer to COM_STMT_PREPARE carries the statement's parameter count and its result
columns, and drivers built on libmysqlclient size their result buffers from it. A SELECT
is planned as it would run, its parameters unknown (bound as NULL), and SQLite prepares
the planned statement without stepping it, so nothing is read, embedded or written. SHOW
and DESCRIBE, which only read the catalog, run. Other statements return no rows.

A column whose type only its values decide (``SELECT ?``) is described with the type of
NULL; the result of each execution describes its columns again, with their real types.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from autovec import errors
from autovec.sql import query
from autovec.sql.parser import parse, placeholder_count
from autovec.sql.result import ResultColumn
from autovec.sql.session import Session, statement_text
from autovec.sql.sqlite_errors import MysqlErrors


@dataclass(frozen=True)
class StatementShape:
    parameters: int  # the number of ``?`` placeholders
    columns: list[ResultColumn] | None  # None: the statement returns no rows


_SELECTS = (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)
_CATALOG_READS = (exp.Show, exp.Describe)


def describe(session: Session, sql: str) -> StatementShape:
    """The shape of ``sql`` (``?`` placeholders), for ``session``; errors as running it would."""
    try:
        return _describe(session, sql)
    except errors.Error:
        raise
    except RecursionError:
        raise errors.syntax_error(
            "You have an error in your SQL syntax: nested too deeply"
        ) from None
    except Exception as exc:  # a bug in autovec, as Session.execute reports one
        raise errors.InternalError(
            f"internal error: {type(exc).__name__}: {exc}", errors.ER_UNKNOWN_ERROR
        ) from exc


def _describe(session: Session, sql: str) -> StatementShape:
    text = statement_text(sql, True)
    parameters = placeholder_count(text)
    trees = parse(text)
    if len(trees) != 1:  # none, or several (running it refuses them): no rows
        return StatementShape(parameters, None)
    tree = trees[0]
    unknown: list[None] = [None] * parameters
    with MysqlErrors(session.sqlite_error, tree):
        if isinstance(tree, _SELECTS):
            plan, bindings = query.plan_select(session, tree, unknown)
            return StatementShape(
                parameters, session.describe_columns(plan.sql, bindings, plan.static_types)
            )
        if isinstance(tree, _CATALOG_READS):
            return StatementShape(parameters, session.execute(sql, unknown).columns)
    return StatementShape(parameters, None)
