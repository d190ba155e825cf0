"""HNSW vector indexes (usearch), persisted next to the database file.

An index is derived data: the table is the truth. Each saved index carries the table
version it reflects (``<index>.json``); rows changed after that are listed in the
database's change log (``catalog.CHANGES_TABLE``, written in the same transaction as the
rows), so after a crash the index catches up from the log, and a missing or unreadable
file is rebuilt from the table.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

METRICS = {"COSINE": "cos", "L2": "l2sq"}
QUANTIZATIONS = {"f32", "f16", "i8", "bf16"}


@dataclass(frozen=True)
class HnswParams:
    """Build and search parameters (HNSW's M, efConstruction, efSearch) and storage type."""

    m: int = 16
    ef_construction: int = 128
    ef_search: int = 96
    quantization: str = "f32"

    @classmethod
    def parse(cls, options: dict[str, Any]) -> HnswParams:
        params = cls()
        values: dict[str, Any] = {
            k: options[k]
            for k in ("m", "ef_construction", "ef_search", "quantization")
            if k in options
        }
        return cls(**{**asdict(params), **values})


@dataclass
class IndexMeta:
    version: int  # the table version the saved graph reflects
    dims: int
    metric: str
    params: dict[str, Any]
    count: int


def _usearch_index() -> Any:
    """usearch's ``Index`` class, loaded after onnxruntime where that is installed.

    onnxruntime (1.32) segfaults on import in a process that has already loaded usearch's
    compiled module (2.26, Linux), and the local model runtime imports it only when a
    model is first loaded, often after an index was opened. Imported first (0.1 s), both
    work side by side.
    """
    if "onnxruntime" not in sys.modules and importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


class HnswIndex:
    """One usearch graph keyed by rowid, with the table version it reflects."""

    def __init__(self, dims: int, metric: str, params: HnswParams, version: int = 0):
        Index = _usearch_index()
        self.dims = dims
        self.metric = metric
        self.params = params
        self.version = version
        self.lock = threading.RLock()
        self.dirty = 0  # changes since the last save
        self._index = Index(
            ndim=dims,
            metric=METRICS[metric],
            dtype=params.quantization,
            connectivity=params.m,
            expansion_add=params.ef_construction,
            expansion_search=params.ef_search,
        )
        self._adopt(self._index)

    def _adopt(self, index: Any) -> None:
        from usearch.compiled import ScalarKind

        self._index = index
        # usearch's compiled index, for the per-query calls: the public Python wrappers
        # validate and re-wrap their arguments, which costs more than a top-k's lookups.
        self._compiled = index._compiled
        self._f32 = ScalarKind.F32
        self._any_kind = ScalarKind.Unknown

    # -- content ----------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._compiled.size)

    def upsert(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace vectors; keys already present are replaced."""
        if not len(keys):
            return
        with self.lock:
            present = self._present(keys)
            if len(present):
                self._index.remove(present)
            self._index.add(
                keys.astype(np.uint64), np.ascontiguousarray(vectors, dtype=np.float32), threads=0
            )
            self.dirty += len(keys)

    def remove(self, keys: np.ndarray) -> None:
        with self.lock:
            present = self._present(keys)
            if len(present):
                self._index.remove(present)
                self.dirty += len(present)

    def _present(self, keys: np.ndarray) -> np.ndarray:
        """The keys the index holds, as its uint64 keys.

        Keys are rowids, which SQLite lets be negative: as uint64 they wrap around (two's
        complement) and come back unchanged through ``astype(np.int64)``.
        """
        wide = keys.astype(np.uint64)
        return wide[np.asarray(self._index.contains(wide), dtype=bool)]

    def vectors(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored vectors of the keys that are present: (keys, matrix)."""
        with self.lock:
            if not len(keys):
                return np.zeros(0, np.int64), np.zeros((0, self.dims), np.float32)
            present = self._index.contains(keys.astype(np.uint64))
            found = keys[np.asarray(present, dtype=bool)].astype(np.int64)
            return found, self._stored(found)

    def _stored(self, keys: np.ndarray) -> np.ndarray:
        """The stored vectors of keys known to be present, as one float32 matrix."""
        if not len(keys):
            return np.zeros((0, self.dims), np.float32)
        return np.concatenate(self._rows(keys)).reshape(len(keys), self.dims)

    def _rows(self, keys: np.ndarray) -> tuple[np.ndarray, ...]:
        """The stored vectors of keys known to be present, one float32 array each."""
        rows: tuple[np.ndarray, ...] = self._compiled.get_many(
            keys.astype(np.uint64, copy=False), self._f32
        )
        return rows

    # -- search -----------------------------------------------------------------------
    def search(
        self,
        query: np.ndarray,
        count: int,
        ef_search: int | None = None,
        with_vectors: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """Approximate nearest rowids (nearest first), with their stored vectors or distances.

        Returns (keys, a tuple of their vectors) when ``with_vectors`` (exact copies of
        what the index holds, when it is not quantized), else (keys, the index's own
        distances).
        """
        compiled = self._compiled
        with self.lock:
            size = compiled.size
            if size == 0 or count <= 0:
                return np.zeros(0, np.int64), () if with_vectors else np.zeros(0, np.float32)
            count = min(count, size)
            expansion = max(ef_search or self.params.ef_search, count)
            if compiled.expansion_search != expansion:
                compiled.expansion_search = expansion
            keys, distances, counts, *_ = compiled.search_many(
                query.reshape(1, -1), count=count, exact=False, threads=1, dtype=self._any_kind
            )
            found = keys[0, : counts[0]]
            if with_vectors:
                return found.astype(np.int64), self._rows(found)
            return found.astype(np.int64), distances[0, : counts[0]]

    # -- files ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the graph and its meta atomically (temp files, fsync, rename)."""
        with self.lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".usearch.tmp")
            self._index.save(str(tmp))
            _fsync(tmp)
            meta = IndexMeta(
                self.version, self.dims, self.metric, asdict(self.params), len(self._index)
            )
            meta_tmp = path.with_suffix(".json.tmp")
            meta_tmp.write_text(json.dumps(asdict(meta)))
            _fsync(meta_tmp)
            # The graph first, then the meta naming its version: a crash in between leaves
            # a newer graph with an older version, and catching up from there is harmless.
            os.replace(tmp, path)
            os.replace(meta_tmp, path.with_suffix(".json"))
            self.dirty = 0

    @classmethod
    def load(cls, path: Path, dims: int, metric: str, params: HnswParams) -> HnswIndex | None:
        """The saved index, or None when missing, unreadable or built differently."""
        Index = _usearch_index()
        meta_path = path.with_suffix(".json")
        try:
            meta = IndexMeta(**json.loads(meta_path.read_text()))
            if meta.dims != dims or meta.metric != metric or HnswParams(**meta.params) != params:
                return None
            loaded = Index.restore(str(path))
            if loaded is None or loaded.ndim != dims or len(loaded) != meta.count:
                return None
        except (OSError, ValueError, TypeError, RuntimeError):
            return None
        index = cls.__new__(cls)
        index.dims, index.metric, index.params, index.version = dims, metric, params, meta.version
        index.lock = threading.RLock()
        index.dirty = 0
        index._adopt(loaded)
        return index


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
