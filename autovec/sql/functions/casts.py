"""CAST(x AS SIGNED / UNSIGNED / DECIMAL / CHAR / DOUBLE) with MySQL's conversions.

``CAST(x AS JSON)`` is a JSON function (:mod:`autovec.sql.functions.json`); DATE, DATETIME
and TIME casts are the temporal ``date``, ``datetime`` and ``time``.
"""

from __future__ import annotations

import decimal
import math

from autovec.sql.functions.registry import SqlFunction
from autovec.sql.functions.values import (
    DECIMAL_CONTEXT,
    Value,
    as_decimal,
    as_int,
    as_number,
    as_text,
    whole_number,
)


def _cast_signed(value: Value) -> int | None:
    """CAST(x AS SIGNED): numbers round half away from zero, strings take their integer prefix."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        number = as_number(value)
        if isinstance(number, float):
            number = int(number) if math.isfinite(number) else 0
    else:
        number = as_int(value)
    if number >= 2**63:
        return number - 2**64 if number < 2**64 else -1
    return max(number, -(2**63))


def _cast_unsigned(value: Value) -> int | str | None:
    signed = _cast_signed(value)
    if signed is None:
        return None
    unsigned = signed & 0xFFFFFFFFFFFFFFFF
    return unsigned if unsigned < 2**63 else str(unsigned)


def _cast_decimal(value: Value, precision: Value = 10, scale: Value = 0) -> int | float | None:
    """CAST(x AS DECIMAL(p, s)): rounded half up to s places, clipped to the type's range."""
    if value is None:
        return None
    p, s = as_int(precision), as_int(scale)
    limit = decimal.Decimal(10) ** (p - s) - decimal.Decimal(1).scaleb(-s)
    exact = as_decimal(value)
    if exact.is_nan():
        return None
    if exact.is_infinite() or exact.adjusted() >= p - s:  # out of range: MySQL clips
        number = limit.copy_sign(exact)
    else:
        number = exact.quantize(
            decimal.Decimal(1).scaleb(-s), rounding=decimal.ROUND_HALF_UP, context=DECIMAL_CONTEXT
        )
        number = max(-limit, min(limit, number))
    return whole_number(number) if s == 0 else float(number)


def _cast_char(value: Value, length: Value = None) -> str | None:
    if value is None:
        return None
    text = as_text(value)
    return text if length is None else text[: as_int(length)]


def _cast_double(value: Value) -> float | None:
    return None if value is None else float(as_number(value))


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("cast_signed", _cast_signed),
    SqlFunction("cast_unsigned", _cast_unsigned),
    SqlFunction("cast_decimal", _cast_decimal),
    SqlFunction("cast_char", _cast_char),
    SqlFunction("cast_double", _cast_double),
)
