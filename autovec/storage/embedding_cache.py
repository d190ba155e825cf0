"""A persistent embedding cache per database: paid-for vectors are never paid for twice.

Entries live in their own SQLite file (``<database>/embeddings.sqlite``) with their own
connection, so they are committed as soon as a provider answers: a statement that fails
later — and is rolled back — does not take the vectors it already obtained with it.
Entries are keyed by a digest of (model, options, input), the same identity the
embedding layer uses (:func:`autovec.cache_key.cache_key`).

A text query's vector is written through :meth:`PersistentEmbeddingCache.deferred`: a
background thread commits it (its own connection, its own transaction), so the SELECT
that embedded it does not wait for a commit. The thread lingers a moment before each
commit and gathers what arrives meanwhile: waking it for every query made each query
pay a thread switch (measured: 3–4 ms a query on 2 busy cores). Until the commit lookups
find the vector in memory; a crash before it loses only those cache entries.
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
#: How long the writer gathers deferred rows before committing them, and how many rows
#: make it commit sooner.
LINGER_SECONDS = 0.5
LINGER_ROWS = 256


_INSERT = "INSERT OR REPLACE INTO embeddings (key, model, vector) VALUES (?, ?, ?)"

#: A row of the embeddings table: key, model, little-endian float32 vector.
Row = tuple[bytes, str, bytes]


class PersistentEmbeddingCache:
    """Implements the embedding layer's cache protocol (``get_many`` / ``put_many``)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn = self._connect()
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, model TEXT NOT NULL, "
            "vector BLOB NOT NULL, created_at TEXT DEFAULT CURRENT_TIMESTAMP) WITHOUT ROWID"
        )
        self.hits = 0
        self.misses = 0
        # Deferred writes: rows not committed yet, by key, and the thread committing them.
        self._pending: dict[bytes, Row] = {}
        self._pending_lock = threading.Lock()
        self._wake = threading.Condition(self._pending_lock)
        self._idle = threading.Condition(self._pending_lock)
        self._writer: threading.Thread | None = None
        self._committing = False
        self._closing = False
        self._flushing = 0  # callers of flush() waiting: commit without lingering

    def _connect(self) -> apsw.Connection:
        conn = apsw.Connection(self.path)
        conn.set_busy_timeout(10_000)
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def deferred(self) -> DeferredWrites:
        """This cache, with writes committed in the background (for query embeddings)."""
        return DeferredWrites(self)

    def get_many(self, model: str, options_json: str, inputs: Sequence[str]) -> list[Any]:
        keys = [cache_key(model, options_json, text) for text in inputs]
        found: dict[bytes, bytes] = {}
        if self._pending:  # unlocked peek: a dict's truth value is safe to read
            with self._pending_lock:
                for key in keys:
                    row = self._pending.get(key)
                    if row is not None:
                        found[key] = row[2]
        missing = [key for key in keys if key not in found]
        with self._lock:
            for start in range(0, len(missing), _CHUNK):
                chunk = missing[start : start + _CHUNK]
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
        """Store and commit before returning (a statement's vectors survive its failure)."""
        rows = _rows(model, options_json, inputs, vectors)
        with self._lock, self._conn:
            self._conn.executemany(_INSERT, rows)

    def put_later(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[Any]
    ) -> None:
        """Store at once in memory; the writer thread commits it shortly after."""
        rows = _rows(model, options_json, inputs, vectors)
        if self.path == ":memory:":  # one connection only: a second would be another database
            with self._lock, self._conn:
                self._conn.executemany(_INSERT, rows)
            return
        with self._wake:
            if self._closing:
                raise RuntimeError("the embedding cache is closed")
            was_empty = not self._pending
            for row in rows:
                self._pending[row[0]] = row
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_pending, name="autovec-embedding-cache", daemon=True
                )
                self._writer.start()
            if was_empty or len(self._pending) >= LINGER_ROWS:
                self._wake.notify()  # else the writer is lingering and will come by itself

    def _write_pending(self) -> None:
        """The writer thread: commit what is pending, in one transaction per wake-up."""
        conn = self._connect()
        try:
            while True:
                with self._wake:
                    while not self._pending and not self._closing:
                        self._wake.wait()
                    if not self._pending:
                        return  # closing, and everything is written
                    self._wake.wait_for(self._commit_now, timeout=LINGER_SECONDS)
                    rows = list(self._pending.values())
                    self._committing = True
                try:
                    with conn:
                        conn.executemany(_INSERT, rows)
                except apsw.Error:
                    pass  # a cache: an entry that cannot be written is embedded again later
                with self._wake:
                    for row in rows:  # keep rows replaced while this batch was committing
                        if self._pending.get(row[0]) is row:
                            del self._pending[row[0]]
                    self._committing = False
                    self._idle.notify_all()
        finally:
            conn.close()

    def _commit_now(self) -> bool:
        """Whether the lingering writer should commit before its time is up (lock held)."""
        return self._closing or self._flushing > 0 or len(self._pending) >= LINGER_ROWS

    def flush(self) -> None:
        """Wait until every deferred write is committed."""
        with self._wake:
            self._flushing += 1
            self._wake.notify()
            try:
                while self._writer is not None and (self._pending or self._committing):
                    self._idle.wait()
            finally:
                self._flushing -= 1

    def __len__(self) -> int:
        self.flush()
        with self._lock:
            row = self._conn.execute("SELECT count(*) FROM embeddings").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Commit the deferred writes, stop the writer thread, close the file."""
        with self._wake:
            self._closing = True
            writer = self._writer
            self._wake.notify()
        if writer is not None:
            writer.join()
        with self._lock:
            self._conn.close()


class DeferredWrites:
    """A :class:`PersistentEmbeddingCache` whose ``put_many`` does not wait for a commit."""

    def __init__(self, cache: PersistentEmbeddingCache) -> None:
        self.cache = cache

    def get_many(self, model: str, options_json: str, inputs: Sequence[str]) -> list[Any]:
        return self.cache.get_many(model, options_json, inputs)

    def put_many(
        self, model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[Any]
    ) -> None:
        self.cache.put_later(model, options_json, inputs, vectors)


def _rows(
    model: str, options_json: str, inputs: Sequence[str], vectors: Sequence[Any]
) -> list[Row]:
    return [
        (cache_key(model, options_json, text), model, np.asarray(vector, dtype="<f4").tobytes())
        for text, vector in zip(inputs, vectors, strict=True)
    ]
