"""The declaration of one SQL function: everything else about it is derived from this.

A domain module lists its functions once, as :class:`SqlFunction` (scalars) or
:class:`SqlAggregate`; :mod:`autovec.sql.functions.catalog` gathers them and derives the
registration on a connection and every table the rewrite consults.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The prefix of every function the rewrite emits, so user SQL cannot collide with them.
UDF_PREFIX = "__av_"


def arity(fn: Callable[..., Any]) -> tuple[int, int | None]:
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


@dataclass(frozen=True, slots=True)
class SqlFunction:
    """A scalar function, registered as ``__av_<name>`` with ``impl`` itself as the callable.

    ``impl`` runs once per row inside SQLite, so it is registered as it is, never wrapped;
    its arity comes from its signature. ``mysql_names``: the MySQL calls sqlglot leaves as
    plain (anonymous) calls that become calls of this function. ``returns_json``: its result is
    JSON, which JSON_ARRAY/JSON_OBJECT embed rather than quote. ``sqlite_operator``: SQLite
    itself calls it under its bare name (``X REGEXP Y`` calls ``regexp``).
    """

    name: str
    impl: Callable[..., Any]
    deterministic: bool = True
    mysql_names: tuple[str, ...] = ()
    returns_json: bool = False
    sqlite_operator: bool = False

    @property
    def sql_name(self) -> str:
        return self.name if self.sqlite_operator else UDF_PREFIX + self.name

    @property
    def arity(self) -> tuple[int, int | None]:
        return arity(self.impl)


@dataclass(frozen=True, slots=True)
class SqlAggregate:
    """An aggregate, registered as ``__av_<name>``; ``factory()`` makes one group's state,
    an object with ``step(*args)`` and ``final()``."""

    name: str
    factory: Callable[[], Any]
    returns_json: bool = False

    @property
    def sql_name(self) -> str:
        return UDF_PREFIX + self.name
