"""Cutting typed or piped text into statements, the way the mysql client does.

The engine's ``split_statements`` only knows ``;``. The client also needs ``\\G`` (vertical
output) and ``\\g`` as terminators, ``\\c`` (discard the statement being typed) and ``\\q``,
and, while a statement is being typed, whether the text so far ends inside a quote or a
comment (the continuation prompt shows it). So the client scans text itself, with the same
quoting and comment rules as the engine's splitter: ``'…'``, ``"…"`` with backslash or doubled
quote escapes, ```…``` with doubled backticks, ``-- …``, ``# …`` and ``/* … */``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Terminators: ``;`` and ``\\g`` print a table, ``\\G`` prints one block per row.
SEMICOLON = ";"
VERTICAL = "\\G"
GO = "\\g"


@dataclass
class Scan:
    """The complete statements found in a text, and what is left after them."""

    statements: list[tuple[str, str]] = field(default_factory=list)  # (sql, terminator)
    rest: str = ""  # text after the last terminator: a statement still being typed
    rest_has_sql: bool = False  # rest holds more than blanks and finished comments
    open: str = ""  # the quote or comment the text ends inside: ' " ` /*  (or "")
    quit: bool = False  # \q was typed: stop after running the statements before it


def scan(text: str) -> Scan:
    """Split ``text`` into finished statements plus the unfinished remainder."""
    result = Scan()
    start = 0  # where the current statement begins
    has_sql = False  # the current statement holds something other than comments
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            end = _quote_end(text, i)
            if end < 0:
                result.open = ch
                has_sql = True
                i = n
                break
            has_sql = True
            i = end
        elif (ch == "-" and text.startswith("--", i)) or ch == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif ch == "/" and text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                result.open = "/*"
                i = n
                break
            i = close + 2
        elif ch == ";":
            _finish(result, text[start:i], SEMICOLON, has_sql)
            i += 1
            start, has_sql = i, False
        elif ch == "\\" and i + 1 < n and text[i + 1] in "GgcCqQ":
            command = text[i + 1]
            if command in "Gg":
                _finish(result, text[start:i], VERTICAL if command == "G" else GO, has_sql)
            elif command in "qQ":
                _finish(result, text[start:i], SEMICOLON, has_sql)
                result.quit = True
                result.rest, result.rest_has_sql = "", False
                return result
            # \c: forget the statement typed so far
            i += 2
            start, has_sql = i, False
        else:
            if not ch.isspace():
                has_sql = True
            i += 1
    result.rest = text[start:]
    result.rest_has_sql = has_sql
    return result


def _finish(result: Scan, sql: str, terminator: str, has_sql: bool) -> None:
    """Record one statement, skipping empty ones (a stray ``;`` or a lone comment)."""
    if has_sql:
        result.statements.append((sql.strip(), terminator))


def _quote_end(text: str, start: int) -> int:
    """Index just past the quote that closes the one at ``start``, or -1 if it never closes."""
    quote = text[start]
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and quote != "`":
            i += 2
        elif ch == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2  # doubled quote: an escaped quote character
            else:
                return i + 1
        else:
            i += 1
    return -1


def split_script(text: str) -> list[tuple[str, str]]:
    """All statements of a script; a last statement without a terminator counts too."""
    result = scan(text)
    statements = list(result.statements)
    if result.rest_has_sql and not result.quit:
        statements.append((result.rest.strip(), SEMICOLON))
    return statements
