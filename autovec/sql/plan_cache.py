"""Statements translated once and run again: one LRU per data directory, typed per kind.

Each kind of plan (a SELECT's, a literal shape's, a literal INSERT's) is looked up through
its :class:`PlanKind`, which says what type its plans have. Plans are stored under
(kind, key): keys of different kinds never collide, so what a kind reads back is what
that kind remembered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

PLAN_CACHE_SIZE = 256

Plan = TypeVar("Plan")
PlanKey = tuple[Hashable, ...]


class PlanKind(Generic[Plan]):
    """One kind of cached plan; declared by the module that plans it."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"PlanKind({self.name!r})"


class PlanCache:
    """Translated statements by their text and what the translation depends on."""

    def __init__(self, size: int = PLAN_CACHE_SIZE):
        self.size = size
        self._plans: OrderedDict[tuple[PlanKind[Any], PlanKey], object] = OrderedDict()
        self._lock = threading.Lock()  # writers only: a lookup is one dict read

    def get(self, kind: PlanKind[Plan], key: PlanKey) -> Plan | None:
        # Only remember() of the same kind writes under this kind; no cast(): this is
        # every statement's first lookup.
        return self._plans.get((kind, key))  # type: ignore[return-value]

    def remember(self, kind: PlanKind[Plan], key: PlanKey, plan: Plan) -> None:
        """Keep a plan, dropping the least recently remembered beyond the size."""
        entry = (kind, key)
        with self._lock:
            self._plans[entry] = plan
            self._plans.move_to_end(entry)
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
