"""A text query's vector is cached without the SELECT waiting for a commit.

The persistent cache commits a row's vector before the writing statement goes on (it
must outlive the statement's failure); a query's vector is committed by a background
thread instead, and found in memory until then.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import apsw
import numpy as np
import pytest

import autovec
from autovec.storage import embedding_cache
from autovec.storage.embedding_cache import PersistentEmbeddingCache
from tests.conftest import rows
from tests.mock_providers.huggingface import HuggingFaceMock

MODEL = "huggingface/BAAI/bge-m3"


def on_disk(path: Path) -> int:
    """Entries committed to the cache file, read through a connection of its own."""
    cache = PersistentEmbeddingCache(path)
    try:
        return len(cache)
    finally:
        cache.close()


def test_a_deferred_write_is_found_at_once_and_committed_by_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite"
    cache = PersistentEmbeddingCache(path)
    vector = np.arange(4, dtype=np.float32)
    cache.deferred().put_many("m", "{}", ["question"], [vector])
    found = cache.get_many("m", "{}", ["question", "other"])
    assert found[1] is None and found[0] is not None and found[0].tolist() == vector.tolist()
    cache.flush()
    assert on_disk(path) == 1
    cache.close()


def test_flush_and_close_do_not_wait_out_the_writers_linger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding_cache, "LINGER_SECONDS", 60.0)
    path = tmp_path / "embeddings.sqlite"
    cache = PersistentEmbeddingCache(path)
    deferred = cache.deferred()
    deferred.put_many("m", "{}", ["first"], [np.ones(3, np.float32)])
    time.sleep(0.2)  # the writer is lingering now
    deferred.put_many("m", "{}", ["second"], [np.ones(3, np.float32)])
    started = time.monotonic()
    cache.flush()
    assert time.monotonic() - started < 30
    assert on_disk(path) == 2
    deferred.put_many("m", "{}", ["third"], [np.ones(3, np.float32)])
    started = time.monotonic()
    cache.close()
    assert time.monotonic() - started < 30
    assert on_disk(path) == 3


def test_many_deferred_rows_are_committed_without_waiting_for_the_linger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding_cache, "LINGER_SECONDS", 60.0)
    path = tmp_path / "embeddings.sqlite"
    cache = PersistentEmbeddingCache(path)
    texts = [f"q{i}" for i in range(embedding_cache.LINGER_ROWS)]
    cache.deferred().put_many("m", "{}", texts, [np.ones(3, np.float32)] * len(texts))
    deadline = time.monotonic() + 30
    while on_disk_without_flush(path) < len(texts) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert on_disk_without_flush(path) == len(texts)
    cache.close()


def on_disk_without_flush(path: Path) -> int:
    """Committed entries, read with plain SQLite (another cache object would not flush ours)."""
    conn = apsw.Connection(str(path))
    try:
        row = conn.execute("SELECT count(*) FROM embeddings").fetchone()
        return int(row[0]) if row else 0
    finally:
        conn.close()


def test_close_commits_what_is_pending(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite"
    cache = PersistentEmbeddingCache(path)
    texts = [f"q{i}" for i in range(200)]
    writers = [
        threading.Thread(
            target=lambda t=text: cache.deferred().put_many(
                "m", "{}", [t], [np.ones(3, np.float32)]
            )
        )
        for text in texts
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    cache.close()
    assert on_disk(path) == len(texts)


def test_a_text_query_is_cached_on_disk_and_not_embedded_again(
    tmp_path: Path, huggingface_mock: HuggingFaceMock
) -> None:
    datadir = tmp_path / "data"
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    for name, value in huggingface_mock.variables().items():
        cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
    cur.execute(
        f"CREATE TABLE d (id INT PRIMARY KEY, body TEXT, v VECTOR(1024) "
        f"GENERATED ALWAYS AS (EMBED_TEXT('{MODEL}', body)) STORED)"
    )
    cur.executemany("INSERT INTO d (id, body) VALUES (%s, %s)", [(1, "apples"), (2, "pears")])
    search = "SELECT id FROM d ORDER BY VEC_EMBED_COSINE_DISTANCE(v, %s) LIMIT 1"
    first = rows(cur, search, ["fruit"])
    asked = len(huggingface_mock.requests)
    assert rows(cur, search, ["fruit"]) == first  # found before or after the commit
    assert len(huggingface_mock.requests) == asked
    conn.close()  # commits the query's vector
    assert on_disk(datadir / "test" / "embeddings.sqlite") == 3
    again = autovec.connect(datadir, autocommit=True)
    assert rows(again.cursor(), search, ["fruit"]) == first
    assert len(huggingface_mock.requests) == asked
    again.close()
