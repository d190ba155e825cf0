"""MySQL column types: how they are declared, stored in SQLite, checked and returned.

A column's type lives in two places that must agree:
- the catalog (``TableSchema``) holds the full MySQL definition (``enum('a','b')``);
- the SQLite column is declared with ``SqlType.sqlite_decl()``, a MySQL-looking name that
  also gives SQLite the right type affinity (``JSON TEXT`` keeps ``'123'`` a string).
  SQLite hands that declaration back with every result column that reads a table column,
  so results are converted to Python values and MySQL type codes without a catalog
  lookup per query (``SqlType.from_decl``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from autovec import errors
from autovec.vector import MAX_DIMENSIONS, Vector, VectorError

# MySQL protocol column type codes (include/field_types.h), plus TiDB's vector type.
FIELD_TYPE = {
    "decimal": 246,
    "tinyint": 1,
    "smallint": 2,
    "int": 3,
    "float": 4,
    "double": 5,
    "null": 6,
    "timestamp": 7,
    "bigint": 8,
    "mediumint": 9,
    "date": 10,
    "time": 11,
    "datetime": 12,
    "year": 13,
    "varchar": 253,
    "bit": 16,
    "vector": 225,  # TiDB: mysql.TypeTiDBVectorFloat32
    "json": 245,
    "enum": 247,
    "set": 248,
    "tinyblob": 249,
    "mediumblob": 250,
    "longblob": 251,
    "blob": 252,
    "text": 252,
    "tinytext": 252,
    "mediumtext": 252,
    "longtext": 252,
    "varbinary": 253,
    "char": 254,
    "binary": 254,
}

INTEGER_RANGES = {
    "tinyint": (-(2**7), 2**7 - 1, 2**8 - 1),
    "smallint": (-(2**15), 2**15 - 1, 2**16 - 1),
    "mediumint": (-(2**23), 2**23 - 1, 2**24 - 1),
    "int": (-(2**31), 2**31 - 1, 2**32 - 1),
    "bigint": (-(2**63), 2**63 - 1, 2**64 - 1),
}
INT64_MAX = 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38
UINT64_MAX = 2**64 - 1


def wide_integer(value: int) -> bytes | str:
    """An integer beyond SQLite's 64-bit ones, in a form SQLite keeps exactly.

    A BIGINT UNSIGNED value above 2^63-1 is its 20-digit zero-padded decimal as a BLOB:
    no column affinity converts a BLOB, BLOBs sort after every number, and padded ones
    sort in numeric order among themselves. Anything larger (a DECIMAL) is decimal text.
    """
    if INT64_MAX < value <= UINT64_MAX:
        return f"{value:020d}".encode()
    return str(value)


DEFAULT_INT_WIDTH = {"tinyint": 4, "smallint": 6, "mediumint": 9, "int": 11, "bigint": 20}
TEXT_BYTES = {"tinytext": 255, "text": 65535, "mediumtext": 16777215, "longtext": 4294967295}
BLOB_BYTES = {"tinyblob": 255, "blob": 65535, "mediumblob": 16777215, "longblob": 4294967295}
STRING_TYPES = {"char", "varchar", *TEXT_BYTES, "enum", "set"}
BINARY_TYPES = {"binary", "varbinary", *BLOB_BYTES}
TEMPORAL_TYPES = {"date", "datetime", "timestamp", "time", "year"}
ALIASES = {
    "integer": "int",
    "int4": "int",
    "int8": "bigint",
    "real": "double",
    "double precision": "double",
    "numeric": "decimal",
    "dec": "decimal",
    "fixed": "decimal",
    "bool": "tinyint",
    "boolean": "tinyint",
    "character": "char",
    "nchar": "char",
    "nvarchar": "varchar",
    "character varying": "varchar",
    "float4": "float",
    "float8": "double",
    "mediumint": "mediumint",
    "long": "mediumtext",
}


@dataclass(frozen=True)
class SqlType:
    """One MySQL column type, e.g. ``varchar(10)``, ``decimal(10,2)``, ``vector(384)``."""

    name: str
    length: int | None = (
        None  # varchar/char/binary length, int display width, vector dims, decimal precision, fsp
    )
    scale: int | None = None
    unsigned: bool = False
    values: tuple[str, ...] = field(default=())  # ENUM / SET members

    # -- declarations ---------------------------------------------------------------
    def sql(self) -> str:
        """The type as SHOW CREATE TABLE prints it (``int(11)``, ``vector(3)``)."""
        name = self.name
        if name in ("enum", "set"):
            inner = ",".join("'" + v.replace("'", "''") + "'" for v in self.values)
            return f"{name}({inner})"
        if name == "decimal":
            return f"decimal({self.length or 10},{self.scale or 0})"
        if name in INTEGER_RANGES:
            width = self.length or DEFAULT_INT_WIDTH[name] - (
                1 if self.unsigned and name != "bigint" else 0
            )
            text = f"{name}({width})"
        elif (
            self.length is not None
            and name in ("datetime", "timestamp", "time")
            and self.length == 0
        ):
            text = name
        elif self.length is not None:
            text = f"{name}({self.length})"
        else:
            text = name
        return text + (" unsigned" if self.unsigned else "")

    def sqlite_decl(self) -> str:
        """The declaration used in SQLite: MySQL-looking, with the affinity we want.

        SQLite's type names put any words before the parenthesised numbers
        (``BIGINT UNSIGNED(20)``, ``VARBINARY BLOB(16)``).
        """
        upper = self.name.upper()
        if self.name in ("json", "enum", "set"):
            return f"{upper} TEXT"
        if self.name == "decimal":
            return f"DECIMAL({self.length or 10},{self.scale or 0})"
        if self.name in ("binary", "varbinary"):
            return f"{upper} BLOB({self.length or 1})"
        words = upper + (" UNSIGNED" if self.unsigned else "")
        return f"{words}({self.length})" if self.length is not None else words

    @classmethod
    def from_decl(cls, decl: str | None) -> SqlType | None:
        """Parse a declaration written by :meth:`sqlite_decl` (or any MySQL type name)."""
        if not decl:
            return None
        cached = _DECL_CACHE.get(decl)
        if cached is not None:
            return cached
        m = _DECL_RE.match(decl)
        if not m:
            return None
        name = ALIASES.get(m.group(1).lower(), m.group(1).lower())
        if name not in FIELD_TYPE and name != "boolean":
            return None
        length = int(m.group(3)) if m.group(3) else None
        scale = int(m.group(4)) if m.group(4) else None
        result = cls(name, length, scale, (m.group(2) or "").upper() == "UNSIGNED")
        _DECL_CACHE[decl] = result
        return result

    # -- classification ---------------------------------------------------------------
    @property
    def type_code(self) -> int:
        return FIELD_TYPE.get(self.name, 253)

    @property
    def is_vector(self) -> bool:
        return self.name == "vector"

    @property
    def is_integer(self) -> bool:
        return self.name in INTEGER_RANGES

    @property
    def is_string(self) -> bool:
        return self.name in STRING_TYPES

    @property
    def is_text_blob(self) -> bool:
        return self.name in TEXT_BYTES or self.name in BLOB_BYTES or self.name in ("json", "vector")

    @property
    def dimensions(self) -> int | None:
        return self.length if self.is_vector else None

    def display_size(self) -> int | None:
        if self.name in ("varchar", "char", "binary", "varbinary"):
            return self.length
        if self.is_integer:
            return self.length or DEFAULT_INT_WIDTH[self.name]
        return None

    def with_length(self, length: int | None) -> SqlType:
        return replace(self, length=length)


# Parsed declarations by their text (a pure function, SqlType is frozen): shared by every data directory.
_DECL_CACHE: dict[str, SqlType] = {}
_DECL_RE = re.compile(
    r"^\s*([A-Za-z]+(?: PRECISION| VARYING)?)(?:\s+(UNSIGNED|TEXT|BLOB))?\s*(?:\((\d+)(?:\s*,\s*(\d+))?\))?\s*$",
    re.I,
)


# -- writing: MySQL strict-mode conversion of a value into what SQLite stores ---------------


class ColumnValueError(errors.DataError):
    """A value that does not fit its column; the message names the column and row."""


def _out_of_range(column: str, row: int) -> ColumnValueError:
    return ColumnValueError(
        f"Out of range value for column '{column}' at row {row}",
        errors.ER_WARN_DATA_OUT_OF_RANGE,
        "22003",
    )


def _row_suffix(column: str, row: int) -> str:
    return f"for column '{column}' at row {row}"


def _to_int(value: Any, sql_type: SqlType, column: str, row: int) -> int | bytes | str:
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float | decimal.Decimal):
        # 1e309 reaches SQLite as infinity; anything past 2^64 fits no integer column.
        if not math.isfinite(value) or abs(float(value)) >= 2.0**64:
            raise _out_of_range(column, row)
        number = int(_WIDE.quantize(decimal.Decimal(value), decimal.Decimal(1)))
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = int(_WIDE.quantize(decimal.Decimal(text), decimal.Decimal(1)))
            except (decimal.InvalidOperation, ValueError, OverflowError):  # 'x', 'NaN', 'inf'
                raise ColumnValueError(
                    f"Incorrect integer value: '{value}' {_row_suffix(column, row)}", 1366, "HY000"
                ) from None
    elif isinstance(value, bytes):
        return _to_int(value.decode("utf-8", "replace"), sql_type, column, row)
    else:
        raise ColumnValueError(
            f"Incorrect integer value: '{value}' {_row_suffix(column, row)}", 1366
        )
    low, high, uhigh = INTEGER_RANGES[sql_type.name]
    if sql_type.unsigned:
        low, high = 0, uhigh
    if not low <= number <= high:
        raise _out_of_range(column, row)
    return number if number <= INT64_MAX else wide_integer(number)


_WIDE = decimal.Context(prec=100, rounding=decimal.ROUND_HALF_UP)


def _to_decimal(value: Any, sql_type: SqlType, column: str, row: int) -> int | float | str:
    precision, scale = sql_type.length or 10, sql_type.scale or 0
    try:
        number = decimal.Decimal(
            str(value).strip() if not isinstance(value, float) else repr(value)
        )
    except decimal.InvalidOperation:
        raise ColumnValueError(
            f"Incorrect decimal value: '{value}' {_row_suffix(column, row)}", 1366
        ) from None
    quantum = decimal.Decimal(1).scaleb(-scale)
    try:  # MySQL's DECIMAL has up to 65 digits; Python's default context stops at 28
        quantized = _WIDE.quantize(number, quantum) if number.is_finite() else None
    except decimal.InvalidOperation:  # '1e999999' has no 65-digit form
        quantized = None
    if quantized is None or quantized.adjusted() >= precision - scale:
        raise _out_of_range(column, row)
    return str(quantized)


def _to_float(value: Any, sql_type: SqlType, column: str, row: int) -> float:
    try:
        number = float(value.decode() if isinstance(value, bytes) else value)
    except (TypeError, ValueError):
        raise ColumnValueError(
            f"Incorrect double value: '{value}' {_row_suffix(column, row)}", 1366
        ) from None
    too_big = sql_type.name == "float" and abs(number) > FLOAT32_MAX
    if too_big or not math.isfinite(number):  # MySQL has no infinities or NaNs
        raise _out_of_range(column, row)
    return number


def _to_string(value: Any, sql_type: SqlType, column: str, row: int) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, float):
        text = repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    else:
        text = str(value)
    name = sql_type.name
    if name in ("varchar", "char"):
        limit = sql_type.length if sql_type.length is not None else 1
        if len(text) > limit:
            raise ColumnValueError(
                f"Data too long for column '{column}' at row {row}",
                errors.ER_DATA_TOO_LONG,
                "22001",
            )
    elif name in TEXT_BYTES and len(text.encode("utf-8")) > TEXT_BYTES[name]:
        raise ColumnValueError(
            f"Data too long for column '{column}' at row {row}", errors.ER_DATA_TOO_LONG, "22001"
        )
    return text


def _to_bytes(value: Any, sql_type: SqlType, column: str, row: int) -> bytes:
    data = value if isinstance(value, bytes) else str(value).encode("utf-8")
    limit = BLOB_BYTES.get(sql_type.name) or sql_type.length
    if limit is not None and len(data) > limit:
        raise ColumnValueError(
            f"Data too long for column '{column}' at row {row}", errors.ER_DATA_TOO_LONG, "22001"
        )
    if sql_type.name == "binary" and sql_type.length:
        data = data.ljust(sql_type.length, b"\0")
    return data


def _to_json(value: Any, sql_type: SqlType, column: str, row: int) -> str:
    if isinstance(value, str | bytes):
        text = value.decode() if isinstance(value, bytes) else value
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ColumnValueError(
                f"Invalid JSON text: \"{exc.msg}\" at position {exc.pos} in value for column '{column}'.",
                errors.ER_INVALID_JSON_TEXT,
                "22032",
            ) from None
    else:
        parsed = value
    return json.dumps(parsed, ensure_ascii=False, separators=(", ", ": "), default=str)


_DATE_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?\s*$"
)
_COMPACT_DATE_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?\s*$")


def parse_datetime(value: Any) -> dt.datetime | None:
    """MySQL's accepted datetime spellings → ``datetime``; None if not a datetime."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value) or _COMPACT_DATE_RE.match(value)
    if not m:
        return None
    parts = m.groups()
    try:
        micro = int((parts[6] or "0").ljust(6, "0")) if len(parts) > 6 else 0
        return dt.datetime(
            int(parts[0]), int(parts[1]), int(parts[2]),
            int(parts[3] or 0), int(parts[4] or 0), int(parts[5] or 0), micro,
        )  # fmt: skip
    except ValueError:
        return None


def format_datetime(value: dt.datetime, fsp: int = 0) -> str:
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if fsp:
        text += "." + f"{value.microsecond:06d}"[:fsp]
    return text


def _to_temporal(value: Any, sql_type: SqlType, column: str, row: int) -> str | int | bytes:
    name = sql_type.name
    if name == "year":
        return _to_int(value, SqlType("smallint"), column, row)
    if name == "time":
        if isinstance(value, dt.timedelta):
            total = int(value.total_seconds())
            sign = "-" if total < 0 else ""
            total = abs(total)
            return f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
        if isinstance(value, dt.time):
            return value.strftime("%H:%M:%S")
        text = str(value).strip()
        if re.match(r"^-?\d{1,3}:\d{1,2}(:\d{1,2}(\.\d+)?)?$", text):
            return text
        parsed = parse_datetime(text)
        if parsed is not None:
            return parsed.strftime("%H:%M:%S")
        raise ColumnValueError(
            f"Incorrect time value: '{value}' {_row_suffix(column, row)}", 1292, "22007"
        )
    parsed = parse_datetime(value)
    if parsed is None:
        kind = "date" if name == "date" else "datetime"
        raise ColumnValueError(
            f"Incorrect {kind} value: '{value}' {_row_suffix(column, row)}",
            errors.ER_TRUNCATED_WRONG_VALUE,
            "22007",
        )
    if name == "date":
        return parsed.strftime("%Y-%m-%d")
    return format_datetime(parsed, sql_type.length or 0)


def _to_enum(value: Any, sql_type: SqlType, column: str, row: int) -> str:
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 1 <= value <= len(sql_type.values)
    ):
        return sql_type.values[value - 1]
    text = value.decode() if isinstance(value, bytes) else str(value)
    if sql_type.name == "set":
        members = [m for m in text.split(",") if m]
        lowered = {v.lower(): v for v in sql_type.values}
        if all(m.lower() in lowered for m in members):
            chosen = {lowered[m.lower()] for m in members}
            return ",".join(v for v in sql_type.values if v in chosen)
    else:
        for member in sql_type.values:
            if member.lower() == text.lower():
                return member
    raise ColumnValueError(f"Data truncated for column '{column}' at row {row}", 1265, "01000")


def _to_vector(value: Any, sql_type: SqlType, column: str, row: int) -> bytes:
    try:
        vector = Vector.coerce(value)
    except VectorError as exc:
        raise errors.DataError(str(exc), 1105) from None
    if sql_type.length is not None and vector.dims != sql_type.length:
        raise errors.DataError(
            f"vector has {vector.dims} dimensions, does not fit VECTOR({sql_type.length})", 1105
        )
    return vector.to_bytes()


def _to_bit(value: Any, sql_type: SqlType, column: str, row: int) -> int | bytes | str:
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    return _to_int(value, SqlType("bigint", unsigned=True), column, row)


_CONVERTERS: dict[str, Callable[[Any, SqlType, str, int], Any]] = {
    **dict.fromkeys(INTEGER_RANGES, _to_int),
    "decimal": _to_decimal,
    "float": _to_float,
    "double": _to_float,
    **dict.fromkeys(["char", "varchar", *TEXT_BYTES], _to_string),
    **dict.fromkeys(BINARY_TYPES, _to_bytes),
    "json": _to_json,
    **dict.fromkeys(TEMPORAL_TYPES, _to_temporal),
    "enum": _to_enum,
    "set": _to_enum,
    "vector": _to_vector,
    "bit": _to_bit,
}


def to_storage(value: Any, sql_type: SqlType, column: str, row: int = 1) -> Any:
    """Convert one value for a column the way MySQL's strict mode would, or raise."""
    if value is None:
        return None
    return _CONVERTERS[sql_type.name](value, sql_type, column, row)


# -- reading: SQLite value → the Python value a MySQL driver returns ---------------------


def _out_datetime(value: Any) -> Any:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        return parsed if parsed is not None else value
    return value


def _out_date(value: Any) -> Any:
    parsed = _out_datetime(value)
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def _out_time(value: Any) -> Any:
    if isinstance(value, str):
        m = re.match(r"^(-?)(\d+):(\d+)(?::(\d+)(?:\.(\d+))?)?$", value)
        if m:
            delta = dt.timedelta(
                hours=int(m.group(2)), minutes=int(m.group(3)), seconds=int(m.group(4) or 0),
                microseconds=int((m.group(5) or "0").ljust(6, "0")[:6]),
            )  # fmt: skip
            return -delta if m.group(1) else delta
    return value


def _out_decimal(scale: int) -> Callable[[Any], Any]:
    quantum = decimal.Decimal(1).scaleb(-scale)

    def convert(value: Any) -> Any:
        if isinstance(value, int | float | str | bytes):
            # A double carries ~15 exact digits: 0.1 + 0.2 computed in SQLite is
            # 0.30000000000000004, which MySQL's exact arithmetic makes 0.3.
            if isinstance(value, float):
                text = f"{value:.15g}"
            else:
                text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
            try:
                return _WIDE.quantize(decimal.Decimal(text), quantum)
            except decimal.InvalidOperation:
                return value
        return value

    return convert


def _out_vector(value: Any) -> Any:
    return Vector.from_bytes(value) if isinstance(value, bytes) else value


def _out_text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if value is None or isinstance(value, str) else str(value)


def _out_char(value: Any) -> Any:
    text = _out_text(value)
    return text.rstrip(" ") if isinstance(text, str) else text


def _out_bytes(value: Any) -> Any:
    return value.encode("utf-8") if isinstance(value, str) else value


def _out_float(value: Any) -> Any:
    return float(value) if isinstance(value, int | str) and not isinstance(value, bool) else value


def _out_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bytes | str) and value.isdigit():  # a wide_integer()
        return int(value)
    return value


# The Python type each converter returns unchanged: a column holding only values of that
# type (the usual case) needs no call per value.
UNCHANGED_BY: dict[Callable[[Any], Any], type] = {_out_int: int, _out_float: float, _out_text: str}


def output_converter(sql_type: SqlType | None) -> Callable[[Any], Any] | None:
    """How to turn a stored value into what a MySQL driver returns; None = unchanged."""
    if sql_type is None:
        return None
    name = sql_type.name
    if name in ("datetime", "timestamp"):
        return _out_datetime
    if name == "date":
        return _out_date
    if name == "time":
        return _out_time
    if name == "decimal":
        return _out_decimal(sql_type.scale or 0)
    if name == "vector":
        return _out_vector
    if name == "char":
        return _out_char
    if name in STRING_TYPES or name == "json":
        return _out_text
    if name in BINARY_TYPES:
        return _out_bytes
    if name in ("float", "double"):
        return _out_float
    if name in INTEGER_RANGES or name in ("year", "bit"):
        return _out_int
    return None


def type_of_values(values: Sequence[Any]) -> SqlType:
    """Type of a computed result column from its values: one kind, or text when mixed.

    ``CASE WHEN … THEN 0 ELSE 'small' END`` is a string column in MySQL; a column whose
    values are numbers and strings both is typed as text, so no value fails to convert.
    """
    kinds = {type(v) for v in values}
    kinds.discard(type(None))
    sample = next((v for v in values if v is not None), None)
    if len(kinds) <= 1:
        return type_of_value(sample)
    if kinds <= {int, float, bool}:
        return SqlType("double")
    return SqlType("varchar")


def type_of_value(value: Any) -> SqlType:
    """Best type for a computed result column, from one of its values."""
    if isinstance(value, bool | int):
        return SqlType("bigint")
    if isinstance(value, float):
        return SqlType("double")
    if isinstance(value, bytes):
        return SqlType("blob")
    if isinstance(value, Vector):
        return SqlType("vector")
    if isinstance(value, decimal.Decimal):
        return SqlType("decimal", 65, 30)
    if isinstance(value, dt.datetime):
        return SqlType("datetime")
    if isinstance(value, dt.date):
        return SqlType("date")
    return SqlType("varchar")


def from_sqlglot(data_type: Any) -> SqlType:
    """Build a :class:`SqlType` from a parsed ``sqlglot.exp.DataType``."""
    dtype: exp.DataType = data_type
    kind = dtype.this
    text_name = kind.value.lower() if hasattr(kind, "value") else str(kind).lower()
    params = [p for p in dtype.expressions]
    unsigned = text_name in {
        "uint",
        "ubigint",
        "utinyint",
        "usmallint",
        "umediumint",
        "udecimal",
        "udouble",
        "ufloat",
    }
    mapping = {
        "int": "int", "uint": "int", "bigint": "bigint", "ubigint": "bigint", "tinyint": "tinyint",
        "utinyint": "tinyint", "smallint": "smallint", "usmallint": "smallint", "mediumint": "mediumint",
        "umediumint": "mediumint", "boolean": "tinyint", "decimal": "decimal", "udecimal": "decimal",
        "double": "double", "udouble": "double", "float": "float", "ufloat": "float", "char": "char", "nchar": "char",
        "varchar": "varchar", "nvarchar": "varchar", "text": "text", "tinytext": "tinytext",
        "mediumtext": "mediumtext", "longtext": "longtext", "binary": "binary", "varbinary": "varbinary",
        "blob": "blob", "tinyblob": "tinyblob", "mediumblob": "mediumblob", "longblob": "longblob",
        "json": "json", "date": "date", "datetime": "datetime", "datetime64": "datetime", "timestamp": "timestamp",
        "timestamptz": "timestamp", "timestampltz": "timestamp", "time": "time", "year": "year",
        "enum": "enum", "set": "set", "vector": "vector", "bit": "bit",
    }  # fmt: skip
    name = mapping.get(text_name)
    if name is None:
        raise errors.unsupported(f"Unsupported column type: {dtype.sql(dialect='mysql')}")
    if dtype.args.get("values") is not None and name not in ("enum", "set"):
        params = list(dtype.args["values"])

    def number(node: Any) -> int:
        literal = node.this if isinstance(node, exp.DataTypeParam) else node
        text = str(literal.name if hasattr(literal, "name") else literal)
        if not text.isdigit():  # VECTOR(@x), VARCHAR(abc): MySQL's grammar wants a number
            raise errors.syntax_error_near(text, reason="a type length must be a number")
        return int(text)

    if name in ("enum", "set"):
        values = tuple(p.name for p in params)
        return SqlType(name, values=values)
    length = scale = None
    if name == "vector":
        dims = [
            p
            for p in params
            if not isinstance(p, exp.DataType)
            and not (isinstance(p, exp.DataTypeParam) and isinstance(p.this, exp.DataType))
        ]
        if dims:
            length = number(dims[-1])
            check_vector_dimensions(length)
        return SqlType("vector", length)
    if params:
        length = number(params[0])
        if len(params) > 1:
            scale = number(params[1])
    if text_name == "boolean":
        length = 1
    if name == "decimal" and length is None:
        length, scale = 10, 0
    if name == "varchar" and length is None:
        raise errors.syntax_error("You have an error in your SQL syntax: VARCHAR requires a length")
    if name == "char" and length is None:
        length = 1
    return SqlType(name, length, scale, unsigned or bool(dtype.args.get("unsigned")))


def check_vector_dimensions(dimensions: int) -> None:
    """``VECTOR(D)`` takes 1 to 16383 (TiDB's limit); ``VECTOR`` alone takes any size."""
    if dimensions > MAX_DIMENSIONS:
        raise errors.DatabaseError(
            f"vector cannot have more than {MAX_DIMENSIONS} dimensions", errors.ER_UNKNOWN_ERROR
        )
    if dimensions < 1:
        raise errors.DatabaseError(
            f"invalid vector dimension {dimensions}: VECTOR(D) needs D from 1 to "
            f"{MAX_DIMENSIONS}; write VECTOR for vectors of any dimension",
            errors.ER_UNKNOWN_ERROR,
        )
