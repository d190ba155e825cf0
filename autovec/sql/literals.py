"""MySQL literals read straight from statement text, with the values the slow path gives them.

``literal_rows`` and ``literal_select`` take literal values out of a statement's text and
bind them as parameters, so that a statement repeated with other values is planned once.
A value is taken only where binding it is provably what the literal would have been:

- a quoted string is unescaped exactly as the TiDB dialect's tokenizer (sqlglot's MySQL
  rules) does, and a string binds as the same SQLite text;
- an integer within SQLite's int64 binds as that integer (wider ones are rewritten by the
  translator: ``grammar.exact_literals``);
- a number with a point or an exponent is a double in SQLite; Python's ``float`` reads it
  identically when it has at most 17 significant digits (SQLite's own reading truncates
  longer mantissas, so those are left to SQLite).
"""

from __future__ import annotations

import re

from autovec.sql.types import INT64_MAX

# Possessive quantifiers throughout: the patterns are unambiguous, and a failed match
# must not backtrack through a megabyte of rows.
STRING = r"'[^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+'"
NUMBER = r"-?+(?:\d++(?:\.\d++)?+|\.\d++)(?:[eE][+-]?+\d{1,3}+)?+"
MAX_EXACT_DIGITS = 17

# The escapes of a single-quoted MySQL string (sqlglot's MySQL tokenizer): \% and \_ keep
# their backslash (they are LIKE escapes), an unknown escape is the character itself.
_ESCAPES = {
    "0": "\0",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "%": "\\%",
    "_": "\\_",
}
_ESCAPE = re.compile(r"\\(.)|''", re.S)
_MANTISSA = re.compile(r"-?(\d*)\.?(\d*)")


class NotBindable(Exception):
    """A literal whose value as a parameter could differ from the literal's."""


def string_value(token: str) -> str:
    """The value of a quoted string token (``STRING``), quotes included."""
    body = token[1:-1]
    if "\\" not in body and "''" not in body:
        return body
    return _ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if escaped is None:
        return "'"  # '' inside the quotes
    return _ESCAPES.get(escaped, escaped)


def number_value(token: str) -> int | float:
    """The value SQLite gives a numeric token (``NUMBER``); NotBindable where unsure."""
    if "." not in token and "e" not in token and "E" not in token:
        value = int(token)
        if abs(value) > INT64_MAX:
            raise NotBindable(token)
        return value
    mantissa = _MANTISSA.match(token)
    digits = (mantissa.group(1) + mantissa.group(2)).lstrip("0") if mantissa else token
    if len(digits) > MAX_EXACT_DIGITS:
        raise NotBindable(token)
    return float(token)
