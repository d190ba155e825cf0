"""Embedding cache: identical inputs are not embedded twice.

A cache maps ``(model, canonical options JSON, input)`` to a float32 vector. The options
part is the *effective* request (after ``@search`` and the query/document defaults are
applied), so a query and a document share an entry exactly when the provider would
have been sent the same request.

:class:`LRUEmbeddingCache` lives in memory (10,000 entries by default, as TiDB's). The
storage layer supplies a persistent implementation of the same :class:`EmbeddingCache`
protocol; :func:`autovec.cache_key.cache_key` gives both the same compact key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

# The on-disk cache in autovec.storage keys entries with this same function.
from autovec.cache_key import cache_key

if TYPE_CHECKING:
    import numpy as np

__all__ = ["EmbeddingCache", "LRUEmbeddingCache", "NullCache", "cache_key"]


@runtime_checkable
class EmbeddingCache(Protocol):
    """What the embedding layer needs from a cache; implementations must be thread-safe."""

    def get_many(
        self, model: str, options_json: str, inputs: Sequence[str]
    ) -> list[np.ndarray | None]:
        """One entry per input: the cached vector, or None on a miss."""
        ...

    def put_many(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[np.ndarray]
    ) -> None:
        """Store ``vectors[i]`` for ``inputs[i]``."""
        ...


class NullCache:
    """Caches nothing (``EmbeddingFunction(caching=False)``)."""

    def get_many(
        self, model: str, options_json: str, inputs: Sequence[str]
    ) -> list[np.ndarray | None]:
        return [None] * len(inputs)

    def put_many(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[np.ndarray]
    ) -> None:
        return None


class LRUEmbeddingCache:
    """A bounded in-memory least-recently-used cache."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._data: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"LRUEmbeddingCache(entries={len(self)}, max_entries={self.max_entries})"

    def get_many(
        self, model: str, options_json: str, inputs: Sequence[str]
    ) -> list[np.ndarray | None]:
        keys = [cache_key(model, options_json, text) for text in inputs]
        out: list[np.ndarray | None] = []
        with self._lock:
            for key in keys:
                vec = self._data.get(key)
                if vec is None:
                    self.misses += 1
                else:
                    self._data.move_to_end(key)
                    self.hits += 1
                out.append(vec)
        return out

    def put_many(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[np.ndarray]
    ) -> None:
        entries = []
        for text, vec in zip(inputs, vectors, strict=True):
            frozen = vec.copy()
            frozen.setflags(write=False)
            entries.append((cache_key(model, options_json, text), frozen))
        with self._lock:
            for key, vec in entries:
                self._data[key] = vec
                self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()
