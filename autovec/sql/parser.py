"""TiDB's SQL dialect: sqlglot's MySQL dialect plus the few things TiDB adds.

The additions are small and live here, one place each:
- ``VECTOR<FLOAT>(D)`` is read as ``VECTOR(D)`` (TiDB's only element type);
- ``%s`` / ``%(name)s`` (PyMySQL's paramstyle) become SQLite placeholders;
- statements sqlglot does not model (``SAVEPOINT``, ``RELEASE SAVEPOINT``,
  ``RENAME TABLE``, ``ALTER TABLE … SET TIFLASH REPLICA``) are recognised up front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError, TokenError

from autovec import errors


class TiDB(MySQL):
    """sqlglot dialect for TiDB; MySQL's rules unless said otherwise."""


@dataclass(frozen=True)
class Special:
    """A statement recognised before sqlglot: ``kind`` plus its captured arguments."""

    kind: str
    args: tuple[str, ...]  # the groups that matched
    groups: tuple[str | None, ...] = ()  # every group, by position


_SPECIALS = [
    ("savepoint", re.compile(r"^\s*SAVEPOINT\s+`?(\w+)`?\s*;?\s*$", re.I)),
    ("release", re.compile(r"^\s*RELEASE\s+SAVEPOINT\s+`?(\w+)`?\s*;?\s*$", re.I)),
    (
        "rollback_to",
        re.compile(r"^\s*ROLLBACK\s+(?:WORK\s+)?TO\s+(?:SAVEPOINT\s+)?`?(\w+)`?\s*;?\s*$", re.I),
    ),
    ("rename_table", re.compile(r"^\s*RENAME\s+TABLES?\s+(.+?)\s*;?\s*$", re.I | re.S)),
    (
        "tiflash_replica",
        re.compile(
            r"^\s*ALTER\s+TABLE\s+([`\w.]+)\s+SET\s+TIFLASH\s+REPLICA\s+(\d+)\s*;?\s*$", re.I
        ),
    ),
    ("compact", re.compile(r"^\s*ALTER\s+TABLE\s+([`\w.]+)\s+COMPACT\b.*$", re.I | re.S)),
    (
        "create_vector_index",
        re.compile(
            r"^\s*CREATE\s+VECTOR\s+(?:INDEX|KEY)\s+(IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?\s+ON\s+([`\w.]+)\s*"
            r"\(\s*(\(.*\))\s*\)\s*(.*?)\s*;?\s*$",
            re.I | re.S,
        ),
    ),
    (
        # ADD VECTOR INDEX together with other changes (TiDB refuses these)
        "multi_schema_vector_index",
        re.compile(
            r"^\s*ALTER\s+TABLE\s+[`\w.]+\s+(?!ADD\s+VECTOR\b).*,\s*ADD\s+VECTOR\s+(?:INDEX|KEY)\b.*$",
            re.I | re.S,
        ),
    ),
    (
        "add_vector_index",
        re.compile(
            r"^\s*ALTER\s+TABLE\s+([`\w.]+)\s+ADD\s+VECTOR\s+(?:INDEX|KEY)\s+(IF\s+NOT\s+EXISTS\s+)?"
            r"(?:`?(\w+)`?\s*)?\(\s*(\(.*\))\s*\)\s*(.*?)\s*;?\s*$",
            re.I | re.S,
        ),
    ),
    (
        "create_fulltext_index",
        re.compile(
            r"^\s*CREATE\s+FULLTEXT\s+(?:INDEX|KEY)\s+(IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?\s+ON\s+([`\w.]+)\s*"
            r"\(([^)]*)\)\s*(.*?)\s*;?\s*$",
            re.I | re.S,
        ),
    ),
    (
        "noop",
        re.compile(
            r"^\s*(FLUSH|CREATE\s+USER|DROP\s+USER|GRANT|REVOKE|LOCK\s+TABLES|UNLOCK\s+TABLES|ANALYZE|OPTIMIZE)\b",
            re.I,
        ),
    ),
]

# One pass over the text that knows about quotes and comments, so rewrites never touch
# the inside of a string literal or identifier.
_LEXEME = re.compile(
    r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|--[^\n]*|\#[^\n]*|/\*.*?\*/"""
    r"""|%\((?P<named>\w+)\)s|(?P<pos>%s)|(?P<pct>%%)|(?P<vecfloat>VECTOR\s*<\s*FLOAT\s*>)|(?P<vecother>VECTOR\s*<\s*\w+\s*>)""",
    re.S | re.I,
)


def prepare_text(sql: str, with_params: bool) -> str:
    """Normalise TiDB-only lexemes; with parameters, turn ``%s`` into ``?``."""

    def replace(match: re.Match[str]) -> str:
        if match.group("vecfloat"):
            return "VECTOR"
        if match.group("vecother"):
            raise errors.DatabaseError("Only VECTOR is supported for now", errors.ER_UNKNOWN_ERROR)
        if with_params:
            if match.group("named"):
                return ":" + match.group("named")
            if match.group("pos"):
                return "?"
            if match.group("pct"):
                return "%"
        return match.group(0)

    if "%" not in sql and "<" not in sql:
        return sql
    return _LEXEME.sub(replace, sql)


def special(sql: str) -> Special | None:
    for kind, pattern in _SPECIALS:
        match = pattern.match(sql)
        if match:
            return Special(kind, tuple(g for g in match.groups() if g is not None), match.groups())
    return None


@lru_cache(maxsize=512)
def _parse_cached(sql: str) -> tuple[Any, ...]:
    return tuple(e for e in sqlglot.parse(sql, dialect=TiDB) if e is not None)


def parse(sql: str) -> list[exp.Expression]:
    """Parse one or more statements into fresh (mutable) trees, or raise MySQL's 1064."""
    try:
        parsed = _parse_cached(sql)
    except (ParseError, TokenError) as exc:
        raise _syntax_error(sql, exc) from None
    except RecursionError:
        raise errors.syntax_error(_TOO_DEEP) from None
    except (AttributeError, TypeError, ValueError, IndexError) as exc:
        # sqlglot itself failing on malformed input (e.g. `SELECT DATE_ADD (`): the text
        # is not valid SQL, which is what the user needs to hear.
        raise _syntax_error(sql, exc) from None
    try:
        return [e.copy() for e in parsed]
    except RecursionError:
        raise errors.syntax_error(_TOO_DEEP) from None


_TOO_DEEP = "You have an error in your SQL syntax: the statement is nested too deeply"


def _syntax_error(sql: str, exc: Exception) -> errors.ProgrammingError:
    detail = ""
    if isinstance(exc, ParseError) and exc.errors:
        first = exc.errors[0]
        line, col = first.get("line"), first.get("col")
        near = (first.get("highlight") or "") + (first.get("end_context") or "")
        detail = f" near '{near[:40]}' at line {line} column {col}"
        description = first.get("description") or ""
        if description:
            detail += f" ({description})"
    return errors.syntax_error(
        "You have an error in your SQL syntax; check the manual that corresponds to your TiDB version "
        f"for the right syntax to use{detail}"
    )


def split_statements(sql: str) -> list[str]:
    """Split a script into statements on top-level semicolons (quotes and comments respected)."""
    parts: list[str] = []
    start = 0
    for match in re.finditer(
        r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`|--[^\n]*|\#[^\n]*|/\*.*?\*/|;""",
        sql,
        re.S,
    ):
        if match.group(0) == ";":
            parts.append(sql[start : match.start()])
            start = match.end()
    parts.append(sql[start:])
    return [p.strip() for p in parts if p.strip() and not _only_comments(p)]


def _only_comments(text: str) -> bool:
    stripped = re.sub(r"--[^\n]*|\#[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    return not stripped.strip()


def quote_identifier(name: str) -> str:
    """Quote for SQLite."""
    return '"' + name.replace('"', '""') + '"'


def mysql_quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
