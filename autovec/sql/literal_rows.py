"""Multi-row INSERTs written as literals, run as one planned row bound many times.

Clients that interpolate parameters themselves (PyMySQL, and most MySQL drivers' batch
inserts) send ``INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), …``: every statement is
new text, and parsing thousands of literals with sqlglot costs far more than writing the
rows. Here such a statement is recognised by regular expressions alone, turned into the
single-row template ``INSERT INTO t (a, b) VALUES (:__p0, :__p1)`` plus the rows' values,
and run as ``Session.execute_many`` runs bound rows (``dml.run_insert``). The template's
plan is cached like a SELECT's.

Only plain literals are taken (``literals.py``: quoted strings, numbers, NULL), and ``?``
placeholders when the statement has several rows (SQLAlchemy's and the SDK's multi-row
inserts: thousands of placeholders parse as slowly as literals); anything else (a function, DEFAULT, X'…', _binary'…', a comment, INSERT … SELECT) leaves the
statement to the normal path. Row numbers are bound too, so an error says "at row N" of
the statement as written; any error while planning the template also leaves the
statement to the normal path, which reports it as it always has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import apsw
from sqlglot import exp

from autovec import errors
from autovec.sql import dml
from autovec.sql.literals import NUMBER, STRING, NotBindable, number_value, string_value
from autovec.sql.parser import parse
from autovec.sql.plan_cache import PlanKind
from autovec.sql.result import Result
from autovec.sql.sqlite_errors import MysqlErrors

if TYPE_CHECKING:
    from autovec.sql.context import ExecContext

_IDENTIFIER = r"(?:`(?:[^`]|``)++`|[\w$]++)"
_HEAD = re.compile(
    rf"\s*+(?:INSERT(?P<ignore>\s++IGNORE)?+|(?P<replace>REPLACE))\s++INTO\s++"
    rf"(?P<table>(?:(?P<database>{_IDENTIFIER})\s*+\.\s*+)?+{_IDENTIFIER})\s*+"
    rf"(?P<columns>\(\s*+{_IDENTIFIER}(?:\s*+,\s*+{_IDENTIFIER})*+\s*+\))?+\s*+VALUES\s*+(?=\()",
    re.I,
)
_COLUMN_NAME = re.compile(_IDENTIFIER)
_PLACEHOLDER = r"\?|:[A-Za-z_]\w*+"  # positional, or named (``%(name)s`` arrives as ``:name``)
_VALUE = rf"(?:{STRING}|{NUMBER}|NULL|{_PLACEHOLDER})"
_ROW = rf"\(\s*+{_VALUE}(?:\s*+,\s*+{_VALUE})*+\s*+\)"
_ROWS = re.compile(rf"{_ROW}(?:\s*+,\s*+{_ROW})*+", re.I | re.S)
# Inside rows already matched by _ROWS: each value, and the end of each row.
_TOKEN = re.compile(rf"{STRING}|{NUMBER}|NULL|{_PLACEHOLDER}|\)", re.I | re.S)
_TAIL = re.compile(
    r"\s*+(?:ON\s++DUPLICATE\s++KEY\s++UPDATE\s++(?P<update>.+?))?\s*;?\s*\Z", re.I | re.S
)
ROW_NUMBER = "__row"
_PLAN = "literal rows"  # the plan cache key's first part, apart from SELECTs' keys
# Plans of INSERT templates with the template's tree, keyed by _PLAN and its plan_key.
INSERT_PLANS: PlanKind[tuple[dml.InsertPlan, exp.Insert]] = PlanKind("literal rows")


@dataclass
class LiteralInsert:
    """An INSERT of literal rows, as its one-row template and the rows' bindings."""

    template: str  # INSERT … VALUES (:__p0, …) [ON DUPLICATE KEY UPDATE …]
    replace: bool
    qualified: bool  # names the table's database, which the plan cache key does not cover
    rows: list[dict[str, Any]]  # per row: __p0… and its row number


def scan(text: str, params: list[Any] | dict[str, Any] | None = None) -> LiteralInsert | None:
    """The statement as a template and rows, if it is an INSERT of plain literal rows;
    ``params``: the values of its ``?`` (a list) or ``:name`` (a dict) placeholders, bound
    as SQLite binds them."""
    head = _HEAD.match(text)
    if head is None:
        return None
    rows_match = _ROWS.match(text, head.end())
    if rows_match is None:
        return None
    tail = _TAIL.match(text, rows_match.end())
    if tail is None:
        return None
    update = tail.group("update")
    if update is not None and (head.group("replace") or "?" in update or ":" in update):
        return None  # REPLACE takes no ON DUPLICATE KEY; placeholders would clash with ours
    columns = head.group("columns")
    width = len(_COLUMN_NAME.findall(columns)) if columns else None
    try:
        tokens = _TOKEN.findall(text, rows_match.start(), rows_match.end())
        bound = _placeholder_values(tokens, params)
        if bound is None:
            return None  # the normal path reports the missing or extra parameters
        rows = _rows(tokens, width, iter(bound))
    except NotBindable:
        return None
    if rows is None or (params and len(rows) < 2):
        return None  # one bound row is planned and cached as it is
    count = len(rows[0]) - 1
    verb = "INSERT IGNORE INTO" if head.group("ignore") else "INSERT INTO"
    values = ", ".join(f":__p{i}" for i in range(count))
    template = f"{verb} {head.group('table')} {columns or ''} VALUES ({values})"
    if update is not None:
        template += f" ON DUPLICATE KEY UPDATE {update}"
    qualified = head.group("database") is not None
    return LiteralInsert(template, bool(head.group("replace")), qualified, rows)


def _placeholder_values(
    tokens: list[str], params: list[Any] | dict[str, Any] | None
) -> list[Any] | None:
    """The values of the placeholders among ``tokens``, in order; None when they and
    ``params`` do not match (or mix ``?`` with ``:name``)."""
    marks = [t for t in tokens if t == "?" or t.startswith(":")]
    if not marks:
        return []
    if isinstance(params, dict):
        if "?" in marks or any(m[1:] not in params for m in marks):
            return None
        return [params[m[1:]] for m in marks]
    if params is None or len(marks) != len(params) or any(m != "?" for m in marks):
        return None
    return list(params)


def _rows(
    tokens: list[str], width: int | None, params: Iterator[Any]
) -> list[dict[str, Any]] | None:
    """The bindings of each row; None when rows differ in width (the normal path says so)."""
    if width is None:
        width = tokens.index(")")
    stride = width + 1  # the values of a row, then its ")"
    if (
        not width
        or len(tokens) % stride
        or tokens[width::stride].count(")") != len(tokens) // stride
        or tokens.count(")") != len(tokens) // stride
    ):
        return None
    del tokens[width::stride]
    values = [next(params) if token[0] in "?:" else _value(token) for token in tokens]
    names = [f"__p{i}" for i in range(width)]
    rows = [
        dict(zip(names, values[i : i + width], strict=True)) for i in range(0, len(values), width)
    ]
    for number, row in enumerate(rows, start=1):
        row[ROW_NUMBER] = number
    return rows


def _value(token: str) -> Any:
    first = token[0]
    if first == "'":
        return string_value(token)
    if first in "nN":
        return None
    return number_value(token)


def execute_insert(
    session: ExecContext, text: str, source: str, params: list[Any] | dict[str, Any] | None = None
) -> Result | None:
    """Run ``text`` as a template bound once per row; None to leave it to the normal path.

    ``source``: the statement as the client sent it, shown by SHOW PROCESSLIST;
    ``params``: its parameters, bound (``bind_params``).
    """
    found = scan(text, params)
    if found is None:
        return None
    planned = _plan(session, found)
    if planned is None:
        return None
    plan, tree = planned
    session.warnings = []
    session.current_source = source
    try:
        with MysqlErrors(session.sqlite_error, tree):
            result = dml.run_insert(session, plan, found.rows)
    finally:
        session.current_source = None
    session.last_row_count = result.rowcount
    return result


def _plan(session: ExecContext, found: LiteralInsert) -> tuple[dml.InsertPlan, exp.Insert] | None:
    """The template's plan (cached), or None when planning fails."""
    key = None
    if not found.qualified:
        key = (_PLAN, found.replace, *session.plan_key(found.template, None))
        cached = session.plans.get(INSERT_PLANS, key)
        if cached is not None:
            return cached
    try:
        trees = parse(found.template)
        tree = trees[0] if len(trees) == 1 else None
        if not isinstance(tree, exp.Insert) or not isinstance(tree.expression, exp.Values):
            return None
        if found.replace:
            tree.set("replace", True)
        session.translator.volatile = False
        plan = dml.plan_insert(session, tree, exp.Placeholder(this=ROW_NUMBER))
    except (errors.Error, apsw.Error):
        return None  # the statement as written fails the same way, and says where
    if key is not None and not session.translator.volatile:
        session.plans.remember(INSERT_PLANS, key, (plan, tree))
    return plan, tree
