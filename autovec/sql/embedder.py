"""The embedding functions and persistent embedding caches of one data directory.

Owned by the directory's instance (``autovec.sql.instance``), shared by its sessions. The
providers behind the functions (HTTP clients, local models) are pooled process-wide by
``autovec.embeddings`` and are not this object's to close; the caches are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from autovec import errors
from autovec.storage.datadir import DataDirectory
from autovec.storage.embedding_cache import CACHE_FILE, PersistentEmbeddingCache

#: Local models' ONNX exports, beside the databases (a name no database can have).
MODEL_CACHE_DIR = ".models"

if TYPE_CHECKING:
    from autovec.embeddings import EmbeddingFunction, EmbedInput, KeyResolver


def embedding_error(exc: Exception) -> errors.DatabaseError:
    return errors.DatabaseError(str(exc), getattr(exc, "errno", 1105))


class Embedder:
    """Embedding functions and persistent caches of one data directory, per database."""

    def __init__(self, datadir: DataDirectory):
        self.datadir = datadir
        self._keys: KeyResolver | None = None
        # By (database, model, kind): a query's vector is cached without waiting for a commit.
        self._functions: dict[tuple[str, str, str], EmbeddingFunction] = {}
        self._caches: dict[str, PersistentEmbeddingCache] = {}
        self._lock = threading.RLock()

    @property
    def keys(self) -> KeyResolver:
        """API keys from the directory's settings (SET GLOBAL), else the environment."""
        # Made on first use: opening a directory must not import autovec.embeddings.
        from autovec.embeddings import KeyResolver

        with self._lock:
            if self._keys is None:
                self._keys = KeyResolver(self.datadir.settings)
            return self._keys

    @property
    def model_cache(self) -> Path | None:
        """Where this directory keeps local models' exports; None (the user-wide one) in memory."""
        return None if self.datadir.in_memory else self.datadir.path / MODEL_CACHE_DIR

    def cache(self, database: str) -> PersistentEmbeddingCache:
        with self._lock:
            cache = self._caches.get(database)
            if cache is None:
                datadir = self.datadir
                path = (
                    ":memory:"
                    if datadir.in_memory
                    else str(datadir.database_dir(database) / CACHE_FILE)
                )
                cache = self._caches[database] = PersistentEmbeddingCache(path)
            return cache

    def function(self, database: str, model: str, kind: str = "document") -> EmbeddingFunction:
        """The model's function in ``database``. Rows' vectors (``document``) are committed
        to the cache before the statement goes on, so that they outlive its failure; a
        text query's (``query``) is committed in the background, off the SELECT's path."""
        from autovec.embeddings import EmbeddingFunction

        key = (database, model, kind)
        fn = self._functions.get(key)  # the common case, without the lock
        if fn is not None:
            return fn
        with self._lock:
            fn = self._functions.get(key)
            if fn is None:
                cache = self.cache(database)
                fn = EmbeddingFunction(
                    model,
                    keys=self.keys,
                    cache=cache.deferred() if kind == "query" else cache,
                    model_cache=self.model_cache,
                )
                self._functions[key] = fn
            return fn

    def embed(
        self,
        database: str,
        model: str,
        inputs: Sequence[EmbedInput],
        kind: str,
        options: str | None,
        *,
        check_interrupted: Callable[[], None] | None = None,
    ) -> np.ndarray:
        """Vectors for texts, or images (``data:`` URIs) for an EMBED_IMAGE column.

        ``check_interrupted`` (the statement's KILL check) is called between the chunks
        of a long call, so a whole statement's inputs can be one call.
        """
        from autovec.embeddings import EmbeddingError
        from autovec.embeddings.base import interrupt_check

        token = interrupt_check.set(check_interrupted)
        try:
            return self.function(database, model, kind).embed(inputs, kind, options)  # type: ignore[arg-type]
        except EmbeddingError as exc:
            raise embedding_error(exc) from None
        finally:
            interrupt_check.reset(token)

    def close(self) -> None:
        """Close the caches' files; a later call opens them again."""
        with self._lock:
            caches = list(self._caches.values())
            self._caches.clear()
            self._functions.clear()
        for cache in caches:
            cache.close()
