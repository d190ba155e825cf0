"""SQLite errors as the MySQL errors a client expects, in one place.

``map_sqlite_error`` turns one apsw error into a MySQL one; ``MysqlErrors`` is the
``with`` block every statement runs in, so that no SQLite (or vector) error escapes as
itself. The session supplies the mapping (``ExecContext.sqlite_error``) because an
interrupted statement fails differently when it ran past ``max_execution_time``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import TracebackType

import apsw
from sqlglot import exp

from autovec import errors
from autovec.vector import VectorError

_ERROR_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], errors.Error]]] = [
    (
        re.compile(r"no such table: (?:\"?(\w+)\"?\.)?(\S+)"),
        lambda m: errors.no_such_table(m.group(1) or "test", m.group(2)),
    ),
    (
        re.compile(r"ambiguous column name: (\S+)"),
        lambda m: errors.OperationalError(
            f"Column '{m.group(1)}' in field list is ambiguous", 1052, "23000"
        ),
    ),
    (
        re.compile(r"UNIQUE constraint failed: (\S+?)\.(\S+?)(?:,|$)"),
        lambda m: errors.IntegrityError(
            f"Duplicate entry for key '{m.group(1)}.{m.group(2)}'", errors.ER_DUP_ENTRY, "23000"
        ),
    ),
    (
        re.compile(r"NOT NULL constraint failed: \S+?\.(\S+)"),
        lambda m: errors.IntegrityError(
            f"Column '{m.group(1)}' cannot be null", errors.ER_BAD_NULL_ERROR, "23000"
        ),
    ),
    (
        re.compile(r"CHECK constraint failed: (.+)"),
        lambda m: errors.IntegrityError(
            f"Check constraint '{m.group(1).strip()}' is violated.",
            errors.ER_CHECK_CONSTRAINT_VIOLATED,
            "HY000",
        ),
    ),
    (
        re.compile(r"table (\S+) already exists"),
        lambda m: errors.OperationalError(
            f"Table '{m.group(1)}' already exists", errors.ER_TABLE_EXISTS_ERROR, "42S01"
        ),
    ),
    (
        re.compile(r"near \"(.*?)\": syntax error"),
        lambda m: errors.syntax_error_near(m.group(1)),
    ),
    (
        re.compile(r"no such function: (\S+)"),
        lambda m: errors.OperationalError(
            f"FUNCTION {m.group(1).lower()} does not exist", errors.ER_SP_DOES_NOT_EXIST, "42000"
        ),
    ),
    (
        re.compile(r"wrong number of arguments to function (\S+)\(\)"),
        lambda m: errors.OperationalError(
            f"Incorrect parameter count in the call to native function '{m.group(1)}'",
            1582,
            "42000",
        ),
    ),
    (
        re.compile(r"database is locked"),
        lambda m: errors.OperationalError(
            "Lock wait timeout exceeded; try restarting transaction", 1205, "HY000"
        ),
    ),
]


_NO_SUCH_COLUMN = re.compile(r"no such column: (\S+)")

# Where an unknown column was named, as MySQL's 1054 message says it.
_CLAUSES: list[tuple[type[exp.Expression], str]] = [
    (exp.Where, "where clause"),
    (exp.Having, "having clause"),
    (exp.Order, "order clause"),
    (exp.Group, "group statement"),
    (exp.Join, "on clause"),
]


def column_clause(tree: exp.Expression | None, name: str) -> str:
    """The clause of ``tree`` that names column ``name`` (``t.c`` or ``c``)."""
    wanted = name.lower()
    for column in tree.find_all(exp.Column) if tree is not None else ():
        if wanted not in (
            column.name.lower(),
            column.sql(dialect="mysql").replace("`", "").lower(),
        ):
            continue
        for kind, clause in _CLAUSES:
            if column.find_ancestor(kind) is not None:
                return clause
        break
    return "field list"


def map_sqlite_error(exc: apsw.Error, tree: exp.Expression | None = None) -> errors.Error:
    """Turn a SQLite error into the MySQL error a client expects.

    ``tree`` (the statement, when known) lets an unknown column name its clause.
    """
    message = str(exc).split(": ", 1)[-1] if ": " in str(exc) else str(exc)
    unknown = _NO_SUCH_COLUMN.search(str(exc))
    if unknown:
        name = unknown.group(1).replace('"', "")
        return errors.unknown_column(name, column_clause(tree, name))
    for pattern, build in _ERROR_PATTERNS:
        match = pattern.search(str(exc))
        if match:
            return build(match)
    if isinstance(exc, apsw.ConstraintError):
        return errors.IntegrityError(message, errors.ER_DUP_ENTRY, "23000")
    return errors.OperationalError(message, errors.ER_UNKNOWN_ERROR)


# What a statement may raise that the client must see as a MySQL error instead.
MAPPED_ERRORS = (apsw.Error, VectorError)
# The session's mapping of SQLite errors (ExecContext.sqlite_error).
SqliteErrorMapping = Callable[[apsw.Error, exp.Expression | None], errors.Error]


def mysql_error(
    exc: BaseException, to_mysql: SqliteErrorMapping, tree: exp.Expression | None = None
) -> errors.Error:
    """The MySQL error for one of MAPPED_ERRORS."""
    if isinstance(exc, apsw.Error):
        return to_mysql(exc, tree)
    if isinstance(exc, VectorError):
        return errors.DataError(str(exc), exc.errno)
    raise TypeError(f"not a mapped error: {type(exc).__name__}")


class MysqlErrors:
    """``with MysqlErrors(to_mysql, tree):`` raises SQLite and vector errors as MySQL's.

    The hot paths (every statement, session.py) write the same as
    ``try: ... except MAPPED_ERRORS as exc: raise mysql_error(exc, ...) from None``,
    which costs nothing until an error is raised; a ``with`` block costs about 0.4 µs.
    """

    __slots__ = ("to_mysql", "tree")

    def __init__(self, to_mysql: SqliteErrorMapping, tree: exp.Expression | None = None):
        self.to_mysql, self.tree = to_mysql, tree

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if isinstance(exc, MAPPED_ERRORS):
            raise mysql_error(exc, self.to_mysql, self.tree) from None
