"""SQL functions the translator inserts into generated SQLite SQL (never written by users).

- ``__av_store(value, type_key, column, row)``: converts a value for a column the way
  MySQL's strict mode does (``types.to_storage``), raising MySQL's error otherwise;
- ``__av_autoinc(value)``: MySQL generates an AUTO_INCREMENT value for NULL *and* 0;
- ``__av_vec_sortkey`` / ``__av_vec_from_sortkey``: an order-preserving byte encoding of
  vectors, so SQLite's ORDER BY, MIN and MAX (byte-wise on blobs) order vectors as TiDB
  does: element by element, a prefix first;
- ``__av_json_scalar(json)``: a JSON value as the SQL value it compares as, when MySQL
  compares JSON with a non-JSON value (``JSON_EXTRACT(doc, '$.n') > 5``, ``… = 'fr'``):
  strings unquoted, numbers as numbers, true/false as 1/0, null as NULL.
"""

from __future__ import annotations

from typing import Any, cast

import apsw
import numpy as np
import orjson

from autovec.sql.types import SqlType, to_storage

# Column types by their SQL text (an interning table, not state): the same for every data directory.
_TYPES: dict[str, SqlType] = {}


def type_key(sql_type: SqlType) -> str:
    """Register a column type for ``__av_store`` and return the key to pass it."""
    key = sql_type.sql()
    _TYPES.setdefault(key, sql_type)
    return key


def _store(value: Any, key: str, column: str, row: int) -> Any:
    return to_storage(value, _TYPES[key], column, row)


def _autoinc(value: Any) -> Any:
    return None if value in (0, "0") else value


_SIGN = np.uint32(0x80000000)


def _sortkey(value: Any) -> Any:
    if not isinstance(value, bytes):
        return value
    bits = np.frombuffer(value, dtype="<u4")
    # Flip all bits of negatives and only the sign bit of positives: unsigned big-endian
    # byte order then equals float order.
    keyed = np.where(bits & _SIGN, ~bits, bits | _SIGN).astype(">u4")
    return keyed.tobytes()


def _from_sortkey(value: Any) -> Any:
    if not isinstance(value, bytes):
        return value
    keyed = np.frombuffer(value, dtype=">u4")
    bits = np.where(keyed & _SIGN, keyed & ~_SIGN, ~keyed).astype("<u4")
    return bits.tobytes()


def _json_scalar(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value
    if isinstance(parsed, bool):
        return int(parsed)
    if isinstance(parsed, dict | list):
        return value  # a container compares as its text
    return parsed


def register(conn: apsw.Connection) -> None:
    conn.create_scalar_function("__av_store", cast(Any, _store), 4, deterministic=True)
    conn.create_scalar_function("__av_autoinc", cast(Any, _autoinc), 1, deterministic=True)
    conn.create_scalar_function("__av_vec_sortkey", cast(Any, _sortkey), 1, deterministic=True)
    conn.create_scalar_function(
        "__av_vec_from_sortkey", cast(Any, _from_sortkey), 1, deterministic=True
    )
    conn.create_scalar_function("__av_json_scalar", cast(Any, _json_scalar), 1, deterministic=True)
