"""Every declared function, its registration on a connection, and the tables derived from them.

The rewrite (:mod:`autovec.sql.functions.rewrite`) consults these tables; nothing here is
written by hand a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw

from autovec.sql.functions import aggregates, casts, json, numbers, regexp, strings, temporal
from autovec.sql.functions.registry import SqlAggregate, SqlFunction

SCALARS: tuple[SqlFunction, ...] = (
    *temporal.FUNCTIONS,
    *strings.FUNCTIONS,
    *numbers.FUNCTIONS,
    *casts.FUNCTIONS,
    *json.FUNCTIONS,
    *regexp.FUNCTIONS,
    *aggregates.FUNCTIONS,
)
AGGREGATES: tuple[SqlAggregate, ...] = aggregates.AGGREGATES

# Checked when a call is translated, so a wrong count is MySQL's 1582, not a Python error.
ARITY: dict[str, tuple[int, int | None]] = {function.name: function.arity for function in SCALARS}

#: MySQL function name (an exp.Anonymous) -> UDF name, for calls passed through unchanged.
ANONYMOUS: dict[str, str] = {
    mysql_name: function.name for function in SCALARS for mysql_name in function.mysql_names
}

#: The UDFs (``__av_*`` names) and the anonymous MySQL calls whose result is JSON.
JSON_UDFS: frozenset[str] = frozenset(
    {function.sql_name for function in SCALARS if function.returns_json}
    | {aggregate.sql_name for aggregate in AGGREGATES if aggregate.returns_json}
)
JSON_ANONYMOUS: frozenset[str] = frozenset(
    mysql_name
    for function in SCALARS
    if function.returns_json
    for mysql_name in function.mysql_names
)


def _aggregate_factory(
    cls: Callable[[], Any],
) -> Callable[[], tuple[Any, Callable[..., None], Callable[[Any], Any]]]:
    def factory() -> tuple[Any, Callable[..., None], Callable[[Any], Any]]:
        instance = cls()
        return instance, lambda _ctx, *args: instance.step(*args), lambda _ctx: instance.final()

    return factory


def register(conn: apsw.Connection) -> None:
    """Register every declared function: each ``__av_*`` the rewrite emits, plus ``regexp``."""
    for function in SCALARS:
        # SQLite calls its operators with a fixed count; our own calls are checked at rewrite
        numargs = function.arity[0] if function.sqlite_operator else -1
        conn.create_scalar_function(
            function.sql_name, function.impl, numargs, deterministic=function.deterministic
        )
    for aggregate in AGGREGATES:
        conn.create_aggregate_function(
            aggregate.sql_name, _aggregate_factory(aggregate.factory), -1
        )
