"""The cache interface and its in-memory LRU implementation."""

from __future__ import annotations

import numpy as np

from autovec.embeddings import EmbeddingCache, LRUEmbeddingCache, NullCache, cache_key


def vec(x: float) -> np.ndarray:
    return np.full(3, x, dtype=np.float32)


def test_key_separates_model_options_and_input() -> None:
    keys = {
        cache_key("m", "{}", "a"),
        cache_key("m", '{"a":1}', "a"),
        cache_key("m2", "{}", "a"),
        cache_key("m", "{}", "b"),
        cache_key("m", "{}a", ""),
    }
    assert len(keys) == 5


def test_lru_hits_misses_and_eviction() -> None:
    cache = LRUEmbeddingCache(max_entries=2)
    assert isinstance(cache, EmbeddingCache)
    cache.put_many("m", "{}", ["a", "b"], [vec(1), vec(2)])
    got = cache.get_many("m", "{}", ["a", "c"])
    assert got[0] is not None and got[1] is None
    np.testing.assert_array_equal(got[0], vec(1))
    cache.put_many("m", "{}", ["c"], [vec(3)])  # evicts "b" ("a" was used more recently)
    assert [v is not None for v in cache.get_many("m", "{}", ["a", "b", "c"])] == [
        True,
        False,
        True,
    ]
    assert cache.get_many("m", '{"x":1}', ["a"]) == [None]
    assert len(cache) == 2 and cache.hits == 3 and cache.misses == 3


def test_cached_vectors_are_read_only_copies() -> None:
    cache = LRUEmbeddingCache()
    v = vec(1)
    cache.put_many("m", "{}", ["a"], [v])
    v[0] = 99
    got = cache.get_many("m", "{}", ["a"])[0]
    assert got is not None and got[0] == 1 and not got.flags.writeable


def test_null_cache() -> None:
    cache = NullCache()
    assert isinstance(cache, EmbeddingCache)
    cache.put_many("m", "{}", ["a"], [vec(1)])
    assert cache.get_many("m", "{}", ["a"]) == [None]
