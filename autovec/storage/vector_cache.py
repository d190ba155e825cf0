"""Vector columns held contiguously in memory, for exact search by matrix product.

One :class:`VectorMatrix` per (database, table, column), shared by every session of a
store. It reflects the table at one committed *version* (``catalog.bump_version``); a
query first brings it up to the version it sees: by re-reading only the rows that
committed statements changed (the change journal), or by a full reload when the journal
cannot bridge the gap (another process wrote, or the journal was trimmed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

MAX_JOURNAL = 256  # change sets kept per table; older gaps mean a full reload
MAX_JOURNAL_ROWS = 100_000

RowReader = Callable[[Iterable[int] | None], tuple[np.ndarray, list[bytes | None]]]


@dataclass
class VectorMatrix:
    """Rows of one vector column: sorted rowids, their vectors, and rows without one."""

    version: int
    dims: int
    rowids: np.ndarray  # int64, sorted ascending, rows that have a vector
    matrix: np.ndarray  # float32 (n, dims)
    null_rowids: np.ndarray  # int64, sorted, rows whose vector is NULL
    norms: np.ndarray = field(init=False)
    inverse_norms: np.ndarray = field(init=False)  # 0 where the norm is 0 (cosine is NULL there)
    squared_norms: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.norms = (
            np.linalg.norm(self.matrix, axis=1).astype(np.float32)
            if len(self.matrix)
            else np.zeros(0, np.float32)
        )
        with np.errstate(divide="ignore"):
            self.inverse_norms = np.where(self.norms > 0, 1 / self.norms, 0).astype(np.float32)
        self.squared_norms = self.norms * self.norms

    @classmethod
    def build(
        cls, version: int, dims: int, rowids: np.ndarray, blobs: list[bytes | None]
    ) -> VectorMatrix:
        present = np.fromiter((b is not None for b in blobs), dtype=bool, count=len(blobs))
        has = rowids[present]
        kept = [b for b in blobs if b is not None]
        if kept and any(len(b) != dims * 4 for b in kept):
            raise ValueError("mixed dimensions")
        matrix = (
            np.frombuffer(b"".join(kept), dtype="<f4").reshape(len(kept), dims)
            if kept
            else np.zeros((0, dims), np.float32)
        )
        order = np.argsort(has, kind="stable")
        nulls = np.sort(rowids[~present])
        return cls(version, dims, has[order], matrix[order], nulls)

    def patched(
        self, version: int, changed: np.ndarray, rowids: np.ndarray, blobs: list[bytes | None]
    ) -> VectorMatrix:
        """A copy where the ``changed`` rows are replaced by their re-read values."""
        keep = ~np.isin(self.rowids, changed)
        keep_null = ~np.isin(self.null_rowids, changed)
        fresh = VectorMatrix.build(version, self.dims, rowids, blobs)
        all_rowids = np.concatenate([self.rowids[keep], fresh.rowids])
        all_matrix = (
            np.concatenate([self.matrix[keep], fresh.matrix])
            if len(fresh.matrix)
            else self.matrix[keep]
        )
        order = np.argsort(all_rowids, kind="stable")
        nulls = np.sort(np.concatenate([self.null_rowids[keep_null], fresh.null_rowids]))
        return VectorMatrix(
            version, self.dims, all_rowids[order], np.ascontiguousarray(all_matrix[order]), nulls
        )


class VectorCache:
    """Matrices by (database, table, column) plus each table's committed change journal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matrices: dict[tuple[str, str, str], VectorMatrix] = {}
        self._journal: dict[tuple[str, str], dict[int, frozenset[int]]] = {}

    def clear(self) -> None:
        with self._lock:
            self._matrices.clear()
            self._journal.clear()

    def forget_table(self, database: str, table: str) -> None:
        with self._lock:
            for key in [k for k in self._matrices if k[:2] == (database, table)]:
                del self._matrices[key]
            self._journal.pop((database, table), None)

    def publish(self, database: str, table: str, versions: Iterable[int], rowids: set[int]) -> None:
        """Record a committed transaction's changes to a table (all its version bumps)."""
        versions = list(versions)
        if not versions:
            return
        with self._lock:
            journal = self._journal.setdefault((database, table), {})
            changed = frozenset(rowids) if len(rowids) <= MAX_JOURNAL_ROWS else None
            for version in versions[:-1]:
                journal[version] = frozenset()
            if changed is None:
                journal.clear()
            else:
                journal[versions[-1]] = changed
            while len(journal) > MAX_JOURNAL:
                del journal[min(journal)]

    def get(self, key: tuple[str, str, str]) -> VectorMatrix | None:
        return self._matrices.get(key)

    def changes_between(self, database: str, table: str, start: int, end: int) -> set[int] | None:
        """Rows changed by versions (start, end]; None when the journal has a gap."""
        with self._lock:
            journal = self._journal.get((database, table), {})
            changed: set[int] = set()
            for version in range(start + 1, end + 1):
                entry = journal.get(version)
                if entry is None:
                    return None
                changed.update(entry)
            return changed

    def put(self, key: tuple[str, str, str], matrix: VectorMatrix) -> None:
        with self._lock:
            current = self._matrices.get(key)
            if current is None or current.version <= matrix.version:
                self._matrices[key] = matrix
