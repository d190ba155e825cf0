"""Both embedding caches key an entry by the one function in :mod:`autovec.cache_key`."""

from __future__ import annotations

from pathlib import Path

import apsw
import numpy as np

from autovec.cache_key import cache_key
from autovec.embeddings import LRUEmbeddingCache
from autovec.embeddings import cache_key as embeddings_cache_key
from autovec.storage.embedding_cache import PersistentEmbeddingCache

MODEL = "openai/text-embedding-3-small"
OPTIONS = '{"dimensions":3}'


def test_the_embeddings_package_exports_the_shared_function() -> None:
    assert embeddings_cache_key is cache_key


def test_the_on_disk_cache_stores_rows_under_the_shared_key(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite"
    on_disk = PersistentEmbeddingCache(path)
    vector = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    on_disk.put_many(MODEL, OPTIONS, ["héllo \ud800"], [vector])
    on_disk.close()

    conn = apsw.Connection(str(path))
    (stored_key,) = conn.execute("SELECT key FROM embeddings").fetchone()
    conn.close()
    assert stored_key == cache_key(MODEL, OPTIONS, "héllo \ud800")


def test_an_entry_is_found_by_the_key_either_cache_computes(tmp_path: Path) -> None:
    vector = np.array([0.5, -0.5, 1.0], dtype=np.float32)
    in_memory = LRUEmbeddingCache()
    on_disk = PersistentEmbeddingCache(tmp_path / "embeddings.sqlite")
    for cache in (in_memory, on_disk):
        cache.put_many(MODEL, OPTIONS, ["a", "b"], [vector, -vector])
        found = cache.get_many(MODEL, OPTIONS, ["b", "a", "c"])
        assert found[2] is None
        np.testing.assert_array_equal(found[0], -vector)
        np.testing.assert_array_equal(found[1], vector)
        # A different model or options is a different entry.
        assert cache.get_many(MODEL, '{"dimensions":4}', ["a"]) == [None]
    on_disk.close()
