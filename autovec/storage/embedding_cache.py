"""A persistent embedding cache per database: paid-for vectors are never paid for twice.

Entries live in their own SQLite file (``<database>/embeddings.sqlite``) with their own
connection, so they are committed as soon as a provider answers: a statement that fails
later — and is rolled back — does not take the vectors it already obtained with it.
Entries are keyed by a digest of (model, options, input), the same identity the
embedding layer uses (:func:`autovec.cache_key.cache_key`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import apsw
import numpy as np

# The in-memory cache in autovec.embeddings keys entries with this same function.
from autovec.cache_key import cache_key

CACHE_FILE = "embeddings.sqlite"
_CHUNK = 500  # keys per SELECT, well under SQLite's variable limit


class PersistentEmbeddingCache:
    """Implements the embedding layer's cache protocol (``get_many`` / ``put_many``)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = apsw.Connection(self.path)
        self._conn.set_busy_timeout(10_000)
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, model TEXT NOT NULL, "
            "vector BLOB NOT NULL, created_at TEXT DEFAULT CURRENT_TIMESTAMP) WITHOUT ROWID"
        )
        self.hits = 0
        self.misses = 0

    def get_many(self, model: str, options_json: str, inputs: Sequence[str]) -> list[Any]:
        keys = [cache_key(model, options_json, text) for text in inputs]
        found: dict[bytes, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._conn.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk
                ):
                    found[key] = blob
        result: list[Any] = []
        for key in keys:
            blob = found.get(key)
            result.append(np.frombuffer(blob, dtype="<f4").copy() if blob is not None else None)
        self.hits += sum(r is not None for r in result)
        self.misses += sum(r is None for r in result)
        return result

    def put_many(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[Any]
    ) -> None:
        rows = [
            (cache_key(model, options_json, text), model, np.asarray(vector, dtype="<f4").tobytes())
            for text, vector in zip(inputs, vectors, strict=True)
        ]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (key, model, vector) VALUES (?, ?, ?)", rows
            )

    def __len__(self) -> int:
        with self._lock:
            row = self._conn.execute("SELECT count(*) FROM embeddings").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
