"""A search's statement: a SQLAlchemy SELECT whose query is a named parameter, and the
value bound to it when it runs.

Building a SELECT with aliases and a subquery costs about a millisecond of Python — as
much as the engine's own work for a cached query — so the SELECT of each search *shape*
(table, column, metric, filters, limits; not the query) is built once and kept in a
small LRU, and every search of that shape executes it with its own query value.
SQLAlchemy then also finds its compiled form in its own cache.

A shape with a SQLAlchemy-expression filter is not cached: such expressions compare by
identity, so a new one every call would only fill the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Result, Select
from sqlalchemy.orm import Session

__all__ = ["QUERY_PARAMETER", "SearchStatement", "StatementCache", "filter_key", "statements"]

#: The bound parameter that carries the query (a vector or a text) in every search SELECT.
QUERY_PARAMETER = "search_query"


@dataclass(frozen=True)
class SearchStatement:
    """A SELECT and the values of its parameters."""

    select: Select[Any]
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def execute(self, session: Session) -> Result[Any]:
        return session.execute(self.select, dict(self.parameters))

    def with_values(self) -> Select[Any]:
        """The SELECT with its parameters' values in it (to print it with values inlined)."""
        return self.select.params(dict(self.parameters))


_UNCACHEABLE = object()


def _frozen(value: object) -> Hashable:
    """A hashable, type-exact form of a filter value (``1``, ``1.0`` and ``True`` are equal
    in Python but not in SQL), or ``_UNCACHEABLE``."""
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            frozen = _frozen(item)
            if frozen is _UNCACHEABLE or not isinstance(key, str):
                return _UNCACHEABLE
            items.append((key, frozen))
        return ("dict", tuple(sorted(items)))
    if isinstance(value, (list, tuple)):
        parts = tuple(_frozen(item) for item in value)
        return _UNCACHEABLE if _UNCACHEABLE in parts else ("list", parts)
    if value is None or isinstance(value, (str, int, float, bool)):
        return (type(value).__name__, value)
    return _UNCACHEABLE


def filter_key(filters: object) -> Hashable:
    """The part of a cache key that stands for a search's filters: ``None``, a raw SQL
    string, a dict of plain values; ``_UNCACHEABLE`` for anything else."""
    if filters is None or isinstance(filters, str):
        return filters
    if isinstance(filters, Mapping):
        return _frozen(filters)
    return _UNCACHEABLE


class StatementCache:
    """A bounded, thread-safe LRU of built SELECTs keyed by search shape."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._selects: OrderedDict[Hashable, Select[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._selects)

    def get(self, key: tuple[Hashable, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
        """The SELECT for ``key``, built with ``build`` the first time."""
        if _UNCACHEABLE in key:
            return build()
        with self._lock:
            select = self._selects.get(key)
            if select is not None:
                self._selects.move_to_end(key)
                return select
        select = build()
        with self._lock:
            self._selects[key] = select
            while len(self._selects) > self._size:
                self._selects.popitem(last=False)
        return select


#: The cache every search uses.
statements = StatementCache()
