"""MySQL's regular expressions: REGEXP_LIKE/REPLACE/SUBSTR/INSTR, and the ``regexp``
function SQLite calls for ``X REGEXP Y``. Case-sensitive by default (``utf8mb4_bin``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from autovec.sql.functions.registry import SqlFunction
from autovec.sql.functions.values import (
    Value,
    as_int,
    as_text,
    sql_error,
)


# Shared by every data directory: a pure function of the pattern and flags.
@functools.lru_cache(maxsize=256)
def _regex(pattern: str, flags: str = "") -> re.Pattern[str]:
    """Compile once per (pattern, match_type); MySQL's match_type letters: c i m n u."""
    options = 0
    for flag in flags:
        if flag == "i":
            options |= re.I
        elif flag == "c":
            options &= ~re.I
        elif flag == "m":
            options |= re.M
        elif flag == "n":
            options |= re.S
        elif flag != "u":
            raise sql_error("Incorrect arguments to regexp_like.")
    try:
        return re.compile(pattern, options)
    except re.error as exc:
        raise sql_error(f"Illegal argument to a regular expression: {exc}", 3685) from None


def _regexp(pattern: Value, value: Value) -> int | None:
    """SQLite's ``X REGEXP Y`` calls ``regexp(Y, X)``."""
    if pattern is None or value is None:
        return None
    return 1 if _regex(as_text(pattern)).search(as_text(value)) else 0


def _regexp_like(value: Value, pattern: Value, flags: Value = "") -> int | None:
    if value is None or pattern is None or flags is None:
        return None
    return 1 if _regex(as_text(pattern), as_text(flags)).search(as_text(value)) else 0


_DOLLAR_GROUP = re.compile(r"\\(.)|\$(\d+)|\\")


def _replacement(text: str) -> Callable[[re.Match[str]], str]:
    """MySQL's replacement string: $1 refers to a group, backslash escapes a character."""

    def expand(match: re.Match[str]) -> str:
        def sub(m: re.Match[str]) -> str:
            if m.group(1) is not None:
                return m.group(1)
            if m.group(2) is not None:
                return match.group(int(m.group(2))) or ""
            return "\\"

        return _DOLLAR_GROUP.sub(sub, text)

    return expand


def _regexp_replace(
    value: Value,
    pattern: Value,
    repl: Value,
    pos: Value = 1,
    occurrence: Value = 0,
    flags: Value = "",
) -> str | None:
    if any(a is None for a in (value, pattern, repl, pos, occurrence, flags)):
        return None
    text, start, nth = as_text(value), as_int(pos), as_int(occurrence)
    if start < 1 or start > len(text) + 1:
        raise sql_error("Index out of bounds in regular expression search.", 3686)
    regex = _regex(as_text(pattern), as_text(flags))
    expand = _replacement(as_text(repl))
    head, tail = text[: start - 1], text[start - 1 :]
    if nth <= 0:
        return head + regex.sub(expand, tail)
    for i, match in enumerate(regex.finditer(tail), 1):
        if i == nth:
            return head + tail[: match.start()] + expand(match) + tail[match.end() :]
    return text


def _regexp_substr(
    value: Value, pattern: Value, pos: Value = 1, occurrence: Value = 1, flags: Value = ""
) -> str | None:
    if any(a is None for a in (value, pattern, pos, occurrence, flags)):
        return None
    text, start, nth = as_text(value), as_int(pos), max(as_int(occurrence), 1)
    if start < 1 or start > len(text) + 1:
        raise sql_error("Index out of bounds in regular expression search.", 3686)
    for i, match in enumerate(
        _regex(as_text(pattern), as_text(flags)).finditer(text, start - 1), 1
    ):
        if i == nth:
            return match.group(0)
    return None


def _regexp_instr(
    value: Value,
    pattern: Value,
    pos: Value = 1,
    occurrence: Value = 1,
    option: Value = 0,
    flags: Value = "",
) -> int | None:
    if any(a is None for a in (value, pattern, pos, occurrence, option, flags)):
        return None
    text, start, nth = as_text(value), as_int(pos), max(as_int(occurrence), 1)
    if start < 1 or start > len(text) + 1:
        raise sql_error("Index out of bounds in regular expression search.", 3686)
    for i, match in enumerate(
        _regex(as_text(pattern), as_text(flags)).finditer(text, start - 1), 1
    ):
        if i == nth:
            return (match.end() if as_int(option) else match.start()) + 1
    return 0


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("regexp_like", _regexp_like, mysql_names=("REGEXP_LIKE",)),
    SqlFunction("regexp_replace", _regexp_replace, mysql_names=("REGEXP_REPLACE",)),
    SqlFunction("regexp_substr", _regexp_substr, mysql_names=("REGEXP_SUBSTR",)),
    SqlFunction("regexp_instr", _regexp_instr, mysql_names=("REGEXP_INSTR",)),
    SqlFunction("regexp", _regexp, sqlite_operator=True),
)
