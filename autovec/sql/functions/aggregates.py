"""Aggregates SQLite lacks or gets wrong: GROUP_CONCAT(DISTINCT ...), JSON_ARRAYAGG,
JSON_OBJECTAGG and BIT_AND/OR/XOR.
"""

from __future__ import annotations

from typing import Any

from autovec.sql.functions.json import dump_json, sql_to_json
from autovec.sql.functions.registry import SqlAggregate, SqlFunction
from autovec.sql.functions.values import (
    Value,
    as_int,
    as_text,
    sql_error,
)

_PACK_SEP = "\x00"


def _gc_pack(sep: Value, *values: Value) -> str | None:
    """One argument for the aggregate (SQLite's DISTINCT aggregates take exactly one)."""
    if any(v is None for v in values):
        return None
    return (
        as_text(sep if sep is not None else ",") + _PACK_SEP + "".join(as_text(v) for v in values)
    )


class _GroupConcat:
    """GROUP_CONCAT(DISTINCT ... SEPARATOR s) over packed values."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.sep = ","

    def step(self, packed: Value) -> None:
        if packed is None:
            return
        sep, _, value = as_text(packed).partition(_PACK_SEP)
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
        self.items.append(sql_to_json(value, self.is_json))

    def final(self) -> str | None:
        return dump_json(self.items) if self.items else None


class _JsonObjectAgg:
    """JSON_OBJECTAGG(k, v); ``is_json``: v is JSON text to embed, not a string."""

    is_json = False

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def step(self, key: Value, value: Value) -> None:
        if key is None:
            raise sql_error("JSON documents may not contain NULL member names.", 3158)
        self.items[as_text(key)] = sql_to_json(value, self.is_json)

    def final(self) -> str | None:
        return dump_json(self.items) if self.items else None


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
        number = as_int(value) & 0xFFFFFFFFFFFFFFFF
        if self.op == "and":
            self.value &= number
        elif self.op == "or":
            self.value |= number
        else:
            self.value ^= number

    def final(self) -> int | str:
        return self.value if self.value < 2**63 else str(self.value)


FUNCTIONS: tuple[SqlFunction, ...] = (SqlFunction("gc_pack", _gc_pack),)


AGGREGATES: tuple[SqlAggregate, ...] = (
    SqlAggregate("group_concat", _GroupConcat),
    SqlAggregate("json_arrayagg", _JsonArrayAgg, returns_json=True),
    SqlAggregate("json_objectagg", _JsonObjectAgg, returns_json=True),
    SqlAggregate("json_arrayagg_json", _JsonArrayAggJson, returns_json=True),
    SqlAggregate("json_objectagg_json", _JsonObjectAggJson, returns_json=True),
    SqlAggregate("bit_and", lambda: _BitAgg("and")),
    SqlAggregate("bit_or", lambda: _BitAgg("or")),
    SqlAggregate("bit_xor", lambda: _BitAgg("xor")),
)
