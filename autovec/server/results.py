"""Engine results as mysql-mimic result sets, with the column types MySQL clients expect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mysql_mimic import ResultColumn as WireColumn
from mysql_mimic import ResultSet
from mysql_mimic.charset import CharacterSet
from mysql_mimic.types import ColumnType

from autovec.sql.result import Result, ResultColumn
from autovec.sql.types import BINARY_TYPES
from autovec.vector import Vector

# SQL type codes (``SqlType.type_code``, MySQL's) that mysql-mimic encodes itself; a vector
# (TiDB's 225, unknown to MySQL drivers) goes out as a string, as its text.
_CODES = {member.value: member for member in ColumnType}


def wire_type(type_code: int) -> ColumnType:
    return _CODES.get(type_code, ColumnType.VAR_STRING)


def wire_value(value: Any) -> Any:
    """A vector or TIME value as mysql-mimic's encoders take it (text)."""
    if isinstance(value, Vector):
        return str(value)
    if isinstance(value, dt.timedelta):  # TIME: MySQL's [-]HH:MM:SS[.ffffff]
        sign = "-" if value < dt.timedelta(0) else ""
        seconds = abs(value)
        hours, rest = divmod(seconds.days * 86400 + seconds.seconds, 3600)
        minutes, secs = divmod(rest, 60)
        fraction = f".{seconds.microseconds:06d}" if seconds.microseconds else ""
        return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}{fraction}"
    return value


def to_wire_columns(columns: list[ResultColumn]) -> list[WireColumn]:
    return [
        WireColumn(
            c.name,
            wire_type(c.type.type_code),
            # Bytes columns are "binary", so drivers hand out bytes, not text.
            CharacterSet.binary if c.type.name in BINARY_TYPES else CharacterSet.utf8mb4,
        )
        for c in columns
    ]


def to_result_set(result: Result) -> ResultSet:
    """A query's result as a result set; its columns are declared even when it has no rows."""
    assert result.columns is not None
    columns = to_wire_columns(result.columns)
    special = {i for i, c in enumerate(result.columns) if c.type.is_vector or c.type.name == "time"}
    rows: list[tuple[Any, ...]] = result.rows
    if special:
        rows = [
            tuple(wire_value(v) if i in special else v for i, v in enumerate(row)) for row in rows
        ]
    return ResultSet(rows=rows, columns=columns)
