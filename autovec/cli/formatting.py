"""Turning result sets into text: mysql-client tables, ``\\G`` blocks, JSON lines and CSV.

Pure functions of column descriptions and Python values, with no engine imports, so they are
cheap to load and easy to test. Values are recognised by type (and vectors by their
``to_list`` method), the way autovec's DB-API hands them out:

* tables and CSV show the text the mysql client shows for TiDB: ``NULL``, ``[1,2,3]`` for
  vectors, ``2024-01-02 03:04:05`` for datetimes, ``0x…`` for binary strings, and doubles
  in TiDB's notation (``0.1``, ``1e20`` only from 1e15 up);
* JSON keeps types: numbers stay numbers (a DECIMAL is written with its exact digits),
  vectors become lists of floats, JSON columns are embedded as JSON, datetimes are ISO 8601
  strings, TIME values ``[-]HH:MM:SS[.ffffff]`` and binary strings base64.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import math
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: The output formats of ``autovec sql --format``.
FORMATS = ("table", "json", "csv")

#: SQL types whose values the mysql client right-aligns.
NUMERIC_TYPES = frozenset(
    {
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "bigint",
        "float",
        "double",
        "decimal",
        "year",
        "bit",
    }
)

Row = Sequence[Any]


@dataclass(frozen=True)
class Column:
    """What the printers need to know about a result column."""

    name: str
    type_name: str | None = None  # the SQL type ("int", "vector", "json" …), when known


# -- scalar values ------------------------------------------------------------------------


def format_float(value: float, single: bool = False) -> str:
    """A float as TiDB prints it: shortest digits, positional below 1e15, ``1.5e20`` above.

    ``single`` is for FLOAT (float32) columns: the shortest digits that read back as the same
    float32, so a stored 0.1 prints as ``0.1``, not ``0.10000000149011612``.
    """
    if not math.isfinite(value):
        return str(value)
    digits = Decimal(_shortest_digits(value, single))
    magnitude = abs(value)
    if magnitude >= 1e15 or (magnitude != 0 and magnitude < 1e-15):
        sign, digit_tuple, exponent = digits.as_tuple()
        assert isinstance(exponent, int)  # finite
        text = "".join(map(str, digit_tuple)).rstrip("0") or "0"
        exp10 = len(digit_tuple) + exponent - 1
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{'-' if sign else ''}{mantissa}e{exp10}"
    text = format(digits, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _shortest_digits(value: float, single: bool) -> str:
    if single:
        try:
            target = struct.pack("<f", value)
        except OverflowError:
            return repr(value)
        for precision in range(1, 10):
            candidate = f"{value:.{precision}g}"
            if struct.pack("<f", float(candidate)) == target:
                return candidate
    return repr(value)


def format_time(value: dt.timedelta) -> str:
    """A TIME value as MySQL writes it: ``-838:59:59`` … ``838:59:59``, fractions if any."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if micros < 0 else ""
    seconds, fraction = divmod(abs(micros), 1_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    text = f"{sign}{hours:02d}:{minute:02d}:{second:02d}"
    return f"{text}.{fraction:06d}" if fraction else text


def text_value(value: Any, type_name: str | None = None) -> str | None:
    """The text the mysql client shows for a value; None for SQL NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value, single=type_name == "float")
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_time(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex().upper()
    return str(value)  # vectors print as TiDB text: [1,2,3]


def json_value(value: Any, type_name: str | None = None) -> Any:
    """A value as plain JSON data (DECIMAL is handled by :func:`json_literal`)."""
    if isinstance(value, str) and type_name == "json":  # embed the document itself
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return float(_shortest_digits(value, True)) if type_name == "float" else value
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_time(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if callable(getattr(value, "to_list", None)):
        # TiDB's text holds each element's shortest float32 digits: 0.1, not 0.100000001…
        return [float(x) for x in json.loads(str(value))]
    return str(value)


def json_literal(value: Any, type_name: str | None = None) -> str:
    """One value as JSON text; a DECIMAL keeps its exact digits as a JSON number."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return json.dumps(json_value(value, type_name), ensure_ascii=False, allow_nan=False)


# -- result sets ----------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Terminal columns a string takes: CJK and emoji count double, combining marks zero."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def table(columns: Sequence[Column], rows: Sequence[Row]) -> list[str]:
    """A mysql-client ASCII table: names left-aligned, numbers right-aligned, ``NULL``."""
    cells = [
        [_table_text(v, c.type_name) for v, c in zip(row, columns, strict=False)] for row in rows
    ]
    widths = [display_width(c.name) for c in columns]
    for row_cells in cells:
        for i, cell in enumerate(row_cells):
            widths[i] = max(widths[i], display_width(cell))
    right = [_is_numeric_column(c, i, rows) for i, c in enumerate(columns)]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    header = (
        "| "
        + " | ".join(_pad(c.name, w, False) for c, w in zip(columns, widths, strict=True))
        + " |"
    )
    lines = [border, header, border]
    for row_cells in cells:
        padded = (_pad(cell, w, r) for cell, w, r in zip(row_cells, widths, right, strict=False))
        lines.append("| " + " | ".join(padded) + " |")
    lines.append(border)
    return lines


def _table_text(value: Any, type_name: str | None) -> str:
    text = text_value(value, type_name)
    return "NULL" if text is None else text


def _is_numeric_column(column: Column, index: int, rows: Sequence[Row]) -> bool:
    if column.type_name is not None:
        return column.type_name in NUMERIC_TYPES
    values = [row[index] for row in rows if row[index] is not None]
    return bool(values) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values
    )


def vertical(columns: Sequence[Column], rows: Sequence[Row]) -> list[str]:
    """The ``\\G`` layout: one block per row, one ``name: value`` line per column."""
    width = max((display_width(c.name) for c in columns), default=0)
    lines: list[str] = []
    for number, row in enumerate(rows, 1):
        lines.append(f"{'*' * 27} {number}. row {'*' * 27}")
        for column, value in zip(columns, row, strict=False):
            lines.append(
                f"{_pad(column.name, width, True)}: {_table_text(value, column.type_name)}"
            )
    return lines


def json_line(columns: Sequence[Column], rows: Sequence[Row]) -> str:
    """A result set as one line: a JSON array with one object per row."""
    keys = [
        json.dumps(name, ensure_ascii=False) for name in unique_names([c.name for c in columns])
    ]
    objects = []
    for row in rows:
        fields = (
            f"{k}: {json_literal(v, c.type_name)}"
            for k, v, c in zip(keys, row, columns, strict=False)
        )
        objects.append("{" + ", ".join(fields) + "}")
    return "[" + ", ".join(objects) + "]"


def unique_names(names: Sequence[str]) -> list[str]:
    """Column names made distinct for JSON keys: ``SELECT 1, 1`` gives ``1`` and ``1_2``."""
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def csv_text(columns: Sequence[Column], rows: Sequence[Row]) -> str:
    """A header line and one line per row (RFC 4180 quoting; NULL is an empty field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([text_value(v, c.type_name) for v, c in zip(row, columns, strict=False)])
    return buffer.getvalue()


# -- status lines ---------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _tail(warnings: int, seconds: float) -> str:
    note = f", {_plural(warnings, 'warning')}" if warnings else ""
    return f"{note} ({seconds:.2f} sec)"


def rows_status(count: int, seconds: float, warnings: int = 0) -> str:
    """``3 rows in set (0.00 sec)``, ``1 row in set``, or ``Empty set``."""
    head = "Empty set" if count == 0 else f"{_plural(count, 'row')} in set"
    return head + _tail(warnings, seconds)


def ok_status(affected: int, seconds: float, warnings: int = 0) -> str:
    """``Query OK, 1 row affected (0.00 sec)``."""
    return f"Query OK, {_plural(max(affected, 0), 'row')} affected" + _tail(warnings, seconds)
