"""MySQL's date and time functions: NOW, DATE_FORMAT, STR_TO_DATE, DATE_ADD, EXTRACT, WEEK...

Dates and times are ISO text, as the engine stores them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import decimal
import functools
import re
import time
from collections.abc import Callable
from typing import Any

from autovec.sql.functions.registry import SqlFunction
from autovec.sql.functions.values import (
    NUMBER_PREFIX,
    Value,
    as_decimal,
    as_int,
    as_number,
    as_text,
    null_propagating,
    sql_error,
)

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


# Shared by every data directory: a pure function of the value (results are immutable).
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


# Shared by every data directory: a pure function of the value (results are immutable).
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
        if not NUMBER_PREFIX.fullmatch(value.strip()):
            return None
    number = as_number(value)
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
    fsp = as_int(value)
    if not 0 <= fsp <= 6:
        raise sql_error(f"Too-big precision {fsp} specified. Maximum is 6.", 1426)
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


@null_propagating
def _from_unixtime(seconds: Value, fmt: Value = None) -> str | None:
    number = as_decimal(seconds)
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


@null_propagating
def _week(value: Value, mode: Value = 0) -> int | None:
    day = _date(value)
    return None if day is None else _calc_week(day, _week_mode(as_int(mode)))[0]


@null_propagating
def _yearweek(value: Value, mode: Value = 0) -> int | None:
    day = _date(value)
    if day is None:
        return None
    week, year = _calc_week(day, _week_mode(as_int(mode) | _WEEK_YEAR))
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


# Shared by every data directory: a pure function of the format text.
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


@null_propagating
def _date_format(value: Value, fmt: Value) -> str | None:
    moment = _datetime(value)
    if moment is None:
        delta = _parse_time(value) if isinstance(value, str) and ":" in value else None
        if delta is None:
            return None
        moment = dt.datetime(1900, 1, 1) + delta if delta >= dt.timedelta(0) else None
        if moment is None:
            return None
    return "".join(
        piece(moment) if spec else piece for spec, piece in _compile_format(as_text(fmt))
    )


@null_propagating
def _time_format(value: Value, fmt: Value) -> str | None:
    delta = _parse_time(value)
    if delta is None:
        return None
    moment = dt.datetime(2000, 1, 1) + dt.timedelta(seconds=delta.total_seconds() % 86400)
    hours = int(delta.total_seconds() // 3600)
    out = []
    for spec, piece in _compile_format(as_text(fmt)):
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


# Shared by every data directory: a pure function of the format text.
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


@null_propagating
def _str_to_date(value: Value, fmt: Value) -> str | None:
    """MySQL STR_TO_DATE: DATE, TIME or DATETIME text depending on the format's parts."""
    pattern, fields = _compile_parser(as_text(fmt))
    match = pattern.match(as_text(value))
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


# Shared by every data directory: a pure function of the value and unit.
@functools.lru_cache(maxsize=1024)
def _interval(value: Value, unit: str) -> tuple[int, dt.timedelta] | None:
    """An INTERVAL as (months, timedelta), or None when its value is malformed (cached:
    the amount is nearly always a constant)."""
    parts = _INTERVAL_PARTS.get(unit)
    if parts is None:
        raise sql_error(f"Unknown interval unit '{unit}'")
    amounts: dict[str, int] = {}
    micro_extra = 0
    if len(parts) == 1:
        number = as_number(value)
        if unit == "SECOND" and isinstance(number, float):
            exact = as_decimal(number)
            amounts["SECOND"] = int(exact)
            micro_extra = int((exact - int(exact)) * 1_000_000)
        else:
            amounts[unit] = as_int(number)
    else:
        text = as_text(value).strip()
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
    unit_name = as_text(unit).upper()
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


@null_propagating
def _datediff(a: Value, b: Value) -> int | None:
    if b == "0000-01-01":  # sqlglot writes TO_DAYS(d) as DATEDIFF(d, '0000-01-01') + 1
        day = _date(a)
        return None if day is None else day.toordinal() + _DAYS_BEFORE_ORDINAL_1 - 1
    first, second = _date(a), _date(b)
    if first is None or second is None:
        return None
    return (first - second).days


@null_propagating
def _timestampdiff(unit: Value, a: Value, b: Value) -> int | None:
    """TIMESTAMPDIFF(unit, a, b): whole units from a to b, truncated toward zero."""
    start, end = _datetime(a), _datetime(b)
    if start is None or end is None:
        return None
    unit_name = as_text(unit).upper()
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
        raise sql_error(f"Unknown interval unit '{unit_name}'")
    delta = end - start
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    size = _UNIT_MICROS[unit_name]
    return micros // size if micros >= 0 else -((-micros) // size)


@null_propagating
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


@null_propagating
def _extract(unit: Value, value: Value) -> int | None:
    unit_name = as_text(unit).upper()
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
        raise sql_error(f"Unknown interval unit '{unit_name}'")
    result = fields[unit_name]
    return -result if negative else result


@null_propagating
def _sec_to_time(seconds: Value) -> str:
    number = as_decimal(seconds)
    limit = decimal.Decimal(838 * 3600 + 59 * 60 + 59)
    number = max(-limit, min(limit, number))
    return _fmt_time(dt.timedelta(microseconds=int(number * 1_000_000)))


@null_propagating
def _time_to_sec(value: Value) -> int | float | None:
    delta = _parse_time(value)
    if delta is None:
        return None
    seconds = delta.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


_DAYS_BEFORE_ORDINAL_1 = 365  # TO_DAYS('0001-01-01') - 1: MySQL counts from year 0


@null_propagating
def _to_days(value: Value) -> int | None:
    day = _date(value)
    return None if day is None else day.toordinal() + _DAYS_BEFORE_ORDINAL_1


@null_propagating
def _from_days(value: Value) -> str | None:
    number = as_int(value) - _DAYS_BEFORE_ORDINAL_1
    if number < 1:
        return "0000-00-00"
    try:
        return _fmt_date(dt.date.fromordinal(number))
    except (ValueError, OverflowError):
        return None


@null_propagating
def _makedate(year: Value, yday: Value) -> str | None:
    y, n = _year(str(as_int(year))) if 0 <= as_int(year) < 100 else as_int(year), as_int(yday)
    if n <= 0:
        return None
    try:
        return _fmt_date(dt.date(y, 1, 1) + dt.timedelta(days=n - 1))
    except (ValueError, OverflowError):
        return None


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("now", _now, deterministic=False),
    SqlFunction("utc_timestamp", _utc_now, deterministic=False),
    SqlFunction("curdate", _curdate, deterministic=False),
    SqlFunction("utc_date", _utc_date, deterministic=False),
    SqlFunction("curtime", _curtime, deterministic=False),
    SqlFunction("utc_time", _utc_time, deterministic=False, mysql_names=("UTC_TIME",)),
    SqlFunction(
        "unix_timestamp", _unix_timestamp, deterministic=False, mysql_names=("UNIX_TIMESTAMP",)
    ),
    SqlFunction("from_unixtime", _from_unixtime),
    SqlFunction("date_format", _date_format),
    SqlFunction("time_format", _time_format, mysql_names=("TIME_FORMAT",)),
    SqlFunction("str_to_date", _str_to_date),
    SqlFunction("date_add", _date_add),
    SqlFunction("date_sub", _date_sub),
    SqlFunction("datediff", _datediff, mysql_names=("DATEDIFF",)),
    SqlFunction("timestampdiff", _timestampdiff),
    SqlFunction("timediff", _timediff, mysql_names=("TIMEDIFF",)),
    SqlFunction("year", _date_part(lambda d: d.year)),
    SqlFunction("month", _date_part(lambda d: d.month)),
    SqlFunction("day", _date_part(lambda d: d.day)),
    SqlFunction("dayofweek", _date_part(lambda d: (d.weekday() + 1) % 7 + 1)),
    SqlFunction("dayofyear", _date_part(lambda d: d.timetuple().tm_yday)),
    SqlFunction("weekday", _date_part(lambda d: d.weekday()), mysql_names=("WEEKDAY",)),
    SqlFunction("quarter", _date_part(lambda d: (d.month + 2) // 3), mysql_names=("QUARTER",)),
    SqlFunction(
        "last_day",
        _date_part(lambda d: _fmt_date(d.replace(day=calendar.monthrange(d.year, d.month)[1]))),
        mysql_names=("LAST_DAY",),
    ),
    SqlFunction("dayname", _date_part(lambda d: _DAYS[d.weekday()]), mysql_names=("DAYNAME",)),
    SqlFunction(
        "monthname", _date_part(lambda d: _MONTHS[d.month - 1]), mysql_names=("MONTHNAME",)
    ),
    SqlFunction("to_days", _to_days, mysql_names=("TO_DAYS",)),
    SqlFunction("from_days", _from_days, mysql_names=("FROM_DAYS",)),
    SqlFunction("makedate", _makedate, mysql_names=("MAKEDATE",)),
    SqlFunction("week", _week),
    SqlFunction("yearweek", _yearweek, mysql_names=("YEARWEEK",)),
    SqlFunction("hour", _time_part(lambda t: int(t.total_seconds()) // 3600)),
    SqlFunction("minute", _time_part(lambda t: t.seconds // 60 % 60)),
    SqlFunction("second", _time_part(lambda t: t.seconds % 60)),
    SqlFunction("microsecond", _time_part(lambda t: t.microseconds), mysql_names=("MICROSECOND",)),
    SqlFunction("date", _to_date),
    SqlFunction("datetime", _to_datetime),
    SqlFunction("time", _to_time),
    SqlFunction("timestamp", _timestamp),
    SqlFunction("extract", _extract),
    SqlFunction("sec_to_time", _sec_to_time, mysql_names=("SEC_TO_TIME",)),
    SqlFunction("time_to_sec", _time_to_sec, mysql_names=("TIME_TO_SEC",)),
)
