"""COM_STMT_EXECUTE's parameters, read as values and bound, never spliced into SQL text.

mysql-mimic reads a prepared statement's parameters and writes them back into its SQL
text, strings merely wrapped in quotes (``'; DROP TABLE t; --`` would run). Its reader
is private to it, so this module reads the packet's parameters itself (the binary
protocol's null bitmap, types and values) and the engine binds them as values.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mysql_mimic.charset import CharacterSet
from mysql_mimic.types import (
    Capabilities,
    ColumnType,
    read_int_1,
    read_int_2,
    read_int_4,
    read_int_8,
    read_str_len,
    read_uint_1,
    read_uint_2,
    read_uint_4,
    read_uint_8,
    read_uint_len,
)

from autovec import errors

CURSOR_TYPE_READ_ONLY = 0x01
PARAMETER_COUNT_AVAILABLE = 0x08
_STRINGS = {
    ColumnType.VARCHAR, ColumnType.VAR_STRING, ColumnType.STRING, ColumnType.JSON,
    ColumnType.ENUM, ColumnType.SET, ColumnType.BIT,
}  # fmt: skip
_BLOBS = {ColumnType.BLOB, ColumnType.TINY_BLOB, ColumnType.MEDIUM_BLOB, ColumnType.LONG_BLOB}


@dataclass
class Execute:
    """One COM_STMT_EXECUTE: which statement, its parameter values, whether a cursor."""

    stmt_id: int
    params: list[Any]
    use_cursor: bool


@dataclass
class BoundTypes:
    """Parameter types a client sent once (new-params-bound) and reuses on later executes."""

    by_stmt: dict[int, list[tuple[int, bool]]] = field(default_factory=dict)


def read_execute(
    data: bytes,
    num_params: dict[int, int],
    capabilities: Capabilities,
    charset: CharacterSet,
    long_data: dict[int, dict[int, bytearray]],
    bound: BoundTypes,
) -> Execute:
    reader = io.BytesIO(data)
    stmt_id = read_uint_4(reader)
    if stmt_id not in num_params:
        raise errors.ProgrammingError(f"Unknown prepared statement handler ({stmt_id})", 1243)
    flags = read_uint_1(reader)
    read_uint_4(reader)  # iteration count, always 1
    count = num_params[stmt_id]
    attributes = Capabilities.CLIENT_QUERY_ATTRIBUTES in capabilities
    if attributes and (count > 0 or flags & PARAMETER_COUNT_AVAILABLE):
        count = read_uint_len(reader)  # statement parameters, then query attributes
    params: list[Any] = []
    if count:
        nulls = reader.read((count + 7) // 8)
        if read_uint_1(reader):  # new-params-bound: the types follow
            types = []
            for _ in range(count):
                kind, flag = read_uint_1(reader), read_uint_1(reader)
                if attributes:
                    read_str_len(reader)  # a name, for query attributes only
                types.append((kind, bool(flag & 0x80)))
            bound.by_stmt[stmt_id] = types
        types = bound.by_stmt.get(stmt_id, [])
        if len(types) != count:
            raise errors.ProgrammingError("parameter types were never sent", 1210)
        buffers = long_data.get(stmt_id, {})
        for index, (kind, unsigned) in enumerate(types):
            if nulls[index // 8] & (1 << (index % 8)):
                params.append(None)
            elif index in buffers:
                params.append(_text_or_bytes(bytes(buffers[index]), kind, charset))
            else:
                params.append(_read_value(reader, kind, unsigned, charset))
        params = params[: num_params[stmt_id]]  # query attributes are not parameters
    return Execute(stmt_id, params, bool(flags & CURSOR_TYPE_READ_ONLY))


def _text_or_bytes(raw: bytes, kind: int, charset: CharacterSet) -> Any:
    if kind in _BLOBS:
        return raw
    return charset.decode(raw)


def _read_value(reader: io.BytesIO, kind: int, unsigned: bool, charset: CharacterSet) -> Any:
    if kind in _STRINGS or kind in _BLOBS:
        return _text_or_bytes(read_str_len(reader), kind, charset)
    if kind in (ColumnType.DECIMAL, ColumnType.NEWDECIMAL):
        return Decimal(read_str_len(reader).decode("ascii"))
    if kind == ColumnType.TINY:
        return read_uint_1(reader) if unsigned else read_int_1(reader)
    if kind in (ColumnType.SHORT, ColumnType.YEAR):
        return read_uint_2(reader) if unsigned else read_int_2(reader)
    if kind in (ColumnType.LONG, ColumnType.INT24):
        return read_uint_4(reader) if unsigned else read_int_4(reader)
    if kind == ColumnType.LONGLONG:
        return read_uint_8(reader) if unsigned else read_int_8(reader)
    if kind == ColumnType.FLOAT:
        return struct.unpack("<f", reader.read(4))[0]
    if kind == ColumnType.DOUBLE:
        return struct.unpack("<d", reader.read(8))[0]
    if kind in (ColumnType.DATE, ColumnType.DATETIME, ColumnType.TIMESTAMP):
        return _read_datetime(reader, kind)
    if kind == ColumnType.TIME:
        return _read_time(reader)
    if kind == ColumnType.NULL:
        return None
    raise errors.NotSupportedError(f"parameters of MySQL type {kind} are not supported", 1235)


def _read_datetime(reader: io.BytesIO, kind: int) -> dt.date | dt.datetime:
    length = read_uint_1(reader)
    raw = reader.read(length)
    year = month = day = hour = minute = second = micro = 0
    if length >= 4:
        year, month, day = struct.unpack("<HBB", raw[:4])
    if length >= 7:
        hour, minute, second = raw[4], raw[5], raw[6]
    if length >= 11:
        micro = struct.unpack("<I", raw[7:11])[0]
    if kind == ColumnType.DATE:
        return dt.date(year, month, day)
    return dt.datetime(year, month, day, hour, minute, second, micro)


def _read_time(reader: io.BytesIO) -> dt.timedelta:
    length = read_uint_1(reader)
    raw = reader.read(length)
    if length < 8:
        return dt.timedelta(0)
    negative, days = raw[0], struct.unpack("<I", raw[1:5])[0]
    hours, minutes, seconds = raw[5], raw[6], raw[7]
    micro = struct.unpack("<I", raw[8:12])[0] if length >= 12 else 0
    value = dt.timedelta(
        days=days, hours=hours, minutes=minutes, seconds=seconds, microseconds=micro
    )
    return -value if negative else value
