"""MySQL's built-in functions, with MySQL semantics, on SQLite.

sqlglot parses MySQL SQL and generates SQLite SQL, but many MySQL functions either do
not exist in SQLite or come out with other semantics (``DATE_ADD`` on a DATETIME becomes
``DATE(...)`` and drops the time, ``SUBSTRING(s, 0)`` returns the whole string, ``RAND()``
becomes an integer, ``CAST(1.7 AS SIGNED)`` truncates...). Two halves fix that:

- :func:`rewrite` walks the parsed MySQL tree once, before SQLite generation, and replaces
  such nodes by calls ``__av_<name>(...)`` to Python functions;
- :func:`register` registers those Python functions (plus ``regexp``, which SQLite's
  ``X REGEXP Y`` needs) on an apsw connection.

Values follow the engine's storage: dates and times are ISO text, booleans 0/1, JSON text.
Strings compare case-sensitively (the engine's collation is ``utf8mb4_bin``, TiDB's
default), so LOCATE, FIELD, REGEXP... are case-sensitive as on TiDB.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import decimal
import functools
import hashlib
import inspect
import json
import math
import random
import re
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any, cast

import apsw
from sqlglot import exp

from autovec import errors

Value = Any  # what SQLite hands a UDF: None, int, float, str or bytes

# ---------------------------------------------------------------------------------------
# Value conversion (MySQL's implicit casts)
# ---------------------------------------------------------------------------------------

_NUMBER_PREFIX = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")


def _text(value: Value) -> str:
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


def _num(value: Value) -> int | float:
    """A value as a number, the way MySQL converts strings: leading numeric prefix, else 0."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    match = _NUMBER_PREFIX.match(value)
    if not match:
        return 0
    text = match.group(1)
    if "." in text or "e" in text or "E" in text:
        return float(text)
    return int(text)


def _int(value: Value) -> int:
    """An integer argument (lengths, positions): MySQL rounds half away from zero."""
    number = _num(value)
    if isinstance(number, int):
        return number
    if math.isnan(number) or math.isinf(number):
        return 0
    return int(math.copysign(math.floor(abs(number) + 0.5), number))


# Wide enough for any double (1e308) at MySQL's 30 decimal places: quantize never overflows.
_DECIMAL = decimal.Context(prec=400, Emax=999, Emin=-999)


def _dec(value: Value) -> decimal.Decimal:
    """Exact decimal of a value; floats via repr so 2.675 stays 2.675 as in a DECIMAL."""
    number = _num(value)
    return decimal.Decimal(repr(number) if isinstance(number, float) else number)


def _whole(value: decimal.Decimal | int) -> int | float:
    """An integral result as an int, or a float beyond SQLite's 64-bit integers."""
    number = int(value)
    return number if -(2**63) <= number < 2**63 else float(value)


def _from_dec(value: decimal.Decimal) -> int | float:
    """A Decimal back to what SQLite can store: int when integral, else float."""
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
        return int(value)
    return float(value)


def _nulls(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap fn so that any NULL argument yields NULL, as for most MySQL functions."""

    @functools.wraps(fn)
    def wrapper(*args: Value) -> Any:
        for arg in args:
            if arg is None:
                return None
        return fn(*args)

    return wrapper


def _error(message: str, errno: int = errors.ER_WRONG_ARGUMENTS) -> errors.DatabaseError:
    return errors.DatabaseError(message, errno)


# ---------------------------------------------------------------------------------------
# Temporal values
# ---------------------------------------------------------------------------------------

_DATETIME_RE = re.compile(
    r"\s*(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:(?:T|\s+)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?)?)?\s*$"
)
_COMPACT_RE = re.compile(
    r"\s*(\d{2}|\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})(?:\.(\d*))?)?\s*$"
)
_TIME_RE = re.compile(r"\s*(-)?(?:(\d+)\s+)?(\d+):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d*))?\s*$")
_COMPACT_TIME_RE = re.compile(r"\s*(-)?(\d*?)(\d{1,2})??(\d{1,2})(?:\.(\d*))?\s*$")


def _year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        year += 2000 if year < 70 else 1900
    return year


def _micro(text: str | None) -> int:
    return int((text or "").ljust(6, "0")[:6] or 0)


@functools.lru_cache(maxsize=4096)
def _parse_temporal(value: Value) -> dt.date | None:
    """Parse a MySQL DATE or DATETIME value; a ``datetime`` when it has a time part.

    Accepts 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (relaxed delimiters, 'T'), 'YYYYMMDD[HHMMSS]'
    and the same as numbers. Invalid or zero dates give None (MySQL: NULL + warning).
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, int | float):
        value = repr(value) if isinstance(value, float) else str(value)
        if len(value.split(".")[0]) in (6, 8, 12, 14):
            match = _COMPACT_RE.match(value)
        else:
            return None
    else:
        match = _DATETIME_RE.match(value) or _COMPACT_RE.match(value)
    if match is None:
        return None
    y, mo, d, h, mi, s, f = match.groups()
    try:
        if h is None:
            return dt.date(_year(y), int(mo), int(d))
        return dt.datetime(_year(y), int(mo), int(d), int(h), int(mi or 0), int(s or 0), _micro(f))
    except ValueError:
        return None


def _datetime(value: Value) -> dt.datetime | None:
    """A temporal value as a datetime (dates at midnight)."""
    parsed = _parse_temporal(value)
    if parsed is None:
        return None
    if isinstance(parsed, dt.datetime):
        return parsed
    return dt.datetime(parsed.year, parsed.month, parsed.day)


def _date(value: Value) -> dt.date | None:
    parsed = _parse_temporal(value)
    if isinstance(parsed, dt.datetime):
        return parsed.date()
    return parsed


@functools.lru_cache(maxsize=1024)
def _parse_time(value: Value) -> dt.timedelta | None:
    """Parse a MySQL TIME value ('[-][D ]HH:MM[:SS[.f]]', 'HHMMSS', seconds) or a datetime's time."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        match = _TIME_RE.match(value)
        if match:
            sign, days, h, m, s, f = match.groups()
            delta = dt.timedelta(
                days=int(days or 0),
                hours=int(h),
                minutes=int(m),
                seconds=int(s or 0),
                microseconds=_micro(f),
            )
            return -delta if sign else delta
        parsed = _parse_temporal(value)
        if isinstance(parsed, dt.datetime):
            return dt.timedelta(
                hours=parsed.hour,
                minutes=parsed.minute,
                seconds=parsed.second,
                microseconds=parsed.microsecond,
            )
        if parsed is not None:
            return dt.timedelta(0)
        if not _NUMBER_PREFIX.fullmatch(value.strip()):
            return None
    number = _num(value)
    negative = number < 0
    text = repr(abs(number)) if isinstance(number, float) else str(abs(number))
    whole, _, frac = text.partition(".")
    whole = whole.zfill(6)
    seconds, minutes, hours = int(whole[-2:]), int(whole[-4:-2]), int(whole[:-4])
    if seconds > 59 or minutes > 59:
        return None
    delta = dt.timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=_micro(frac))
    return -delta if negative else delta


def _fmt_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _fmt_datetime(value: dt.datetime, fsp: int | None = None) -> str:
    """'YYYY-MM-DD HH:MM:SS', plus the fraction (fsp digits, or 6 when non-zero)."""
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if fsp is None:
        return text + (f".{value.microsecond:06d}" if value.microsecond else "")
    return text + (f".{value.microsecond:06d}"[: fsp + 1] if fsp > 0 else "")


def _fmt_temporal(value: dt.date) -> str:
    return _fmt_datetime(value) if isinstance(value, dt.datetime) else _fmt_date(value)


def _fmt_time(value: dt.timedelta, fsp: int | None = None) -> str:
    total = round(value.total_seconds() * 1_000_000)
    sign = "-" if total < 0 else ""
    total = abs(total)
    seconds, micro = divmod(total, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"
    if fsp is None:
        return text + (f".{micro:06d}" if micro else "")
    return text + (f".{micro:06d}"[: fsp + 1] if fsp > 0 else "")


def _fsp(value: Value) -> int:
    fsp = _int(value)
    if not 0 <= fsp <= 6:
        raise _error(f"Too-big precision {fsp} specified. Maximum is 6.", 1426)
    return fsp


def _now(fsp: Value = 0) -> str:
    return _fmt_datetime(dt.datetime.now(), _fsp(fsp))


def _utc_now(fsp: Value = 0) -> str:
    return _fmt_datetime(dt.datetime.now(dt.UTC).replace(tzinfo=None), _fsp(fsp))


def _curdate() -> str:
    return _fmt_date(dt.date.today())


def _utc_date() -> str:
    return _fmt_date(dt.datetime.now(dt.UTC).date())


def _curtime(fsp: Value = 0) -> str:
    now = dt.datetime.now()
    return _fmt_datetime(now, _fsp(fsp))[11:]


def _utc_time(fsp: Value = 0) -> str:
    return _utc_now(fsp)[11:]


def _unix_timestamp(value: Value = ...) -> int | float | None:
    """Seconds since the epoch of a local DATETIME (0 outside the TIMESTAMP range)."""
    if value is ...:
        return int(time.time())
    if value is None:
        return None
    moment = _datetime(value)
    if moment is None:
        return None
    try:
        seconds = time.mktime(moment.timetuple())
    except (OverflowError, ValueError):
        return 0
    if seconds < 0:
        return 0
    if moment.microsecond:
        return float(decimal.Decimal(int(seconds)) + decimal.Decimal(moment.microsecond).scaleb(-6))
    return int(seconds)


@_nulls
def _from_unixtime(seconds: Value, fmt: Value = None) -> str | None:
    number = _dec(seconds)
    if number < 0:
        return None
    whole = int(number)
    micro = int((number - whole) * 1_000_000)
    try:
        moment = dt.datetime.fromtimestamp(whole) + dt.timedelta(microseconds=micro)
    except (OverflowError, OSError, ValueError):
        return None
    if fmt is not None:
        return _date_format(_fmt_datetime(moment), fmt)
    return _fmt_datetime(moment)


# -- weeks (MySQL's calc_week) -------------------------------------------------------------

_WEEK_MONDAY_FIRST = 1
_WEEK_YEAR = 2
_WEEK_FIRST_WEEKDAY = 4


def _days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def _calc_week(day: dt.date, behaviour: int) -> tuple[int, int]:
    """MySQL's ``calc_week``: (week number, year the week belongs to)."""
    monday_first = bool(behaviour & _WEEK_MONDAY_FIRST)
    week_year = bool(behaviour & _WEEK_YEAR)
    first_weekday = bool(behaviour & _WEEK_FIRST_WEEKDAY)
    daynr = day.toordinal()
    first = dt.date(day.year, 1, 1)
    first_daynr = first.toordinal()
    weekday = first.weekday() if monday_first else (first.weekday() + 1) % 7
    year = day.year
    if day.month == 1 and day.day <= 7 - weekday:
        if not week_year and (
            (first_weekday and weekday != 0) or (not first_weekday and weekday >= 4)
        ):
            return 0, year
        week_year = True
        year -= 1
        days = _days_in_year(year)
        first_daynr -= days
        weekday = (weekday + 53 * 7 - days) % 7
    if (first_weekday and weekday != 0) or (not first_weekday and weekday >= 4):
        days = daynr - (first_daynr + (7 - weekday))
    else:
        days = daynr - (first_daynr - weekday)
    if week_year and days >= 52 * 7:
        weekday = (weekday + _days_in_year(year)) % 7
        if (not first_weekday and weekday < 4) or (first_weekday and weekday == 0):
            return 1, year + 1
    return days // 7 + 1, year


def _week_mode(mode: int) -> int:
    behaviour = mode & 7
    if not behaviour & _WEEK_MONDAY_FIRST:
        behaviour ^= _WEEK_FIRST_WEEKDAY
    return behaviour


@_nulls
def _week(value: Value, mode: Value = 0) -> int | None:
    day = _date(value)
    return None if day is None else _calc_week(day, _week_mode(_int(mode)))[0]


@_nulls
def _yearweek(value: Value, mode: Value = 0) -> int | None:
    day = _date(value)
    if day is None:
        return None
    week, year = _calc_week(day, _week_mode(_int(mode) | _WEEK_YEAR))
    return year * 100 + week


# -- DATE_FORMAT / STR_TO_DATE ---------------------------------------------------------------

_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}" + {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _hour12(hour: int) -> int:
    return (hour % 12) or 12


_FORMATTERS: dict[str, Callable[[dt.datetime], str]] = {
    "a": lambda d: _DAYS[d.weekday()][:3],
    "b": lambda d: _MONTHS[d.month - 1][:3],
    "c": lambda d: str(d.month),
    "D": lambda d: _ordinal(d.day),
    "d": lambda d: f"{d.day:02d}",
    "e": lambda d: str(d.day),
    "f": lambda d: f"{d.microsecond:06d}",
    "H": lambda d: f"{d.hour:02d}",
    "h": lambda d: f"{_hour12(d.hour):02d}",
    "I": lambda d: f"{_hour12(d.hour):02d}",
    "i": lambda d: f"{d.minute:02d}",
    "j": lambda d: f"{d.timetuple().tm_yday:03d}",
    "k": lambda d: str(d.hour),
    "l": lambda d: str(_hour12(d.hour)),
    "M": lambda d: _MONTHS[d.month - 1],
    "m": lambda d: f"{d.month:02d}",
    "p": lambda d: "AM" if d.hour < 12 else "PM",
    "r": lambda d: (
        f"{_hour12(d.hour):02d}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"
    ),
    "S": lambda d: f"{d.second:02d}",
    "s": lambda d: f"{d.second:02d}",
    "T": lambda d: f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}",
    "U": lambda d: f"{_calc_week(d.date(), _WEEK_FIRST_WEEKDAY)[0]:02d}",
    "u": lambda d: f"{_calc_week(d.date(), _WEEK_MONDAY_FIRST)[0]:02d}",
    "V": lambda d: f"{_calc_week(d.date(), _WEEK_YEAR | _WEEK_FIRST_WEEKDAY)[0]:02d}",
    "v": lambda d: f"{_calc_week(d.date(), _WEEK_YEAR | _WEEK_MONDAY_FIRST)[0]:02d}",
    "W": lambda d: _DAYS[d.weekday()],
    "w": lambda d: str((d.weekday() + 1) % 7),
    "X": lambda d: f"{_calc_week(d.date(), _WEEK_YEAR | _WEEK_FIRST_WEEKDAY)[1]:04d}",
    "x": lambda d: f"{_calc_week(d.date(), _WEEK_YEAR | _WEEK_MONDAY_FIRST)[1]:04d}",
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
}


@functools.lru_cache(maxsize=256)
def _compile_format(fmt: str) -> tuple[tuple[bool, Any], ...]:
    """Split a MySQL format into (is_specifier, formatter-or-literal) pieces, once per format."""
    pieces: list[tuple[bool, Any]] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            formatter = _FORMATTERS.get(spec)
            pieces.append((True, formatter) if formatter else (False, spec))
            i += 2
        else:
            pieces.append((False, ch))
            i += 1
    return tuple(pieces)


@_nulls
def _date_format(value: Value, fmt: Value) -> str | None:
    moment = _datetime(value)
    if moment is None:
        delta = _parse_time(value) if isinstance(value, str) and ":" in value else None
        if delta is None:
            return None
        moment = dt.datetime(1900, 1, 1) + delta if delta >= dt.timedelta(0) else None
        if moment is None:
            return None
    return "".join(piece(moment) if spec else piece for spec, piece in _compile_format(_text(fmt)))


@_nulls
def _time_format(value: Value, fmt: Value) -> str | None:
    delta = _parse_time(value)
    if delta is None:
        return None
    moment = dt.datetime(2000, 1, 1) + dt.timedelta(seconds=delta.total_seconds() % 86400)
    hours = int(delta.total_seconds() // 3600)
    out = []
    for spec, piece in _compile_format(_text(fmt)):
        if spec and piece is _FORMATTERS["H"]:
            out.append(f"{hours:02d}")
        elif spec and piece is _FORMATTERS["k"]:
            out.append(str(hours))
        else:
            out.append(piece(moment) if spec else piece)
    return "".join(out)


_PARSERS: dict[str, tuple[str, str | None]] = {
    # specifier: (regex, field)
    "Y": (r"(\d{1,4})", "year"),
    "y": (r"(\d{1,2})", "year2"),
    "m": (r"(\d{1,2})", "month"),
    "c": (r"(\d{1,2})", "month"),
    "d": (r"(\d{1,2})", "day"),
    "e": (r"(\d{1,2})", "day"),
    "D": (r"(\d{1,2})(?:st|nd|rd|th)", "day"),
    "H": (r"(\d{1,2})", "hour"),
    "k": (r"(\d{1,2})", "hour"),
    "h": (r"(\d{1,2})", "hour12"),
    "I": (r"(\d{1,2})", "hour12"),
    "l": (r"(\d{1,2})", "hour12"),
    "i": (r"(\d{1,2})", "minute"),
    "s": (r"(\d{1,2})", "second"),
    "S": (r"(\d{1,2})", "second"),
    "f": (r"(\d{1,6})", "micro"),
    "p": (r"(AM|PM)", "ampm"),
    "b": (r"([A-Za-z]{3})", "monthabbr"),
    "M": (r"([A-Za-z]+)", "monthname"),
    "a": (r"[A-Za-z]{3}", None),
    "W": (r"[A-Za-z]+", None),
    "j": (r"(\d{1,3})", "yday"),
    "w": (r"\d", None),
    "T": (r"(\d{1,2}):(\d{1,2}):(\d{1,2})", "T"),
    "r": (r"(\d{1,2}):(\d{1,2}):(\d{1,2})\s*(AM|PM)", "r"),
}
_DATE_FIELDS = {"year", "year2", "month", "day", "monthabbr", "monthname", "yday"}
_TIME_FIELDS = {"hour", "hour12", "minute", "second", "micro", "ampm", "T", "r"}


@functools.lru_cache(maxsize=256)
def _compile_parser(fmt: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A regex and the field name of each group for a STR_TO_DATE format."""
    parts: list[str] = []
    fields: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            i += 2
            if spec in _PARSERS:
                pattern, field = _PARSERS[spec]
                parts.append(r"\s*" + pattern if pattern.startswith(r"(\d") else pattern)
                if field == "T":
                    fields.extend(("hour", "minute", "second"))
                elif field == "r":
                    fields.extend(("hour12", "minute", "second", "ampm"))
                elif field is not None:
                    fields.append(field)
            else:
                parts.append(re.escape(spec))
        elif ch.isspace():
            parts.append(r"\s*")
            i += 1
        else:
            parts.append(re.escape(ch))
            i += 1
    return re.compile(r"\s*" + "".join(parts), re.I), tuple(fields)


@_nulls
def _str_to_date(value: Value, fmt: Value) -> str | None:
    """MySQL STR_TO_DATE: DATE, TIME or DATETIME text depending on the format's parts."""
    pattern, fields = _compile_parser(_text(fmt))
    match = pattern.match(_text(value))
    if match is None:
        return None
    got: dict[str, str] = {}
    for field, text in zip(fields, match.groups(), strict=True):
        got[field] = text
    year = int(got["year"]) if "year" in got else (_year(got["year2"]) if "year2" in got else 0)
    if "year" in got and len(got["year"]) <= 2:
        year = _year(got["year"])
    month = int(got.get("month", 0))
    if "monthabbr" in got or "monthname" in got:
        name = (got.get("monthabbr") or got.get("monthname") or "").lower()
        matches = [
            i for i, m in enumerate(_MONTHS, 1) if m.lower().startswith(name) and len(name) >= 3
        ]
        if not matches:
            return None
        month = matches[0]
    day = int(got.get("day", 0))
    hour = int(got.get("hour", 0))
    if "hour12" in got:
        hour = int(got["hour12"]) % 12
        if got.get("ampm", "").upper() == "PM":
            hour += 12
    elif got.get("ampm", "").upper() == "PM" and hour < 12:
        hour += 12
    minute, second, micro = (
        int(got.get("minute", 0)),
        int(got.get("second", 0)),
        _micro(got.get("micro")),
    )
    has_date = any(f in _DATE_FIELDS for f in got)
    has_time = any(f in _TIME_FIELDS for f in got)
    try:
        if has_date:
            if "yday" in got and "month" not in got and "day" not in got:
                base = dt.date(year, 1, 1) + dt.timedelta(days=int(got["yday"]) - 1)
                month, day = base.month, base.day
            if month == 0 or day == 0:
                return None  # zero dates are rejected (NO_ZERO_IN_DATE)
            moment = dt.datetime(year, month, day, hour, minute, second, micro)
        else:
            moment = dt.datetime(2000, 1, 1, hour, minute, second, micro)
    except ValueError:
        return None
    if not has_date:
        return _fmt_datetime(moment)[11:]
    if not has_time:
        return _fmt_date(moment)
    return _fmt_datetime(moment)


# -- interval arithmetic -----------------------------------------------------------------

# unit: the parts of its value string, leftmost first
_INTERVAL_PARTS: dict[str, tuple[str, ...]] = {
    "MICROSECOND": ("MICROSECOND",),
    "SECOND": ("SECOND",),
    "MINUTE": ("MINUTE",),
    "HOUR": ("HOUR",),
    "DAY": ("DAY",),
    "WEEK": ("WEEK",),
    "MONTH": ("MONTH",),
    "QUARTER": ("QUARTER",),
    "YEAR": ("YEAR",),
    "SECOND_MICROSECOND": ("SECOND", "MICROSECOND"),
    "MINUTE_MICROSECOND": ("MINUTE", "SECOND", "MICROSECOND"),
    "MINUTE_SECOND": ("MINUTE", "SECOND"),
    "HOUR_MICROSECOND": ("HOUR", "MINUTE", "SECOND", "MICROSECOND"),
    "HOUR_SECOND": ("HOUR", "MINUTE", "SECOND"),
    "HOUR_MINUTE": ("HOUR", "MINUTE"),
    "DAY_MICROSECOND": ("DAY", "HOUR", "MINUTE", "SECOND", "MICROSECOND"),
    "DAY_SECOND": ("DAY", "HOUR", "MINUTE", "SECOND"),
    "DAY_MINUTE": ("DAY", "HOUR", "MINUTE"),
    "DAY_HOUR": ("DAY", "HOUR"),
    "YEAR_MONTH": ("YEAR", "MONTH"),
}
_DATE_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR", "YEAR_MONTH"}
_UNIT_MICROS = {
    "MICROSECOND": 1,
    "SECOND": 1_000_000,
    "MINUTE": 60_000_000,
    "HOUR": 3_600_000_000,
    "DAY": 86_400_000_000,
    "WEEK": 7 * 86_400_000_000,
}
_UNIT_MONTHS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
_DIGITS = re.compile(r"\d+")


@functools.lru_cache(maxsize=1024)
def _interval(value: Value, unit: str) -> tuple[int, dt.timedelta] | None:
    """An INTERVAL as (months, timedelta), or None when its value is malformed (cached:
    the amount is nearly always a constant)."""
    parts = _INTERVAL_PARTS.get(unit)
    if parts is None:
        raise _error(f"Unknown interval unit '{unit}'")
    amounts: dict[str, int] = {}
    micro_extra = 0
    if len(parts) == 1:
        number = _num(value)
        if unit == "SECOND" and isinstance(number, float):
            exact = _dec(number)
            amounts["SECOND"] = int(exact)
            micro_extra = int((exact - int(exact)) * 1_000_000)
        else:
            amounts[unit] = _int(number)
    else:
        text = _text(value).strip()
        negative = text.startswith("-")
        numbers = _DIGITS.findall(text)
        if not numbers or len(numbers) > len(parts):
            return None
        names = parts[len(parts) - len(numbers) :]
        for name, digits in zip(names, numbers, strict=True):
            amounts[name] = (
                _micro(digits) if name == "MICROSECOND" and len(parts) > 1 else int(digits)
            )
        if negative:
            amounts = {k: -v for k, v in amounts.items()}
    months = sum(amounts.get(k, 0) * v for k, v in _UNIT_MONTHS.items())
    micros = sum(amounts.get(k, 0) * v for k, v in _UNIT_MICROS.items()) + micro_extra
    return months, dt.timedelta(microseconds=micros)


def _add_months(moment: dt.date, months: int) -> dt.date:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _date_add(value: Value, amount: Value, unit: Value, sign: int = 1) -> str | None:
    """DATE_ADD/DATE_SUB: a DATE stays a DATE unless the unit has a time part."""
    if value is None or amount is None:
        return None
    unit_name = _text(unit).upper()
    parsed = _parse_temporal(value)
    if parsed is None:
        delta_time = _parse_time(value) if isinstance(value, str) and ":" in value else None
        if delta_time is None:
            return None
        interval = _interval(amount, unit_name)
        if interval is None or interval[0]:
            return None
        return _fmt_time(delta_time + interval[1] * sign)
    interval = _interval(amount, unit_name)
    if interval is None:
        return None
    months, delta = interval
    if sign < 0:
        months, delta = -months, -delta
    keep_date = not isinstance(parsed, dt.datetime) and unit_name in _DATE_UNITS
    moment: dt.date = parsed
    if not keep_date and not isinstance(parsed, dt.datetime):
        moment = dt.datetime(parsed.year, parsed.month, parsed.day)
    try:
        if months:
            moment = _add_months(moment, months)
        if delta:
            moment = moment + (dt.timedelta(days=delta.days) if keep_date else delta)
    except (OverflowError, ValueError):
        return None
    return _fmt_temporal(moment)


def _date_sub(value: Value, amount: Value, unit: Value) -> str | None:
    return _date_add(value, amount, unit, -1)


@_nulls
def _datediff(a: Value, b: Value) -> int | None:
    if b == "0000-01-01":  # sqlglot writes TO_DAYS(d) as DATEDIFF(d, '0000-01-01') + 1
        day = _date(a)
        return None if day is None else day.toordinal() + _DAYS_BEFORE_ORDINAL_1 - 1
    first, second = _date(a), _date(b)
    if first is None or second is None:
        return None
    return (first - second).days


@_nulls
def _timestampdiff(unit: Value, a: Value, b: Value) -> int | None:
    """TIMESTAMPDIFF(unit, a, b): whole units from a to b, truncated toward zero."""
    start, end = _datetime(a), _datetime(b)
    if start is None or end is None:
        return None
    unit_name = _text(unit).upper()
    if unit_name in _UNIT_MONTHS:
        months = (end.year - start.year) * 12 + end.month - start.month
        end_rest = (end.day, end.time())
        start_rest = (start.day, start.time())
        if months > 0 and end_rest < start_rest:
            months -= 1
        elif months < 0 and end_rest > start_rest:
            months += 1
        return int(months / _UNIT_MONTHS[unit_name])
    if unit_name not in _UNIT_MICROS:
        raise _error(f"Unknown interval unit '{unit_name}'")
    delta = end - start
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    size = _UNIT_MICROS[unit_name]
    return micros // size if micros >= 0 else -((-micros) // size)


@_nulls
def _timediff(a: Value, b: Value) -> str | None:
    first, second = _parse_temporal(a), _parse_temporal(b)
    if isinstance(first, dt.datetime) and isinstance(second, dt.datetime):
        return _fmt_time(first - second)
    t1, t2 = _parse_time(a), _parse_time(b)
    if (
        t1 is None
        or t2 is None
        or isinstance(first, dt.datetime) != isinstance(second, dt.datetime)
    ):
        return None
    return _fmt_time(t1 - t2)


# -- parts ---------------------------------------------------------------------------------


def _date_part(fn: Callable[[dt.date], Any]) -> Callable[[Value], Any]:
    """A one-argument function of the date part; NULL for NULL or invalid input."""

    def wrapper(value: Value) -> Any:
        if value is None:
            return None
        day = _date(value)
        return None if day is None else fn(day)

    return wrapper


def _time_part(fn: Callable[[dt.timedelta], int]) -> Callable[[Value], int | None]:
    """A one-argument function of the time part (a TIME value or a DATETIME's time)."""

    def wrapper(value: Value) -> int | None:
        if value is None:
            return None
        delta = _parse_time(value)
        return None if delta is None else fn(abs(delta))

    return wrapper


def _to_date(value: Value) -> str | None:
    day = None if value is None else _date(value)
    return None if day is None else _fmt_date(day)


def _to_datetime(value: Value, fsp: Value = None) -> str | None:
    moment = None if value is None else _datetime(value)
    if moment is None:
        return None
    if fsp is None:
        return _fmt_datetime(moment)
    digits = _fsp(fsp)
    micro = round(moment.microsecond, digits - 6)
    if micro >= 1_000_000:
        moment = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
    else:
        moment = moment.replace(microsecond=micro)
    return _fmt_datetime(moment, digits)


def _to_time(value: Value, fsp: Value = None) -> str | None:
    delta = None if value is None else _parse_time(value)
    if delta is None:
        return None
    if fsp is None:
        return _fmt_time(delta)
    digits = _fsp(fsp)
    micros = round(delta / dt.timedelta(microseconds=1), digits - 6)
    return _fmt_time(dt.timedelta(microseconds=micros), digits)


def _timestamp(value: Value, add: Value = ...) -> str | None:
    """TIMESTAMP(expr[, time]): a DATETIME, optionally plus a TIME."""
    if value is None or add is None:
        return None
    moment = _datetime(value)
    if moment is None:
        return None
    if add is not ...:
        delta = _parse_time(add)
        if delta is None:
            return None
        moment = moment + delta
    return _fmt_datetime(moment)


@_nulls
def _extract(unit: Value, value: Value) -> int | None:
    unit_name = _text(unit).upper()
    parsed = _parse_temporal(value)
    moment = _datetime(value)
    delta = _parse_time(value) if moment is None or not isinstance(parsed, dt.datetime) else None
    if moment is None and delta is None:
        return None
    if moment is not None and unit_name in (
        "YEAR",
        "QUARTER",
        "MONTH",
        "WEEK",
        "DAY",
        "YEAR_MONTH",
    ):
        return {
            "YEAR": moment.year,
            "QUARTER": (moment.month + 2) // 3,
            "MONTH": moment.month,
            "WEEK": _calc_week(moment.date(), _week_mode(0))[0],
            "DAY": moment.day,
            "YEAR_MONTH": moment.year * 100 + moment.month,
        }[unit_name]
    if moment is not None and isinstance(parsed, dt.datetime):
        day, hour, minute, second, micro = (
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
        )
        negative = False
    elif delta is not None:
        negative = delta < dt.timedelta(0)
        total = abs(delta)
        day, hour = 0, total.days * 24 + total.seconds // 3600
        minute, second, micro = total.seconds // 60 % 60, total.seconds % 60, total.microseconds
    else:
        day = hour = minute = second = micro = 0
        negative = False
    fields = {
        "HOUR": hour, "MINUTE": minute, "SECOND": second, "MICROSECOND": micro,
        "SECOND_MICROSECOND": second * 1_000_000 + micro,
        "MINUTE_MICROSECOND": (minute * 100 + second) * 1_000_000 + micro,
        "MINUTE_SECOND": minute * 100 + second,
        "HOUR_MICROSECOND": (hour * 10000 + minute * 100 + second) * 1_000_000 + micro,
        "HOUR_SECOND": hour * 10000 + minute * 100 + second,
        "HOUR_MINUTE": hour * 100 + minute,
        "DAY_MICROSECOND": ((day * 100 + hour) * 10000 + minute * 100 + second) * 1_000_000 + micro,
        "DAY_SECOND": (day * 100 + hour) * 10000 + minute * 100 + second,
        "DAY_MINUTE": (day * 100 + hour) * 100 + minute,
        "DAY_HOUR": day * 100 + hour,
        "DAY": day,
    }  # fmt: skip
    if unit_name not in fields:
        raise _error(f"Unknown interval unit '{unit_name}'")
    result = fields[unit_name]
    return -result if negative else result


@_nulls
def _sec_to_time(seconds: Value) -> str:
    number = _dec(seconds)
    limit = decimal.Decimal(838 * 3600 + 59 * 60 + 59)
    number = max(-limit, min(limit, number))
    return _fmt_time(dt.timedelta(microseconds=int(number * 1_000_000)))


@_nulls
def _time_to_sec(value: Value) -> int | float | None:
    delta = _parse_time(value)
    if delta is None:
        return None
    seconds = delta.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


_DAYS_BEFORE_ORDINAL_1 = 365  # TO_DAYS('0001-01-01') - 1: MySQL counts from year 0


@_nulls
def _to_days(value: Value) -> int | None:
    day = _date(value)
    return None if day is None else day.toordinal() + _DAYS_BEFORE_ORDINAL_1


@_nulls
def _from_days(value: Value) -> str | None:
    number = _int(value) - _DAYS_BEFORE_ORDINAL_1
    if number < 1:
        return "0000-00-00"
    try:
        return _fmt_date(dt.date.fromordinal(number))
    except (ValueError, OverflowError):
        return None


@_nulls
def _makedate(year: Value, yday: Value) -> str | None:
    y, n = _year(str(_int(year))) if 0 <= _int(year) < 100 else _int(year), _int(yday)
    if n <= 0:
        return None
    try:
        return _fmt_date(dt.date(y, 1, 1) + dt.timedelta(days=n - 1))
    except (ValueError, OverflowError):
        return None


# ---------------------------------------------------------------------------------------
# Strings
# ---------------------------------------------------------------------------------------


def _concat_ws(sep: Value, first: Value, *rest: Value) -> str | None:
    """CONCAT_WS(sep, s, …): MySQL wants at least one string after the separator."""
    if sep is None:
        return None
    return _text(sep).join(_text(a) for a in (first, *rest) if a is not None)


@_nulls
def _left(s: Value, n: Value) -> str:
    count = _int(n)
    return _text(s)[:count] if count > 0 else ""


@_nulls
def _right(s: Value, n: Value) -> str:
    count = _int(n)
    return _text(s)[-count:] if count > 0 else ""


def _pad(left: bool) -> Callable[..., str | None]:
    @_nulls
    def pad(s: Value, n: Value, fill: Value = " ") -> str | None:
        text, length, filler = _text(s), _int(n), _text(fill)
        if length < 0:
            return None
        if len(text) >= length:
            return text[:length]
        if not filler:
            return None
        needed = length - len(text)
        padding = (filler * (needed // len(filler) + 1))[:needed]
        return padding + text if left else text + padding

    return pad


@_nulls
def _repeat(s: Value, n: Value) -> str:
    return _text(s) * max(_int(n), 0)


@_nulls
def _reverse(s: Value) -> str:
    return _text(s)[::-1]


@_nulls
def _space(n: Value) -> str:
    return " " * max(_int(n), 0)


@_nulls
def _locate(sub: Value, s: Value, pos: Value = 1) -> int:
    """LOCATE(substr, str[, pos]): 1-based, 0 when absent or pos out of range."""
    start = _int(pos)
    text = _text(s)
    if start < 1 or start > len(text) + 1:
        return 0
    return text.find(_text(sub), start - 1) + 1


@_nulls
def _substring(s: Value, pos: Value, length: Value = ...) -> str:
    """MySQL SUBSTRING: position 0 gives '', a negative position counts from the end."""
    text = _text(s)
    start = _int(pos)
    if start == 0 or abs(start) > len(text) or (start < 0 and -start > len(text)):
        return ""
    begin = start - 1 if start > 0 else len(text) + start
    if length is ...:
        return text[begin:]
    count = _int(length)
    return text[begin : begin + count] if count > 0 else ""


@_nulls
def _substring_index(s: Value, delim: Value, count: Value) -> str:
    text, sep, n = _text(s), _text(delim), _int(count)
    if not sep or n == 0:
        return ""
    if n > 0:
        return sep.join(text.split(sep)[:n])
    return sep.join(text.split(sep)[n:])


@_nulls
def _find_in_set(needle: Value, haystack: Value) -> int:
    target, items = _text(needle), _text(haystack)
    if "," in target or not items:
        return 0
    parts = items.split(",")
    return parts.index(target) + 1 if target in parts else 0


def _field(needle: Value, first: Value, *rest: Value) -> int:
    """FIELD: string comparison when all are strings, else numeric; NULL never matches."""
    items = (first, *rest)
    if needle is None:
        return 0
    if isinstance(needle, str | bytes) and all(
        isinstance(i, str | bytes) or i is None for i in items
    ):
        target = _text(needle)
        for index, item in enumerate(items, 1):
            if item is not None and _text(item) == target:
                return index
        return 0
    number = _num(needle)
    for index, item in enumerate(items, 1):
        if item is not None and _num(item) == number:
            return index
    return 0


def _elt(n: Value, *items: Value) -> Value:
    if n is None:
        return None
    index = _int(n)
    if 1 <= index <= len(items):
        item = items[index - 1]
        return None if item is None else _text(item)
    return None


@_nulls
def _insert(s: Value, pos: Value, length: Value, new: Value) -> str:
    text, start, count = _text(s), _int(pos), _int(length)
    if start < 1 or start > len(text):
        return text
    if count < 0 or start - 1 + count > len(text):
        count = len(text) - start + 1
    return text[: start - 1] + _text(new) + text[start - 1 + count :]


def _trim(which: str) -> Callable[[Value, Value], str | None]:
    """TRIM with a remove string: MySQL removes the whole string repeatedly, not a char set."""

    @_nulls
    def trim(s: Value, remove: Value) -> str:
        text, sub = _text(s), _text(remove)
        if not sub:
            return text
        if which in ("BOTH", "LEADING"):
            while text.startswith(sub):
                text = text[len(sub) :]
        if which in ("BOTH", "TRAILING"):
            while text.endswith(sub):
                text = text[: -len(sub)]
        return text

    return trim


def _case_map(text: str, upper: bool) -> str:
    """MySQL maps case one character to one ('ß' stays 'ß'), unlike str.upper()."""
    mapped = text.upper() if upper else text.lower()
    if len(mapped) == len(text):
        return mapped
    return "".join(m if len(m := (c.upper() if upper else c.lower())) == 1 else c for c in text)


@_nulls
def _upper(s: Value) -> str:
    return _case_map(_text(s), True)


@_nulls
def _lower(s: Value) -> str:
    return _case_map(_text(s), False)


def _bytes(value: Value) -> bytes:
    return value if isinstance(value, bytes) else _text(value).encode("utf-8")


@_nulls
def _octet_length(s: Value) -> int:
    return len(_bytes(s))


@_nulls
def _bit_length(s: Value) -> int:
    return 8 * len(_bytes(s))


@_nulls
def _char_length(s: Value) -> int:
    return len(s) if isinstance(s, bytes) else len(_text(s))


@_nulls
def _ascii(s: Value) -> int:
    data = _bytes(s)
    return data[0] if data else 0


@_nulls
def _ord(s: Value) -> int:
    text = _text(s)
    if not text:
        return 0
    result = 0
    for byte in text[0].encode("utf-8"):
        result = result * 256 + byte
    return result


def _binary_result(data: bytes) -> str | bytes:
    """A binary string result: text when it is valid UTF-8, so it compares like MySQL's."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _char(*codes: Value) -> str | bytes:
    out = bytearray()
    for code in codes:
        if code is None:
            continue
        number = _int(code) & 0xFFFFFFFF
        chunk = bytearray()
        while True:
            chunk.insert(0, number & 0xFF)
            number >>= 8
            if not number:
                break
        out += chunk
    return _binary_result(bytes(out))


@_nulls
def _hex(value: Value) -> str:
    """HEX: of a number, its integer in hex; of a string, its bytes."""
    if isinstance(value, int | float):
        number = _int(value)
        return format(number & 0xFFFFFFFFFFFFFFFF, "X")
    return _bytes(value).hex().upper()


@_nulls
def _unhex(value: Value) -> str | bytes | None:
    text = _text(value)
    if len(text) % 2:
        text = "0" + text
    try:
        return _binary_result(bytes.fromhex(text))
    except ValueError:
        return None


@_nulls
def _md5(value: Value) -> str:
    return hashlib.md5(_bytes(value)).hexdigest()


@_nulls
def _sha1(value: Value) -> str:
    return hashlib.sha1(_bytes(value)).hexdigest()


@_nulls
def _sha2(value: Value, bits: Value) -> str | None:
    size = _int(bits)
    name = {0: "sha256", 224: "sha224", 256: "sha256", 384: "sha384", 512: "sha512"}.get(size)
    if name is None:
        return None
    return hashlib.new(name, _bytes(value)).hexdigest()


def _uuid() -> str:
    return str(uuid.uuid1())


@_nulls
def _to_base64(value: Value) -> str:
    encoded = base64.b64encode(_bytes(value)).decode("ascii")
    return "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


@_nulls
def _from_base64(value: Value) -> str | bytes | None:
    text = "".join(_text(value).split())
    try:
        return _binary_result(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        return None


@_nulls
def _format(value: Value, places: Value, locale: Value = "en_US") -> str:
    """FORMAT(x, d): rounded half away from zero, with thousands separators."""
    digits = max(0, min(_int(places), 30))
    number = _dec(value).quantize(
        decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP, context=_DECIMAL
    )
    text = f"{number:,.{digits}f}"
    if _text(locale).lower().startswith(("de", "es", "it", "nl", "pt", "id", "da")):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@_nulls
def _strcmp(a: Value, b: Value) -> int:
    x, y = _text(a), _text(b)
    return (x > y) - (x < y)


@_nulls
def _soundex(value: Value) -> str:
    codes = {
        c: str(d)
        for d, letters in enumerate(["aeiouyhw", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r"])
        for c in letters
    }
    letters = [c for c in _text(value).lower() if c.isalpha()]
    if not letters:
        return ""
    out = letters[0].upper()
    last = codes.get(letters[0], "")
    for c in letters[1:]:
        code = codes.get(c, "")
        if code and code != "0" and code != last:
            out += code
        if c not in "hw":
            last = code
    return out.ljust(4, "0")


# ---------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------


def _round(value: Value, places: Value = 0) -> int | float | None:
    """ROUND: half away from zero on the exact decimal, negative places allowed."""
    if value is None or places is None:
        return None
    digits = _int(places)
    number = _num(value)
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return number
    exact = _dec(number)
    rounded = (
        exact.quantize(
            decimal.Decimal(1).scaleb(-min(digits, 30)),
            rounding=decimal.ROUND_HALF_UP,
            context=_DECIMAL,
        )
        if digits > -330
        else 0
    )
    if digits <= 0 or isinstance(number, int):
        return _whole(rounded)
    return float(rounded)


@_nulls
def _truncate(value: Value, places: Value) -> int | float:
    digits = _int(places)
    number = _num(value)
    if isinstance(number, float) and (math.isnan(number) or math.isinf(number)):
        return number
    if digits < -330:
        return 0
    truncated = _dec(number).quantize(
        decimal.Decimal(1).scaleb(-min(digits, 30)), rounding=decimal.ROUND_DOWN, context=_DECIMAL
    )
    if digits <= 0 or isinstance(number, int):
        return _whole(truncated)
    return float(truncated)


@_nulls
def _ceil(value: Value) -> int | float:
    number = _num(value)
    if isinstance(number, float) and not math.isfinite(number):
        return number
    return _whole(math.ceil(number))


@_nulls
def _floor(value: Value) -> int | float:
    number = _num(value)
    if isinstance(number, float) and not math.isfinite(number):
        return number
    return _whole(math.floor(number))


@_nulls
def _mod(a: Value, b: Value) -> int | float | None:
    """MOD / % : SQLite's % truncates both operands to integers, MySQL's does not."""
    x, y = _num(a), _num(b)
    if y == 0:
        return None
    if isinstance(x, int) and isinstance(y, int):
        result = abs(x) % abs(y)
        return -result if x < 0 else result
    # exact decimal remainder (sign of the dividend), so MOD(34.5, 3) is 1.5, not 1.4999...
    return _from_dec(_dec(x) % _dec(y))


def _rand(seed: Value = ...) -> float:
    """RAND(): uniform in [0, 1); RAND(N): the first value of MySQL's sequence for seed N."""
    if seed is ...:
        return random.random()
    n = _int(seed) if seed is not None else 0
    max_value = 0x3FFFFFFF
    seed1 = (n * 0x10001 + 55555555) % max_value
    seed2 = (n * 0x10000001) % max_value
    seed1 = (seed1 * 3 + seed2) % max_value
    return seed1 / max_value


@_nulls
def _crc32(value: Value) -> int:
    return zlib.crc32(_bytes(value))


_CONV_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@_nulls
def _conv(value: Value, from_base: Value, to_base: Value) -> str | None:
    """CONV(n, from, to): negative to_base means signed output; 64-bit wraparound like MySQL."""
    src, dst = _int(from_base), _int(to_base)
    if not (2 <= abs(src) <= 36 and 2 <= abs(dst) <= 36):
        return None
    text = _text(value).strip().upper()
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


@_nulls
def _bin(value: Value) -> str:
    return format(_int(value) & 0xFFFFFFFFFFFFFFFF, "b")


@_nulls
def _oct(value: Value) -> str:
    return format(_int(value) & 0xFFFFFFFFFFFFFFFF, "o")


@_nulls
def _bit_count(value: Value) -> int:
    return bin(_int(value) & 0xFFFFFFFFFFFFFFFF).count("1")


@_nulls
def _inet_aton(value: Value) -> int | None:
    parts = _text(value).split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    numbers = [int(p) for p in parts]
    # MySQL: '127.1' means 127.0.0.1 (the last part fills the remaining bytes).
    result = 0
    for number in numbers[:-1]:
        result = result * 256 + number
    return result * 256 ** (4 - len(numbers) + 1) + numbers[-1]


@_nulls
def _inet_ntoa(value: Value) -> str | None:
    number = _int(value)
    if not 0 <= number <= 0xFFFFFFFF:
        return None
    return ".".join(str((number >> shift) & 0xFF) for shift in (24, 16, 8, 0))


# ---------------------------------------------------------------------------------------
# CAST
# ---------------------------------------------------------------------------------------


def _cast_signed(value: Value) -> int | None:
    """CAST(x AS SIGNED): numbers round half away from zero, strings take their integer prefix."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        number = _num(value)
        if isinstance(number, float):
            number = int(number) if math.isfinite(number) else 0
    else:
        number = _int(value)
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
    p, s = _int(precision), _int(scale)
    limit = decimal.Decimal(10) ** (p - s) - decimal.Decimal(1).scaleb(-s)
    exact = _dec(value)
    if exact.is_nan():
        return None
    if exact.is_infinite() or exact.adjusted() >= p - s:  # out of range: MySQL clips
        number = limit.copy_sign(exact)
    else:
        number = exact.quantize(
            decimal.Decimal(1).scaleb(-s), rounding=decimal.ROUND_HALF_UP, context=_DECIMAL
        )
        number = max(-limit, min(limit, number))
    return _whole(number) if s == 0 else float(number)


def _cast_char(value: Value, length: Value = None) -> str | None:
    if value is None:
        return None
    text = _text(value)
    return text if length is None else text[: _int(length)]


def _cast_double(value: Value) -> float | None:
    return None if value is None else float(_num(value))


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------


def _json_error(fn: str, arg: int, exc: json.JSONDecodeError) -> errors.DatabaseError:
    return errors.DatabaseError(
        f'Invalid JSON text in argument {arg} to function {fn}: "{exc.msg}" at position {exc.pos}.',
        3141,
    )


@functools.lru_cache(maxsize=512)
def _loads_cached(text: str) -> Any:
    return json.loads(text)


def _json_doc(value: Value, fn: str, arg: int = 1) -> Any:
    """Parse a JSON document argument (cached: documents repeat across rows and calls)."""
    if isinstance(value, int | float):
        return value
    text = _text(value)
    try:
        return _loads_cached(text)
    except json.JSONDecodeError as exc:
        raise _json_error(fn, arg, exc) from None


def _json_key(key: str) -> tuple[int, bytes]:
    encoded = key.encode("utf-8")
    return len(encoded), encoded


def _dump(value: Any) -> str:
    """JSON text as MySQL prints it: ', ' and ': ' separators, keys by length then bytes."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _json_key(kv[0]))
        return (
            "{"
            + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + _dump(v) for k, v in items)
            + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:.1f}"
        return repr(value).replace("e+", "e")
    return json.dumps(value, ensure_ascii=False)


def _sql_to_json(value: Value, is_json: bool) -> Any:
    """An SQL argument as a JSON value: JSON-typed arguments are parsed, strings stay strings."""
    if value is None:
        return None
    if is_json:
        return json.loads(_text(value)) if isinstance(value, str | bytes) else value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# A path leg: ("key", name) | ("key*",) | ("idx", n, from_end) | ("idx*",) | ("range", a, a_end, b, b_end) | ("**",)
Leg = tuple[Any, ...]
_PATH_TOKEN = re.compile(
    r'\s*(?:\.\s*(?:(?P<star>\*)|"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<name>[^\s.\[*"]+))'
    r"|\[\s*(?:(?P<istar>\*)|(?P<a>last(?:\s*-\s*\d+)?|\d+)(?:\s+to\s+(?P<b>last(?:\s*-\s*\d+)?|\d+))?)\s*\]"
    r"|(?P<dstar>\*\*))"
)


def _index(text: str) -> tuple[int, bool]:
    if text.startswith("last"):
        rest = text[4:].replace(" ", "").lstrip("-")
        return int(rest or 0), True
    return int(text), False


@functools.lru_cache(maxsize=512)
def _parse_path(path: str) -> tuple[Leg, ...]:
    """Parse a MySQL JSON path ('$.a[0]', '$."k"', '$[*]', '$**.b', '$[last-1]', '$[1 to 3]')."""
    text = path.strip()
    if not text.startswith("$"):
        raise _error(
            f"Invalid JSON path expression. The error is around character position 1 in '{path}'.",
            3143,
        )
    legs: list[Leg] = []
    pos = 1
    while pos < len(text):
        match = _PATH_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise _error(
                f"Invalid JSON path expression. The error is around character position {pos + 1} in '{path}'.",
                3143,
            )
        pos = match.end()
        if match.group("star"):
            legs.append(("key*",))
        elif match.group("quoted") is not None:
            legs.append(("key", json.loads('"' + match.group("quoted") + '"')))
        elif match.group("name") is not None:
            legs.append(("key", match.group("name")))
        elif match.group("istar"):
            legs.append(("idx*",))
        elif match.group("dstar"):
            legs.append(("**",))
        elif match.group("b") is not None:
            a, a_end = _index(match.group("a"))
            b, b_end = _index(match.group("b"))
            legs.append(("range", a, a_end, b, b_end))
        else:
            n, from_end = _index(match.group("a"))
            legs.append(("idx", n, from_end))
    if legs and legs[-1][0] == "**":
        raise _error(
            f"Invalid JSON path expression. The error is around character position {len(text)} in '{path}'.",
            3143,
        )
    return tuple(legs)


def _is_wild(legs: tuple[Leg, ...]) -> bool:
    return any(leg[0] in ("key*", "idx*", "**", "range") for leg in legs)


def _descendants(value: Any) -> Iterator[Any]:
    yield value
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    for child in children:
        yield from _descendants(child)


def _resolve(index: int, from_end: bool, size: int) -> int:
    return size - 1 - index if from_end else index


def _walk_path(value: Any, legs: tuple[Leg, ...]) -> Iterator[Any]:
    """All values a path selects (scalars count as a one-element array for [0] / [last])."""
    if not legs:
        yield value
        return
    leg, rest = legs[0], legs[1:]
    kind = leg[0]
    if kind == "key":
        if isinstance(value, dict) and leg[1] in value:
            yield from _walk_path(value[leg[1]], rest)
    elif kind == "key*":
        if isinstance(value, dict):
            for child in value.values():
                yield from _walk_path(child, rest)
    elif kind == "idx":
        items = value if isinstance(value, list) else [value]
        i = _resolve(leg[1], leg[2], len(items))
        if 0 <= i < len(items):
            yield from _walk_path(items[i], rest)
    elif kind == "idx*":
        if isinstance(value, list):
            for child in value:
                yield from _walk_path(child, rest)
    elif kind == "range":
        items = value if isinstance(value, list) else [value]
        lo, hi = _resolve(leg[1], leg[2], len(items)), _resolve(leg[3], leg[4], len(items))
        for i in range(max(lo, 0), min(hi, len(items) - 1) + 1):
            yield from _walk_path(items[i], rest)
    elif kind == "**":
        for node in _descendants(value):
            yield from _walk_path(node, rest)


def _path_values(doc: Any, path: Value) -> tuple[list[Any], bool]:
    legs = _parse_path(_text(path))
    return list(_walk_path(doc, legs)), _is_wild(legs)


def _json_extract(doc: Value, *paths: Value) -> str | None:
    if doc is None or any(p is None for p in paths):
        return None
    value = _json_doc(doc, "json_extract")
    found: list[Any] = []
    wrap = len(paths) > 1
    for path in paths:
        values, wild = _path_values(value, path)
        wrap = wrap or wild
        found.extend(values)
    if not found:
        return None
    return _dump(found) if wrap else _dump(found[0])


def _json_value(doc: Value, path: Value) -> Value:
    """``->>``: JSON_UNQUOTE(JSON_EXTRACT(doc, path)), without the JSON round trip."""
    if doc is None or path is None:
        return None
    values, wild = _path_values(_json_doc(doc, "json_extract"), path)
    if not values:
        return None
    if wild:
        return _dump(values)
    value = values[0]
    return value if isinstance(value, str) else _dump(value)


@_nulls
def _json_unquote(value: Value) -> str:
    text = _text(value)
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            result = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _json_error("json_unquote", 1, exc) from None
        if isinstance(result, str):
            return result
    return text


@_nulls
def _json_quote(value: Value) -> str:
    return json.dumps(_text(value), ensure_ascii=False)


def _json_object(flags: str, *args: Value) -> str:
    if len(args) % 2:
        raise _error("Incorrect parameter count in the call to native function 'json_object'", 1582)
    result: dict[str, Any] = {}
    for i in range(0, len(args), 2):
        key = args[i]
        if key is None:
            raise _error("JSON documents may not contain NULL member names.", 3158)
        result.setdefault(_text(key), _sql_to_json(args[i + 1], flags[i + 1] == "1"))
    return _dump(result)


def _json_array(flags: str, *args: Value) -> str:
    return _dump([_sql_to_json(a, flags[i] == "1") for i, a in enumerate(args)])


def _json_bool(value: Value) -> str | None:
    """A boolean SQL value as JSON text (its argument is flagged as JSON)."""
    if value is None:
        return None
    return "true" if _num(value) else "false"


def _json_valid(value: Value) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str | bytes):
        return 0
    try:
        _loads_cached(_text(value))
    except json.JSONDecodeError:
        return 0
    return 1


def _json_type_name(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "STRING"
    return "ARRAY" if isinstance(value, list) else "OBJECT"


@_nulls
def _json_type(value: Value) -> str:
    return _json_type_name(_json_doc(value, "json_type"))


_NOT_FOUND = object()


def _json_at(doc: Value, path: Value, function: str) -> Any:
    """The document, or its first value at ``path`` when one is given; _NOT_FOUND if none."""
    value = _json_doc(doc, function)
    if path is ...:
        return value
    values, _ = _path_values(value, path)
    return values[0] if values else _NOT_FOUND


def _json_length(doc: Value, path: Value = ...) -> int | None:
    if doc is None or path is None:
        return None
    value = _json_at(doc, path, "json_length")
    if value is _NOT_FOUND:
        return None
    return len(value) if isinstance(value, dict | list) else 1


def _json_depth_of(value: Any) -> int:
    if isinstance(value, dict) and value:
        return 1 + max(_json_depth_of(v) for v in value.values())
    if isinstance(value, list) and value:
        return 1 + max(_json_depth_of(v) for v in value)
    return 1


@_nulls
def _json_depth(doc: Value) -> int:
    return _json_depth_of(_json_doc(doc, "json_depth"))


def _json_keys(doc: Value, path: Value = ...) -> str | None:
    if doc is None or path is None:
        return None
    value = _json_at(doc, path, "json_keys")
    if not isinstance(value, dict):
        return None
    return _dump(sorted(value, key=_json_key))


def _json_eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _contains(target: Any, candidate: Any) -> bool:
    """MySQL JSON_CONTAINS semantics."""
    if isinstance(target, list):
        if isinstance(candidate, list):
            return all(_contains(target, c) for c in candidate)
        return any(_contains(t, candidate) for t in target)
    if isinstance(target, dict):
        if not isinstance(candidate, dict):
            return False
        return all(k in target and _contains(target[k], v) for k, v in candidate.items())
    return not isinstance(candidate, list | dict) and _json_eq(target, candidate)


def _json_contains(target: Value, candidate: Value, path: Value = ...) -> int | None:
    if target is None or candidate is None or path is None:
        return None
    doc = _json_doc(target, "json_contains", 1)
    wanted = _json_doc(candidate, "json_contains", 2)
    if path is not ...:
        values, wild = _path_values(doc, path)
        if wild:
            raise _error(
                "In this situation, path expressions may not contain the * and ** tokens.", 3149
            )
        if not values:
            return None
        doc = values[0]
    return int(_contains(doc, wanted))


def _json_contains_path(doc: Value, mode: Value, *paths: Value) -> int | None:
    if doc is None or mode is None or any(p is None for p in paths):
        return None
    value = _json_doc(doc, "json_contains_path")
    how = _text(mode).lower()
    if how not in ("one", "all"):
        raise _error(
            "The oneOrAll argument to json_contains_path may take these values: 'one' or 'all'.",
            3150,
        )
    hits = [bool(_path_values(value, p)[0]) for p in paths]
    return int(any(hits) if how == "one" else all(hits))


def _modify(mode: str) -> Callable[..., str | None]:
    """JSON_SET / JSON_INSERT / JSON_REPLACE: (doc, flags, path, value, ...)."""

    def modify(doc: Value, flags: str, *args: Value) -> str | None:
        if doc is None:
            return None
        if len(args) % 2:
            raise _error(
                f"Incorrect parameter count in the call to native function 'json_{mode}'", 1582
            )
        root = json.loads(json.dumps(_json_doc(doc, f"json_{mode}")))
        for i in range(0, len(args), 2):
            path, raw = args[i], args[i + 1]
            if path is None:
                return None
            legs = _parse_path(_text(path))
            if _is_wild(legs):
                raise _error(
                    "In this situation, path expressions may not contain the * and ** tokens.", 3149
                )
            root = _set_path(root, legs, _sql_to_json(raw, flags[i + 1] == "1"), mode)
        return _dump(root)

    return modify


def _set_path(root: Any, legs: tuple[Leg, ...], value: Any, mode: str) -> Any:
    if not legs:
        return value if mode in ("set", "replace") else root
    parents = list(_walk_path(root, legs[:-1]))
    if not parents:
        return root
    parent = parents[0]
    leg = legs[-1]
    if leg[0] == "key":
        if not isinstance(parent, dict):
            return root
        exists = leg[1] in parent
        if (exists and mode in ("set", "replace")) or (not exists and mode in ("set", "insert")):
            parent[leg[1]] = value
        return root
    # array index
    if isinstance(parent, list):
        i = _resolve(leg[1], leg[2], len(parent))
        if 0 <= i < len(parent):
            if mode in ("set", "replace"):
                parent[i] = value
        elif i >= len(parent) and mode in ("set", "insert"):
            parent.append(value)
        return root
    i = _resolve(leg[1], leg[2], 1)
    if i == 0:
        replacement = value if mode in ("set", "replace") else parent
    elif i > 0 and mode in ("set", "insert"):
        replacement = [parent, value]
    else:
        return root
    if len(legs) == 1:
        return replacement
    grand = next(iter(_walk_path(root, legs[:-2])))
    key = legs[-2]
    if key[0] == "key":
        grand[key[1]] = replacement
    else:
        grand[_resolve(key[1], key[2], len(grand))] = replacement
    return root


def _json_remove(doc: Value, *paths: Value) -> str | None:
    if doc is None or any(p is None for p in paths):
        return None
    root = json.loads(json.dumps(_json_doc(doc, "json_remove")))
    for path in paths:
        legs = _parse_path(_text(path))
        if not legs or _is_wild(legs):
            raise _error("The path expression '$' is not allowed in this context.", 3153)
        for parent in list(_walk_path(root, legs[:-1]))[:1]:
            leg = legs[-1]
            if leg[0] == "key" and isinstance(parent, dict):
                parent.pop(leg[1], None)
            elif leg[0] == "idx" and isinstance(parent, list):
                i = _resolve(leg[1], leg[2], len(parent))
                if 0 <= i < len(parent):
                    del parent[i]
    return _dump(root)


def _json_array_append(doc: Value, flags: str, *args: Value) -> str | None:
    if doc is None:
        return None
    root = json.loads(json.dumps(_json_doc(doc, "json_array_append")))
    for i in range(0, len(args), 2):
        path, raw = args[i], args[i + 1]
        if path is None:
            return None
        legs = _parse_path(_text(path))
        value = _sql_to_json(raw, flags[i + 1] == "1")
        targets = list(_walk_path(root, legs))
        if not targets:
            continue
        target = targets[0]
        if isinstance(target, list):
            target.append(value)
        else:
            root = _set_path(root, legs, [target, value], "set")
    return _dump(root)


def _merge_preserve(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for k, v in b.items():
            merged[k] = _merge_preserve(merged[k], v) if k in merged else v
        return merged
    left = a if isinstance(a, list) else [a]
    right = b if isinstance(b, list) else [b]
    return left + right


def _merge_patch(a: Any, b: Any) -> Any:
    if not isinstance(b, dict):
        return b
    merged = dict(a) if isinstance(a, dict) else {}
    for k, v in b.items():
        if v is None:
            merged.pop(k, None)
        else:
            merged[k] = _merge_patch(merged.get(k), v)
    return merged


def _json_merge(patch: bool) -> Callable[..., str | None]:
    def merge(*docs: Value) -> str | None:
        name = "json_merge_patch" if patch else "json_merge_preserve"
        result: Any = ...
        for i, doc in enumerate(docs, 1):
            if doc is None:
                if not patch:
                    return None
                result = None
                continue
            value = _json_doc(doc, name, i)
            if result is ...:
                result = value
            elif patch:
                result = (
                    _merge_patch(result, value)
                    if result is not None or isinstance(value, dict)
                    else None
                )
            else:
                result = _merge_preserve(result, value)
        return None if result is ... or (result is None and patch) else _dump(result)

    return merge


def _cast_json(value: Value) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return _dump(value)
    return _dump(_json_doc(value, "cast_as_json"))


# ---------------------------------------------------------------------------------------
# Regular expressions
# ---------------------------------------------------------------------------------------


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
            raise _error("Incorrect arguments to regexp_like.")
    try:
        return re.compile(pattern, options)
    except re.error as exc:
        raise _error(f"Illegal argument to a regular expression: {exc}", 3685) from None


def _regexp(pattern: Value, value: Value) -> int | None:
    """SQLite's ``X REGEXP Y`` calls ``regexp(Y, X)``."""
    if pattern is None or value is None:
        return None
    return 1 if _regex(_text(pattern)).search(_text(value)) else 0


def _regexp_like(value: Value, pattern: Value, flags: Value = "") -> int | None:
    if value is None or pattern is None or flags is None:
        return None
    return 1 if _regex(_text(pattern), _text(flags)).search(_text(value)) else 0


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
    text, start, nth = _text(value), _int(pos), _int(occurrence)
    if start < 1 or start > len(text) + 1:
        raise _error("Index out of bounds in regular expression search.", 3686)
    regex = _regex(_text(pattern), _text(flags))
    expand = _replacement(_text(repl))
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
    text, start, nth = _text(value), _int(pos), max(_int(occurrence), 1)
    if start < 1 or start > len(text) + 1:
        raise _error("Index out of bounds in regular expression search.", 3686)
    for i, match in enumerate(_regex(_text(pattern), _text(flags)).finditer(text, start - 1), 1):
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
    text, start, nth = _text(value), _int(pos), max(_int(occurrence), 1)
    if start < 1 or start > len(text) + 1:
        raise _error("Index out of bounds in regular expression search.", 3686)
    for i, match in enumerate(_regex(_text(pattern), _text(flags)).finditer(text, start - 1), 1):
        if i == nth:
            return (match.end() if _int(option) else match.start()) + 1
    return 0


# ---------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------

_PACK_SEP = "\x00"


def _gc_pack(sep: Value, *values: Value) -> str | None:
    """One argument for the aggregate (SQLite's DISTINCT aggregates take exactly one)."""
    if any(v is None for v in values):
        return None
    return _text(sep if sep is not None else ",") + _PACK_SEP + "".join(_text(v) for v in values)


class _GroupConcat:
    """GROUP_CONCAT(DISTINCT ... SEPARATOR s) over packed values."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.sep = ","

    def step(self, packed: Value) -> None:
        if packed is None:
            return
        sep, _, value = _text(packed).partition(_PACK_SEP)
        self.sep = sep
        self.parts.append(value)

    def final(self) -> str | None:
        return self.sep.join(self.parts) if self.parts else None


class _JsonArrayAgg:
    """JSON_ARRAYAGG(x); ``is_json``: x is JSON text to embed, not a string."""

    is_json = False

    def __init__(self) -> None:
        self.items: list[Any] = []

    def step(self, value: Value) -> None:
        self.items.append(_sql_to_json(value, self.is_json))

    def final(self) -> str | None:
        return _dump(self.items) if self.items else None


class _JsonObjectAgg:
    """JSON_OBJECTAGG(k, v); ``is_json``: v is JSON text to embed, not a string."""

    is_json = False

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def step(self, key: Value, value: Value) -> None:
        if key is None:
            raise _error("JSON documents may not contain NULL member names.", 3158)
        self.items[_text(key)] = _sql_to_json(value, self.is_json)

    def final(self) -> str | None:
        return _dump(self.items) if self.items else None


class _JsonArrayAggJson(_JsonArrayAgg):
    is_json = True


class _JsonObjectAggJson(_JsonObjectAgg):
    is_json = True


class _BitAgg:
    def __init__(self, op: str) -> None:
        self.op = op
        self.value = 0xFFFFFFFFFFFFFFFF if op == "and" else 0

    def step(self, value: Value) -> None:
        if value is None:
            return
        number = _int(value) & 0xFFFFFFFFFFFFFFFF
        if self.op == "and":
            self.value &= number
        elif self.op == "or":
            self.value |= number
        else:
            self.value ^= number

    def final(self) -> int | str:
        return self.value if self.value < 2**63 else str(self.value)


def _aggregate_factory(
    cls: Callable[[], Any],
) -> Callable[[], tuple[Any, Callable[..., None], Callable[[Any], Any]]]:
    def factory() -> tuple[Any, Callable[..., None], Callable[[Any], Any]]:
        instance = cls()
        return instance, lambda _ctx, *args: instance.step(*args), lambda _ctx: instance.final()

    return factory


# ---------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------


# name (without the __av_ prefix) -> (function, deterministic)
_SCALARS: dict[str, tuple[Callable[..., Any], bool]] = {
    # time
    "now": (_now, False),
    "utc_timestamp": (_utc_now, False),
    "curdate": (_curdate, False),
    "utc_date": (_utc_date, False),
    "curtime": (_curtime, False),
    "utc_time": (_utc_time, False),
    "unix_timestamp": (_unix_timestamp, False),
    "from_unixtime": (_from_unixtime, True),
    "date_format": (_date_format, True),
    "time_format": (_time_format, True),
    "str_to_date": (_str_to_date, True),
    "date_add": (_date_add, True),
    "date_sub": (_date_sub, True),
    "datediff": (_datediff, True),
    "timestampdiff": (_timestampdiff, True),
    "timediff": (_timediff, True),
    "year": (_date_part(lambda d: d.year), True),
    "month": (_date_part(lambda d: d.month), True),
    "day": (_date_part(lambda d: d.day), True),
    "dayofweek": (_date_part(lambda d: (d.weekday() + 1) % 7 + 1), True),
    "dayofyear": (_date_part(lambda d: d.timetuple().tm_yday), True),
    "weekday": (_date_part(lambda d: d.weekday()), True),
    "quarter": (_date_part(lambda d: (d.month + 2) // 3), True),
    "last_day": (
        _date_part(lambda d: _fmt_date(d.replace(day=calendar.monthrange(d.year, d.month)[1]))),
        True,
    ),
    "dayname": (_date_part(lambda d: _DAYS[d.weekday()]), True),
    "monthname": (_date_part(lambda d: _MONTHS[d.month - 1]), True),
    "to_days": (_to_days, True),
    "from_days": (_from_days, True),
    "makedate": (_makedate, True),
    "week": (_week, True),
    "yearweek": (_yearweek, True),
    "hour": (_time_part(lambda t: int(t.total_seconds()) // 3600), True),
    "minute": (_time_part(lambda t: t.seconds // 60 % 60), True),
    "second": (_time_part(lambda t: t.seconds % 60), True),
    "microsecond": (_time_part(lambda t: t.microseconds), True),
    "date": (_to_date, True),
    "datetime": (_to_datetime, True),
    "time": (_to_time, True),
    "timestamp": (_timestamp, True),
    "extract": (_extract, True),
    "sec_to_time": (_sec_to_time, True),
    "time_to_sec": (_time_to_sec, True),
    # strings
    "concat_ws": (_concat_ws, True),
    "left": (_left, True),
    "right": (_right, True),
    "lpad": (_pad(True), True),
    "rpad": (_pad(False), True),
    "repeat": (_repeat, True),
    "reverse": (_reverse, True),
    "space": (_space, True),
    "locate": (_locate, True),
    "substring": (_substring, True),
    "substring_index": (_substring_index, True),
    "find_in_set": (_find_in_set, True),
    "field": (_field, True),
    "elt": (_elt, True),
    "insert": (_insert, True),
    "trim_both": (_trim("BOTH"), True),
    "trim_leading": (_trim("LEADING"), True),
    "trim_trailing": (_trim("TRAILING"), True),
    "upper": (_upper, True),
    "lower": (_lower, True),
    "length": (_octet_length, True),
    "char_length": (_char_length, True),
    "bit_length": (_bit_length, True),
    "ascii": (_ascii, True),
    "ord": (_ord, True),
    "char": (_char, True),
    "hex": (_hex, True),
    "unhex": (_unhex, True),
    "md5": (_md5, True),
    "sha1": (_sha1, True),
    "sha2": (_sha2, True),
    "uuid": (_uuid, False),
    "to_base64": (_to_base64, True),
    "from_base64": (_from_base64, True),
    "format": (_format, True),
    "strcmp": (_strcmp, True),
    "soundex": (_soundex, True),
    # numbers
    "round": (_round, True),
    "truncate": (_truncate, True),
    "ceil": (_ceil, True),
    "floor": (_floor, True),
    "mod": (_mod, True),
    "rand": (_rand, False),
    "crc32": (_crc32, True),
    "conv": (_conv, True),
    "bin": (_bin, True),
    "oct": (_oct, True),
    "bit_count": (_bit_count, True),
    "inet_aton": (_inet_aton, True),
    "inet_ntoa": (_inet_ntoa, True),
    # casts
    "cast_signed": (_cast_signed, True),
    "cast_unsigned": (_cast_unsigned, True),
    "cast_decimal": (_cast_decimal, True),
    "cast_char": (_cast_char, True),
    "cast_double": (_cast_double, True),
    "cast_json": (_cast_json, True),
    # json
    "json_extract": (_json_extract, True),
    "json_value": (_json_value, True),
    "json_unquote": (_json_unquote, True),
    "json_quote": (_json_quote, True),
    "json_object": (_json_object, True),
    "json_array": (_json_array, True),
    "json_valid": (_json_valid, True),
    "json_bool": (_json_bool, True),
    "json_type": (_json_type, True),
    "json_length": (_json_length, True),
    "json_depth": (_json_depth, True),
    "json_keys": (_json_keys, True),
    "json_contains": (_json_contains, True),
    "json_contains_path": (_json_contains_path, True),
    "json_set": (_modify("set"), True),
    "json_insert": (_modify("insert"), True),
    "json_replace": (_modify("replace"), True),
    "json_remove": (_json_remove, True),
    "json_array_append": (_json_array_append, True),
    "json_merge_preserve": (_json_merge(False), True),
    "json_merge_patch": (_json_merge(True), True),
    # regular expressions
    "regexp_like": (_regexp_like, True),
    "regexp_replace": (_regexp_replace, True),
    "regexp_substr": (_regexp_substr, True),
    "regexp_instr": (_regexp_instr, True),
    # group_concat helper
    "gc_pack": (_gc_pack, True),
}

_AGGREGATES: dict[str, Callable[[], Any]] = {
    "group_concat": _GroupConcat,
    "json_arrayagg": _JsonArrayAgg,
    "json_objectagg": _JsonObjectAgg,
    "json_arrayagg_json": _JsonArrayAggJson,
    "json_objectagg_json": _JsonObjectAggJson,
    "bit_and": lambda: _BitAgg("and"),
    "bit_or": lambda: _BitAgg("or"),
    "bit_xor": lambda: _BitAgg("xor"),
}


def register(conn: apsw.Connection) -> None:
    """Register every ``__av_*`` function :func:`rewrite` emits, plus SQLite's ``regexp``."""
    for name, (fn, deterministic) in _SCALARS.items():
        conn.create_scalar_function(f"__av_{name}", fn, -1, deterministic=deterministic)
    conn.create_scalar_function("regexp", cast(Any, _regexp), 2, deterministic=True)
    for name, cls in _AGGREGATES.items():
        conn.create_aggregate_function(f"__av_{name}", _aggregate_factory(cls), -1)


# ---------------------------------------------------------------------------------------
# The AST rewrite
# ---------------------------------------------------------------------------------------


def _arity(fn: Callable[..., Any]) -> tuple[int, int | None]:
    """How many arguments ``fn`` takes: at least, and at most (None: any number)."""
    parameters = inspect.signature(fn).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        most = None
    else:
        most = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
    least = sum(
        p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in parameters
    )
    return least, most


# Checked when a call is translated, so a wrong count is MySQL's 1582, not a Python error.
_ARITY = {name: _arity(fn) for name, (fn, _) in _SCALARS.items()}


def _call(name: str, *args: Any) -> exp.Anonymous:
    expressions = [a for a in args if a is not None]
    least, most = _ARITY.get(name, (0, None))
    if len(expressions) < least or (most is not None and len(expressions) > most):
        raise errors.wrong_parameter_count(name.upper())
    return exp.Anonymous(this=f"__av_{name}", expressions=expressions)


def _str(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _unit(node: exp.Expression) -> exp.Literal:
    unit = node.args.get("unit")
    name = unit.name if isinstance(unit, exp.Expression) else str(unit or "DAY")
    return _str(name.upper())


def _strip(node: exp.Expression | None, *wrappers: type[exp.Expression]) -> exp.Expression | None:
    """Drop the implicit casts sqlglot wraps arguments in (TsOrDsToDate/TsOrDsToTimestamp)."""
    while isinstance(node, wrappers):
        node = node.this
    return node


# sqlglot's strftime code -> MySQL's (the inverse of sqlglot's MySQL TIME_MAPPING, token by token)
_STRFTIME_TO_MYSQL = {
    "%B": "%M", "%-m": "%c", "%-d": "%e", "%I": "%h", "%M": "%i", "%S": "%s",
    "%W": "%u", "%-H": "%k", "%-I": "%l", "%A": "%W", "%G": "%x",
}  # fmt: skip
_STRFTIME_TOKEN = re.compile(r"%-?.")


def _format_arg(node: exp.Expression | None) -> exp.Expression | None:
    """sqlglot turns a literal MySQL format into Python's strftime codes; turn it back."""
    if isinstance(node, exp.Literal) and node.is_string:
        text = _STRFTIME_TOKEN.sub(
            lambda m: _STRFTIME_TO_MYSQL.get(m.group(0), m.group(0)), node.this
        )
        return _str(text)
    return node


def _path_arg(node: exp.Expression | None) -> exp.Expression | None:
    """sqlglot parses literal JSON paths into JSONPath trees; pass the path text instead."""
    if isinstance(node, exp.JSONPath):
        parts = ["$"]
        legs = node.expressions
        i = 0
        while i < len(legs):
            leg = legs[i]
            if isinstance(leg, exp.JSONPathRoot):
                pass
            elif (
                isinstance(leg, exp.JSONPathWildcard)
                and i + 1 < len(legs)
                and isinstance(legs[i + 1], exp.JSONPathWildcard)
            ):
                parts.append("**")
                i += 1
            elif isinstance(leg, exp.JSONPathWildcard):
                parts.append(".*")
            elif isinstance(leg, exp.JSONPathKey):
                key = leg.this
                if isinstance(key, exp.JSONPathWildcard):
                    parts.append(".*")
                elif re.fullmatch(r"[A-Za-z_$][\w$]*", str(key)):
                    parts.append(f".{key}")
                else:
                    parts.append("." + json.dumps(str(key), ensure_ascii=False))
            elif isinstance(leg, exp.JSONPathSubscript):
                sub = leg.this
                parts.append("[*]" if isinstance(sub, exp.JSONPathWildcard) else f"[{sub}]")
            else:
                return _str(node.sql(dialect="mysql").strip("'"))
            i += 1
        return _str("".join(parts))
    return node


_JSON_NODES: tuple[type[exp.Expression], ...] = (
    exp.JSONObject,
    exp.JSONExtract,
    exp.JSONSet,
    exp.JSONRemove,
    exp.JSONArrayAppend,
    exp.JSONKeys,
)
_JSON_ANONYMOUS = {
    "JSON_ARRAY",
    "JSON_INSERT",
    "JSON_REPLACE",
    "JSON_MERGE_PATCH",
    "JSON_MERGE_PRESERVE",
    "JSON_MERGE",
}
_JSON_UDFS = {
    "__av_json_extract", "__av_json_object", "__av_json_array", "__av_json_set", "__av_json_insert",
    "__av_json_replace", "__av_json_remove", "__av_json_array_append", "__av_json_keys", "__av_cast_json",
    "__av_json_merge_patch", "__av_json_merge_preserve", "__av_json_arrayagg", "__av_json_arrayagg_json",
    "__av_json_objectagg", "__av_json_objectagg_json",
}  # fmt: skip


def _is_json(node: exp.Expression) -> bool:
    """Whether an argument already is JSON (so JSON_ARRAY/JSON_OBJECT embed it, not quote it)."""
    if isinstance(node, _JSON_NODES):
        return True
    if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.JSON:
        return True
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        return name in _JSON_ANONYMOUS or name.lower() in _JSON_UDFS
    return isinstance(node, exp.Boolean)


# Expressions MySQL types as booleans: in JSON they become true/false, not 1/0.
_PREDICATES = (exp.Predicate, exp.Not, exp.And, exp.Or, exp.Xor)


def _json_value_args(values: list[exp.Expression]) -> tuple[str, list[exp.Expression]]:
    """(flags, args): a '1' flag per argument that is JSON; booleans become JSON true/false."""
    flags = []
    out: list[exp.Expression] = []
    for value in values:
        flags.append("1" if _is_json(value) or isinstance(value, _PREDICATES) else "0")
        if isinstance(value, exp.Boolean):
            value = _str("true" if value.this else "false")
        elif isinstance(value, _PREDICATES):
            value = _call("json_bool", value)
        out.append(value)
    return "".join(flags), out


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.Like, exp.In)


def _cast(node: exp.Cast) -> exp.Expression | None:
    to = node.to
    kind = to.this
    T = exp.DataType.Type
    params = [p.this if isinstance(p, exp.DataTypeParam) else p for p in to.expressions]
    value = node.this
    if kind in (T.BIGINT, T.INT, T.SMALLINT, T.TINYINT, T.MEDIUMINT) and not str(kind).startswith(
        "U"
    ):
        return _call("cast_signed", value)
    if kind in (T.UBIGINT, T.UINT, T.USMALLINT, T.UTINYINT, T.UMEDIUMINT):
        return _call("cast_unsigned", value)
    if kind in (T.DECIMAL, T.UDECIMAL):
        precision = params[0] if params else exp.Literal.number(10)
        scale = params[1] if len(params) > 1 else exp.Literal.number(0)
        return _call("cast_decimal", value, precision, scale)
    if kind in (T.CHAR, T.NCHAR, T.VARCHAR, T.NVARCHAR, T.TEXT):
        return _call("cast_char", value, params[0] if params else None)
    if kind == T.DATE:
        return _call("date", value)
    if kind in (T.DATETIME, T.TIMESTAMP, T.DATETIME64):
        return _call("datetime", value, params[0] if params else exp.Literal.number(0))
    if kind == T.TIME:
        return _call("time", value, params[0] if params else exp.Literal.number(0))
    if kind == T.JSON:
        return _call("cast_json", value)
    if kind == T.CHARACTER_SET:  # CONVERT(x USING charset)
        return _call("cast_char", value)
    if kind in (T.BINARY, T.VARBINARY, T.BLOB) and isinstance(node.parent, _COMPARISONS):
        # ``WHERE BINARY a = 'x'``: comparisons already are binary (utf8mb4_bin), while a
        # blob never equals text in SQLite.
        return value
    if kind in (T.DOUBLE, T.FLOAT):
        return _call("cast_double", value)
    return None


def _group_concat(node: exp.GroupConcat) -> exp.Expression | None:
    """Native group_concat unless DISTINCT needs a separator or several values (SQLite limits)."""
    inner = node.this
    order = None
    if isinstance(inner, exp.Order):
        order = inner
        inner = inner.this
    if not isinstance(inner, exp.Distinct):
        return None
    values = inner.expressions
    separator = node.args.get("separator")
    if len(values) == 1 and not isinstance(values[0], exp.Concat) and separator is None:
        return None
    parts = (
        values[0].expressions if len(values) == 1 and isinstance(values[0], exp.Concat) else values
    )
    packed = _call("gc_pack", separator or _str(","), *parts)
    argument: exp.Expression = exp.Distinct(expressions=[packed])
    if order is not None:  # ORDER BY goes inside the call's parentheses
        order.set("this", argument)
        argument = order
    return _call("group_concat", argument)


def _trim_node(node: exp.Trim) -> exp.Expression | None:
    remove = node.args.get("expression")
    if remove is None:
        return None
    position = str(node.args.get("position") or "BOTH").upper()
    return _call(f"trim_{position.lower()}", node.this, remove)


def _anon_interval_add(node: exp.Anonymous, name: str) -> exp.Expression | None:
    """ADDDATE/SUBDATE(d, INTERVAL n unit) or (d, days)."""
    args = node.expressions
    if len(args) != 2:
        return None
    value, amount = args
    sub = name == "SUBDATE"
    if isinstance(amount, exp.Interval):
        return _call("date_sub" if sub else "date_add", value, amount.this, _unit(amount))
    return _call("date_sub" if sub else "date_add", value, amount, _str("DAY"))


def _interval_arith(node: exp.Add | exp.Sub) -> exp.Expression | None:
    """``d + INTERVAL n unit``, ``INTERVAL n unit + d`` and ``d - INTERVAL n unit``."""
    left, right = node.this, node.expression
    if (
        isinstance(left, exp.Interval)
        and isinstance(right, exp.Interval)
        and not right.args.get("unit")
    ):
        # sqlglot reads ``INTERVAL 1 DAY + d`` as INTERVAL 1 DAY + INTERVAL d
        return (
            _call("date_add", right.this, left.this, _unit(left))
            if isinstance(node, exp.Add)
            else None
        )
    if isinstance(right, exp.Interval):
        name = "date_sub" if isinstance(node, exp.Sub) else "date_add"
        return _call(name, left, right.this, _unit(right))
    if isinstance(left, exp.Interval) and isinstance(node, exp.Add):
        return _call("date_add", right, left.this, _unit(left))
    return None
    return None


_NOW_NAMES = {"NOW", "SYSDATE", "LOCALTIME", "LOCALTIMESTAMP", "CURRENT_TIMESTAMP"}

# MySQL function name (an exp.Anonymous) -> UDF name, for calls passed through unchanged
_ANONYMOUS: dict[str, str] = {
    "UNIX_TIMESTAMP": "unix_timestamp",
    "MICROSECOND": "microsecond",
    "WEEKDAY": "weekday",
    "MID": "substring",
    "FIND_IN_SET": "find_in_set",
    "FIELD": "field",
    "ORD": "ord",
    "CRC32": "crc32",
    "CONV": "conv",
    "BIN": "bin",
    "OCT": "oct",
    "INET_ATON": "inet_aton",
    "INET_NTOA": "inet_ntoa",
    "JSON_UNQUOTE": "json_unquote",
    "JSON_QUOTE": "json_quote",
    "JSON_VALID": "json_valid",
    "JSON_LENGTH": "json_length",
    "JSON_DEPTH": "json_depth",
    "JSON_CONTAINS": "json_contains",
    "JSON_CONTAINS_PATH": "json_contains_path",
    "JSON_MERGE_PATCH": "json_merge_patch",
    "JSON_MERGE_PRESERVE": "json_merge_preserve",
    "JSON_MERGE": "json_merge_preserve",
    "TIME_FORMAT": "time_format",
    "TIMEDIFF": "timediff",
    "SEC_TO_TIME": "sec_to_time",
    "TIME_TO_SEC": "time_to_sec",
    "MAKEDATE": "makedate",
    "YEARWEEK": "yearweek",
    "STRCMP": "strcmp",
    "OCTET_LENGTH": "length",
    "FROM_DAYS": "from_days",
    "TO_DAYS": "to_days",
    "LAST_DAY": "last_day",
    "DAYNAME": "dayname",
    "MONTHNAME": "monthname",
    "QUARTER": "quarter",
    "UTC_TIME": "utc_time",
    "REGEXP_INSTR": "regexp_instr",
    "REGEXP_LIKE": "regexp_like",
    "REGEXP_SUBSTR": "regexp_substr",
    "REGEXP_REPLACE": "regexp_replace",
    "DATEDIFF": "datediff",
}


def _anonymous(node: exp.Anonymous) -> exp.Expression | None:
    name = str(node.this).upper()
    if name.startswith("__AV_"):
        return None
    args = list(node.expressions)
    if name in _NOW_NAMES:
        return _call("now", *args)
    if name in ("ADDDATE", "SUBDATE"):
        return _anon_interval_add(node, name)
    if name in ("JSON_ARRAY", "JSON_INSERT", "JSON_REPLACE"):
        if name == "JSON_ARRAY":
            flags, values = _json_value_args(args)
            return _call("json_array", _str(flags), *values)
        doc, rest = args[0] if args else exp.null(), args[1:]
        flags, values = _json_value_args(rest)
        return _call(name.lower(), doc, _str(flags), *values)
    if name == "JSON_ARRAYAGG" and len(args) == 1:
        value = args[0]
        inner = value.this if isinstance(value, exp.Order) else value
        return _call("json_arrayagg_json" if _is_json(inner) else "json_arrayagg", value)
    udf = _ANONYMOUS.get(name)
    if udf is None:
        return None
    return _call(udf, *args)


def _date_arg(node: exp.Expression) -> exp.Expression | None:
    return _strip(node.this, exp.TsOrDsToDate, exp.TsOrDsToTimestamp)


def _unary(name: str) -> Callable[[Any], exp.Expression | None]:
    """A one-argument function of a date: the implicit date cast sqlglot adds is dropped."""
    return lambda node: _call(name, _date_arg(node))


def _time_to_str(node: exp.TimeToStr) -> exp.Expression:
    fmt = node.args.get("format")
    if (
        isinstance(fmt, exp.Literal)
        and fmt.this == "%B"
        and isinstance(node.this, exp.TsOrDsToDate)
    ):
        return _call("monthname", _date_arg(node))
    return _call("date_format", _strip(node.this, exp.TsOrDsToTimestamp), _format_arg(fmt))


def _json_modify(name: str) -> Callable[[Any], exp.Expression]:
    def build(node: exp.Expression) -> exp.Expression:
        values = list(node.expressions)
        paths_and_values = [_path_arg(v) if i % 2 == 0 else v for i, v in enumerate(values)]
        flags, args = _json_value_args([v for v in paths_and_values if v is not None])
        return _call(name, node.this, _str(flags), *args)

    return build


def _extract_node(node: exp.Extract) -> exp.Expression:
    unit = node.this
    name = unit.name.upper() if isinstance(unit, exp.Expression) else str(unit).upper()
    return _call("extract", _str(name), node.expression)


def _current(name: str) -> Callable[[Any], exp.Expression]:
    return lambda node: _call(name, node.this) if node.this is not None else _call(name)


def _regexp_like_node(node: exp.RegexpLike) -> exp.Expression | None:
    flag = node.args.get("flag")
    if flag is None:
        return None  # SQLite's ``X REGEXP Y`` calls our regexp()
    return _call("regexp_like", node.this, node.expression, flag)


def _rand_node(node: exp.Rand) -> exp.Expression:
    return _call("rand", node.this) if node.this is not None else _call("rand")


def _round_node(node: exp.Round) -> exp.Expression:
    return _call("round", node.this, node.args.get("decimals"))


def _json_objectagg(node: exp.JSONObjectAgg) -> exp.Expression | None:
    pairs = node.expressions
    if len(pairs) != 1 or not isinstance(pairs[0], exp.JSONKeyValue):
        return None
    key, value = pairs[0].this, pairs[0].expression
    return _call("json_objectagg_json" if _is_json(value) else "json_objectagg", key, value)


# exp class -> builder of its replacement (None: leave the node alone)
_HANDLERS: dict[type, Callable[[Any], exp.Expression | None]] = {
    exp.Anonymous: _anonymous,
    exp.CurrentTimestamp: _current("now"),
    exp.Localtime: _current("now"),
    exp.Localtimestamp: _current("now"),
    exp.CurrentDate: lambda n: _call("curdate"),
    exp.CurrentTime: _current("curtime"),
    exp.UtcTimestamp: _current("utc_timestamp"),
    exp.UtcDate: lambda n: _call("utc_date"),
    exp.UtcTime: _current("utc_time"),
    exp.UnixToTime: lambda n: _call("from_unixtime", n.this, _format_arg(n.args.get("format"))),
    exp.TimeToStr: _time_to_str,
    exp.StrToTime: lambda n: _call("str_to_date", n.this, _format_arg(n.args.get("format"))),
    exp.StrToDate: lambda n: _call("str_to_date", n.this, _format_arg(n.args.get("format"))),
    exp.DateAdd: lambda n: _call("date_add", n.this, n.expression, _unit(n)),
    exp.DateSub: lambda n: _call("date_sub", n.this, n.expression, _unit(n)),
    exp.TimestampAdd: lambda n: _call("date_add", n.this, n.expression, _unit(n)),
    exp.Add: _interval_arith,
    exp.Sub: _interval_arith,
    exp.DateDiff: lambda n: _call(
        "datediff", _strip(n.this, exp.TsOrDsToDate), _strip(n.expression, exp.TsOrDsToDate)
    ),
    exp.TimestampDiff: lambda n: _call("timestampdiff", _unit(n), n.expression, n.this),
    exp.Year: _unary("year"),
    exp.Month: _unary("month"),
    exp.Day: _unary("day"),
    exp.DayOfMonth: _unary("day"),
    exp.Hour: lambda n: _call("hour", n.this),
    exp.Minute: lambda n: _call("minute", n.this),
    exp.Second: lambda n: _call("second", n.this),
    exp.DayOfWeek: _unary("dayofweek"),
    exp.DayOfYear: _unary("dayofyear"),
    exp.Quarter: _unary("quarter"),
    exp.Week: lambda n: _call("week", _date_arg(n), n.args.get("mode")),
    exp.LastDay: _unary("last_day"),
    exp.Dayname: _unary("dayname"),
    exp.TsOrDsToDate: lambda n: _call("date", n.this),
    exp.TsOrDsToTimestamp: lambda n: _call("datetime", n.this),
    exp.Time: lambda n: _call("time", n.this),
    exp.Timestamp: lambda n: _call("timestamp", n.this, n.args.get("zone")),
    exp.Extract: _extract_node,
    exp.ConcatWs: lambda n: _call("concat_ws", *n.expressions),
    # CONCAT(x) of one argument is still a string; several generate ``a || b`` (NULL-safe)
    exp.Concat: lambda n: _call("cast_char", n.expressions[0]) if len(n.expressions) == 1 else None,
    exp.Left: lambda n: _call("left", n.this, n.expression),
    exp.Right: lambda n: _call("right", n.this, n.expression),
    exp.Pad: lambda n: _call(
        "lpad" if n.args.get("is_left") else "rpad",
        n.this,
        n.expression,
        n.args.get("fill_pattern"),
    ),
    exp.Repeat: lambda n: _call("repeat", n.this, n.args.get("times")),
    exp.Reverse: lambda n: _call("reverse", n.this),
    exp.Space: lambda n: _call("space", n.this),
    exp.StrPosition: lambda n: _call(
        "locate", n.args.get("substr"), n.this, n.args.get("position")
    ),
    exp.Substring: lambda n: _call("substring", n.this, n.args.get("start"), n.args.get("length")),
    exp.SubstringIndex: lambda n: _call(
        "substring_index", n.this, n.args.get("delimiter"), n.args.get("count")
    ),
    exp.Elt: lambda n: _call("elt", n.this, *n.expressions),
    exp.Stuff: lambda n: _call(
        "insert", n.this, n.args.get("start"), n.args.get("length"), n.expression
    ),
    exp.Trim: _trim_node,
    exp.Upper: lambda n: _call("upper", n.this),
    exp.Lower: lambda n: _call("lower", n.this),
    exp.Length: lambda n: _call("length" if n.args.get("binary") else "char_length", n.this),
    exp.BitLength: lambda n: _call("bit_length", n.this),
    exp.Ascii: lambda n: _call("ascii", n.this),
    exp.Chr: lambda n: _call("char", *n.expressions),
    exp.Hex: lambda n: _call("hex", n.this),
    exp.Unhex: lambda n: _call("unhex", n.this),
    exp.MD5: lambda n: _call("md5", n.this),
    exp.SHA: lambda n: _call("sha1", n.this),
    exp.SHA2: lambda n: _call("sha2", n.this, n.args.get("length") or exp.Literal.number(256)),
    exp.Uuid: lambda n: _call("uuid"),
    exp.ToBase64: lambda n: _call("to_base64", n.this),
    exp.FromBase64: lambda n: _call("from_base64", n.this),
    exp.NumberToStr: lambda n: _call("format", n.this, n.args.get("format"), n.args.get("culture")),
    exp.Soundex: lambda n: _call("soundex", n.this),
    exp.Round: _round_node,
    exp.Trunc: lambda n: _call("truncate", n.this, n.args.get("decimals") or exp.Literal.number(0)),
    exp.Ceil: lambda n: _call("ceil", n.this),
    exp.Floor: lambda n: _call("floor", n.this),
    exp.Mod: lambda n: _call("mod", n.this, n.expression),
    exp.Rand: _rand_node,
    exp.BitwiseCount: lambda n: _call("bit_count", n.this),
    exp.JSONExtract: lambda n: _call(
        "json_extract", n.this, _path_arg(n.expression), *n.expressions
    ),
    exp.JSONExtractScalar: lambda n: _call("json_value", n.this, _path_arg(n.expression)),
    exp.JSONType: lambda n: _call("json_type", n.this),
    exp.JSONKeys: lambda n: _call("json_keys", n.this, _path_arg(n.expression)),
    exp.JSONSet: _json_modify("json_set"),
    exp.JSONArrayAppend: _json_modify("json_array_append"),
    exp.JSONRemove: lambda n: _call("json_remove", n.this, *(_path_arg(p) for p in n.expressions)),
    exp.JSONObjectAgg: lambda n: _json_objectagg(n),
    exp.RegexpLike: _regexp_like_node,
    exp.RegexpReplace: lambda n: _call(
        "regexp_replace",
        n.this,
        n.expression,
        n.args.get("replacement"),
        n.args.get("position")
        or (exp.Literal.number(1) if n.args.get("occurrence") or n.args.get("modifiers") else None),
        n.args.get("occurrence") or (exp.Literal.number(0) if n.args.get("modifiers") else None),
        n.args.get("modifiers"),
    ),
    exp.RegexpSubstr: lambda n: _call(
        "regexp_substr",
        n.this,
        n.expression,
        n.args.get("position"),
        n.args.get("occurrence"),
        n.args.get("parameters"),
    ),
    exp.RegexpInstr: lambda n: _call(
        "regexp_instr",
        n.this,
        n.expression,
        n.args.get("position"),
        n.args.get("occurrence"),
        n.args.get("option"),
        n.args.get("parameters"),
    ),
    exp.GroupConcat: _group_concat,
    exp.BitwiseAndAgg: lambda n: _call("bit_and", n.this),
    exp.BitwiseOrAgg: lambda n: _call("bit_or", n.this),
    exp.BitwiseXorAgg: lambda n: _call("bit_xor", n.this),
    exp.Cast: _cast,
}


def _json_object_node(node: exp.JSONObject) -> exp.Expression:
    keys: list[exp.Expression] = []
    values: list[exp.Expression] = []
    for pair in node.expressions:
        if isinstance(pair, exp.JSONKeyValue):
            keys.append(pair.this)
            values.append(pair.expression)
    flags, converted = _json_value_args(values)
    args: list[exp.Expression] = []
    for key, value in zip(keys, converted, strict=True):
        args.extend((key, value))
    return _call("json_object", _str("".join(f"0{f}" for f in flags)), *args)


_HANDLERS[exp.JSONObject] = _json_object_node


def rewrite(expression: exp.Expression) -> exp.Expression:
    """Replace MySQL functions SQLite lacks or gets wrong by ``__av_*`` calls, in place.

    One pre-order walk, so a handler sees its arguments as sqlglot parsed them (and can drop
    sqlglot's implicit casts); replaced nodes' children are reused, and reached later.
    Idempotent: ``__av_*`` calls and nodes left alone are never rewritten again.
    """
    handlers = _HANDLERS
    for node in list(expression.walk()):
        handler = handlers.get(type(node))
        if handler is None:
            continue
        if node is not expression and node.parent is None:
            continue  # detached by an ancestor's rewrite (an implicit cast it dropped)
        replacement = handler(node)
        if replacement is None or replacement is node:
            continue
        if node is expression:
            expression = replacement
        else:
            node.replace(replacement)
    return expression
