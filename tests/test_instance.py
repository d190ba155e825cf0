"""One instance per data directory and process: shared by its connections, opened by the
first ``connect`` and closed (dirty indexes saved) by the last ``close``; the index files
it keeps through ``storage.index_files``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import autovec
from autovec.sql import instance as instances
from autovec.sql import vector_index
from autovec.sql.plan_cache import PlanCache, PlanKind
from autovec.storage.datadir import DataDirectory
from autovec.storage.hnsw import HnswIndex, HnswParams
from autovec.storage.index_files import IndexFiles
from tests.conftest import rows

SEARCH = "SELECT id FROM items ORDER BY VEC_L2_DISTANCE(v, '[1,0,0]') LIMIT 3"


def indexed_table(conn: autovec.Connection, count: int) -> None:
    """A table whose vector index holds ``count`` rows in memory, none of them saved yet."""
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, v VECTOR(3), VECTOR INDEX idx ((VEC_L2_DISTANCE(v))))"
    )
    cur.execute(SEARCH)  # loads the index (built from no rows) and saves it
    cur.executemany("INSERT INTO items VALUES (%s, %s)", [(i, [i, 1, 0]) for i in range(count)])
    conn.commit()
    cur.execute(SEARCH)  # catches the index up with the rows: dirty, below SAVE_EVERY
    assert count < vector_index.SAVE_EVERY


def test_connections_to_one_directory_share_its_instance(datadir: Path) -> None:
    first = autovec.connect(datadir, autocommit=True)
    second = autovec.connect(datadir, autocommit=True)
    assert first.instance is second.instance
    assert first.instance in instances.open_instances()
    assert first.instance.users == 2
    first.cursor().execute("CREATE TABLE t (id INT)")
    assert rows(second.cursor(), "SHOW TABLES") == [("t",)]  # the other's DDL, seen at once
    first.close()
    assert not second.instance.closed
    second.close()
    assert second.instance.closed and second.instance not in instances.open_instances()


def test_closing_the_last_connection_saves_dirty_indexes(
    datadir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    indexed_table(conn, 40)
    files = IndexFiles(DataDirectory(datadir))
    assert files.saved_rows("test", "items", "idx") == 0  # built empty, caught up in memory
    first = conn.instance
    conn.close()
    assert first not in instances.open_instances()
    assert files.saved_rows("test", "items", "idx") == 40

    def no_rebuild(*_args: object) -> None:
        raise AssertionError("the saved index was rebuilt instead of loaded")

    monkeypatch.setattr(vector_index, "build", no_rebuild)
    reopened = autovec.connect(datadir, autocommit=True)
    assert reopened.instance is not first  # a fresh instance, which sees the data
    cur = reopened.cursor()
    assert rows(cur, SEARCH) == [(1,), (0,), (2,)]
    assert len(reopened.instance.indexes.indexes[("test", "items", "idx")]) == 40
    reopened.close()


def test_memory_connections_do_not_share(tmp_path: Path) -> None:
    first = autovec.connect(":memory:", autocommit=True)
    second = autovec.connect(":memory:", autocommit=True)
    assert first.instance is not second.instance
    first.cursor().execute("CREATE TABLE t (id INT)")
    assert rows(second.cursor(), "SHOW TABLES") == []
    first.close()
    second.close()
    assert first.instance.closed and second.instance.closed
    assert not {first.instance, second.instance} & set(instances.open_instances())


def test_a_failed_connect_releases_the_instance(datadir: Path) -> None:
    with pytest.raises(autovec.OperationalError):
        autovec.connect(datadir, database="missing")
    key = DataDirectory(datadir).key
    assert all(instance.key != key for instance in instances.open_instances())


def test_index_files_round_trip(tmp_path: Path) -> None:
    files = IndexFiles(DataDirectory(tmp_path))
    params = HnswParams(m=8)
    index = HnswIndex(3, "L2", params, version=7)
    index.upsert(np.array([1, 2], dtype=np.int64), np.eye(3, dtype=np.float32)[:2])
    files.save("db", "Items", "Idx", index)
    assert files.path("db", "items", "idx") == tmp_path / "db" / "indexes" / "items" / "idx.usearch"
    assert files.saved_rows("db", "items", "idx") == 2
    loaded = files.load("db", "items", "idx", 3, "L2", params)
    assert loaded is not None and loaded.version == 7 and len(loaded) == 2
    assert files.load("db", "items", "idx", 3, "COSINE", params) is None  # built differently
    files.rename_table("db", "items", "goods")
    assert files.load("db", "items", "idx", 3, "L2", params) is None
    assert files.saved_rows("db", "goods", "idx") == 2
    files.delete_index("db", "goods", "idx")
    assert files.saved_rows("db", "goods", "idx") == 0
    files.save("db", "goods", "other", index)
    files.delete_table("db", "goods")
    assert not (tmp_path / "db" / "indexes" / "goods").exists()


def test_an_in_memory_directory_has_no_index_files() -> None:
    files = IndexFiles(DataDirectory(":memory:"))
    index = HnswIndex(3, "L2", HnswParams())
    files.save("db", "t", "i", index)  # nowhere to save: nothing happens
    assert files.path("db", "t", "i") is None
    assert files.load("db", "t", "i", 3, "L2", HnswParams()) is None
    assert files.saved_rows("db", "t", "i") == 0


def test_the_plan_cache_keeps_the_most_recent_plans() -> None:
    numbers: PlanKind[int] = PlanKind("numbers")
    cache = PlanCache(size=2)
    for n in range(3):
        cache.remember(numbers, ("n", n), n)
    assert cache.get(numbers, ("n", 0)) is None
    assert cache.get(numbers, ("n", 2)) == 2
    cache.clear()
    assert cache.get(numbers, ("n", 2)) is None
