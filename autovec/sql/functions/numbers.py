"""MySQL's numeric functions: ROUND and TRUNCATE on exact decimals, MOD, RAND, CONV..."""

from __future__ import annotations

import decimal
import math
import random
import zlib

from autovec.sql.functions.registry import SqlFunction
from autovec.sql.functions.values import (
    DECIMAL_CONTEXT,
    Value,
    as_bytes,
    as_decimal,
    as_int,
    as_number,
    as_text,
    from_decimal,
    null_propagating,
    whole_number,
)


def _round(value: Value, places: Value = 0) -> int | float | None:
    """ROUND: half away from zero on the exact decimal, negative places allowed."""
    if value is None or places is None:
        return None
    digits = as_int(places)
    number = as_number(value)
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return number
    exact = as_decimal(number)
    rounded = (
        exact.quantize(
            decimal.Decimal(1).scaleb(-min(digits, 30)),
            rounding=decimal.ROUND_HALF_UP,
            context=DECIMAL_CONTEXT,
        )
        if digits > -330
        else 0
    )
    if digits <= 0 or isinstance(number, int):
        return whole_number(rounded)
    return float(rounded)


@null_propagating
def _truncate(value: Value, places: Value) -> int | float:
    digits = as_int(places)
    number = as_number(value)
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return number
    if digits < -330:
        return 0
    truncated = as_decimal(number).quantize(
        decimal.Decimal(1).scaleb(-min(digits, 30)),
        rounding=decimal.ROUND_DOWN,
        context=DECIMAL_CONTEXT,
    )
    if digits <= 0 or isinstance(number, int):
        return whole_number(truncated)
    return float(truncated)


@null_propagating
def _ceil(value: Value) -> int | float:
    number = as_number(value)
    if isinstance(number, float) and not math.isfinite(number):
        return number
    return whole_number(math.ceil(number))


@null_propagating
def _floor(value: Value) -> int | float:
    number = as_number(value)
    if isinstance(number, float) and not math.isfinite(number):
        return number
    return whole_number(math.floor(number))


@null_propagating
def _mod(a: Value, b: Value) -> int | float | None:
    """MOD / % : SQLite's % truncates both operands to integers, MySQL's does not."""
    x, y = as_number(a), as_number(b)
    if y == 0:
        return None
    if isinstance(x, int) and isinstance(y, int):
        result = abs(x) % abs(y)
        return -result if x < 0 else result
    # exact decimal remainder (sign of the dividend), so MOD(34.5, 3) is 1.5, not 1.4999...
    return from_decimal(as_decimal(x) % as_decimal(y))


def _rand(seed: Value = ...) -> float:
    """RAND(): uniform in [0, 1); RAND(N): the first value of MySQL's sequence for seed N."""
    if seed is ...:
        return random.random()
    n = as_int(seed) if seed is not None else 0
    max_value = 0x3FFFFFFF
    seed1 = (n * 0x10001 + 55555555) % max_value
    seed2 = (n * 0x10000001) % max_value
    seed1 = (seed1 * 3 + seed2) % max_value
    return seed1 / max_value


@null_propagating
def _crc32(value: Value) -> int:
    return zlib.crc32(as_bytes(value))


_CONV_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@null_propagating
def _conv(value: Value, from_base: Value, to_base: Value) -> str | None:
    """CONV(n, from, to): negative to_base means signed output; 64-bit wraparound like MySQL."""
    src, dst = as_int(from_base), as_int(to_base)
    if not (2 <= abs(src) <= 36 and 2 <= abs(dst) <= 36):
        return None
    text = as_text(value).strip().upper()
    negative = text.startswith("-")
    text = text.lstrip("+-")
    number = 0
    for ch in text:
        digit = _CONV_DIGITS.find(ch)
        if digit < 0 or digit >= abs(src):
            break
        number = number * abs(src) + digit
    number = min(number, 0xFFFFFFFFFFFFFFFF)
    if negative:
        number = -number
    if dst > 0:
        number &= 0xFFFFFFFFFFFFFFFF
    sign = "-" if number < 0 else ""
    number = abs(number)
    digits = ""
    while True:
        number, digit = divmod(number, abs(dst))
        digits = _CONV_DIGITS[digit] + digits
        if not number:
            break
    return sign + digits


@null_propagating
def _bin(value: Value) -> str:
    return format(as_int(value) & 0xFFFFFFFFFFFFFFFF, "b")


@null_propagating
def _oct(value: Value) -> str:
    return format(as_int(value) & 0xFFFFFFFFFFFFFFFF, "o")


@null_propagating
def _bit_count(value: Value) -> int:
    return bin(as_int(value) & 0xFFFFFFFFFFFFFFFF).count("1")


@null_propagating
def _inet_aton(value: Value) -> int | None:
    parts = as_text(value).split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    numbers = [int(p) for p in parts]
    # MySQL: '127.1' means 127.0.0.1 (the last part fills the remaining bytes).
    result = 0
    for number in numbers[:-1]:
        result = result * 256 + number
    return result * 256 ** (4 - len(numbers) + 1) + numbers[-1]


@null_propagating
def _inet_ntoa(value: Value) -> str | None:
    number = as_int(value)
    if not 0 <= number <= 0xFFFFFFFF:
        return None
    return ".".join(str((number >> shift) & 0xFF) for shift in (24, 16, 8, 0))


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("round", _round),
    SqlFunction("truncate", _truncate),
    SqlFunction("ceil", _ceil),
    SqlFunction("floor", _floor),
    SqlFunction("mod", _mod),
    SqlFunction("rand", _rand, deterministic=False),
    SqlFunction("crc32", _crc32, mysql_names=("CRC32",)),
    SqlFunction("conv", _conv, mysql_names=("CONV",)),
    SqlFunction("bin", _bin, mysql_names=("BIN",)),
    SqlFunction("oct", _oct, mysql_names=("OCT",)),
    SqlFunction("bit_count", _bit_count),
    SqlFunction("inet_aton", _inet_aton, mysql_names=("INET_ATON",)),
    SqlFunction("inet_ntoa", _inet_ntoa, mysql_names=("INET_NTOA",)),
)
