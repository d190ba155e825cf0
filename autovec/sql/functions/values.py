"""MySQL's implicit conversions of the values SQLite hands a function (shared by every domain).

Values follow the engine's storage: dates and times are ISO text, booleans 0/1, JSON text.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from collections.abc import Callable
from typing import Any

from autovec import errors

Value = Any  # what SQLite hands a UDF: None, int, float, str or bytes

NUMBER_PREFIX = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")


def as_text(value: Value) -> str:
    """A value as MySQL shows it in a string context (doubles without a trailing .0)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e+", "e")
    return str(value)


def as_number(value: Value) -> int | float:
    """A value as a number, the way MySQL converts strings: leading numeric prefix, else 0."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    match = NUMBER_PREFIX.match(value)
    if not match:
        return 0
    text = match.group(1)
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def as_int(value: Value) -> int:
    """An integer argument (lengths, positions): MySQL rounds half away from zero."""
    number = as_number(value)
    if isinstance(number, int):
        return number
    if math.isnan(number) or math.isinf(number):
        return 0
    return int(math.copysign(math.floor(abs(number) + 0.5), number))


# Wide enough for any double (1e308) at MySQL's 30 decimal places: quantize never overflows.
DECIMAL_CONTEXT = decimal.Context(prec=400, Emax=999, Emin=-999)


def as_decimal(value: Value) -> decimal.Decimal:
    """Exact decimal of a value; floats via repr so 2.675 stays 2.675 as in a DECIMAL."""
    number = as_number(value)
    return decimal.Decimal(repr(number) if isinstance(number, float) else number)


def whole_number(value: decimal.Decimal | int) -> int | float:
    """An integral result as an int, or a float beyond SQLite's 64-bit integers."""
    number = int(value)
    return number if -(2**63) <= number < 2**63 else float(value)


def from_decimal(value: decimal.Decimal) -> int | float:
    """A Decimal back to what SQLite can store: int when integral, else float."""
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
        return int(value)
    return float(value)


def null_propagating(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap fn so that any NULL argument yields NULL, as for most MySQL functions."""

    @functools.wraps(fn)
    def wrapper(*args: Value) -> Any:
        for arg in args:
            if arg is None:
                return None
        return fn(*args)

    return wrapper


def sql_error(message: str, errno: int = errors.ER_WRONG_ARGUMENTS) -> errors.DatabaseError:
    return errors.DatabaseError(message, errno)


def as_bytes(value: Value) -> bytes:
    """The bytes MySQL's byte-wise functions (LENGTH, HEX, MD5, CRC32...) see: text as UTF-8."""
    return value if isinstance(value, bytes) else as_text(value).encode("utf-8")
