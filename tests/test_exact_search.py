"""ORDER BY VEC_*_DISTANCE(...) LIMIT k runs over an in-memory matrix, with exact results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autovec
from tests.conftest import rows

METRICS = {
    "VEC_COSINE_DISTANCE": lambda X, q: (
        1 - (X @ q) / (np.linalg.norm(X, axis=1) * np.linalg.norm(q))
    ),
    "VEC_L2_DISTANCE": lambda X, q: np.linalg.norm(X - q, axis=1),
    "VEC_NEGATIVE_INNER_PRODUCT": lambda X, q: -(X @ q),
    "VEC_L1_DISTANCE": lambda X, q: np.abs(X - q).sum(axis=1),
}


@pytest.fixture
def loaded(cur: autovec.Cursor) -> tuple[autovec.Cursor, np.ndarray]:
    rng = np.random.default_rng(7)
    data = rng.standard_normal((500, 8)).astype(np.float32)
    cur.execute("CREATE TABLE items (id INT PRIMARY KEY, category INT, v VECTOR(8))")
    cur.executemany(
        "INSERT INTO items VALUES (%s, %s, %s)", [(i, i % 10, data[i]) for i in range(len(data))]
    )
    return cur, data


def expected_ids(
    data: np.ndarray, q: np.ndarray, metric: str, k: int, keep: np.ndarray | None = None
) -> list[int]:
    distances = METRICS[metric](data.astype(np.float64), q.astype(np.float64))
    ids = np.arange(len(data)) if keep is None else np.flatnonzero(keep)
    order = ids[np.argsort(distances[ids], kind="stable")]
    return order[:k].tolist()


def fast_path_used(cur: autovec.Cursor, sql: str, params: object = None) -> bool:
    cur.execute("EXPLAIN " + sql, params)  # type: ignore[arg-type]
    return any("exactSearch" in str(r[4]) for r in cur.fetchall())


@pytest.mark.parametrize("metric", list(METRICS))
def test_every_metric_matches_numpy(loaded: tuple[autovec.Cursor, np.ndarray], metric: str) -> None:
    cur, data = loaded
    rng = np.random.default_rng(1)
    for _ in range(3):
        q = rng.standard_normal(8).astype(np.float32)
        sql = f"SELECT id, {metric}(v, %s) AS d FROM items ORDER BY d LIMIT 7"
        got = rows(cur, sql, [q])
        assert [r[0] for r in got] == expected_ids(data, q, metric, 7)
        assert fast_path_used(cur, sql, [q])
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(got))


def test_argument_order_literal_and_offset(loaded: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = loaded
    q = data[3]
    text = "[" + ",".join(str(float(x)) for x in q) + "]"
    got = rows(cur, f"SELECT id FROM items ORDER BY VEC_L2_DISTANCE('{text}', v) LIMIT 3 OFFSET 2")
    assert [r[0] for r in got] == expected_ids(data, q, "VEC_L2_DISTANCE", 5)[2:]


def test_where_filter_returns_k_matching_rows(loaded: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = loaded
    q = data[0]
    sql = "SELECT id FROM items WHERE category = %s ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10"
    got = [r[0] for r in rows(cur, sql, [3, q])]
    keep = np.arange(len(data)) % 10 == 3
    assert got == expected_ids(data, q, "VEC_COSINE_DISTANCE", 10, keep)
    assert fast_path_used(cur, sql, [3, q])


def test_sees_own_uncommitted_writes_and_rollback(datadir: object) -> None:
    conn = autovec.connect(datadir, autocommit=True)  # type: ignore[arg-type]
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(2))")
    cur.execute("INSERT INTO t VALUES (1, '[1,0]'), (2, '[0,1]')")
    sql = "SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, '[5,5]') LIMIT 1"
    assert rows(cur, sql) == [(1,)]  # builds the shared matrix
    other = autovec.connect(datadir, autocommit=True)  # type: ignore[arg-type]
    other_cur = other.cursor()
    cur.execute("BEGIN")
    cur.execute("INSERT INTO t VALUES (3, '[5,5]')")
    cur.execute("UPDATE t SET v = '[9,9]' WHERE id = 1")
    assert rows(cur, sql) == [(3,)]
    assert rows(other_cur, sql) == [(1,)]  # not committed: invisible elsewhere
    cur.execute("ROLLBACK")
    assert rows(cur, sql) == [(1,)]
    cur.execute("DELETE FROM t WHERE id = 1")
    assert rows(other_cur, sql) == [(2,)]  # committed change reaches the shared matrix
    other.close()
    conn.close()


def test_null_vectors_sort_first_like_mysql(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE n (id INT PRIMARY KEY, v VECTOR(2))")
    cur.execute("INSERT INTO n VALUES (1, '[1,0]'), (2, NULL), (3, '[0,0]'), (4, '[0,1]')")
    got = rows(
        cur,
        "SELECT id, VEC_COSINE_DISTANCE(v, '[1,0]') FROM n ORDER BY VEC_COSINE_DISTANCE(v, '[1,0]') LIMIT 3",
    )
    assert {r[0] for r in got[:2]} == {2, 3} and got[0][1] is None and got[2] == (1, 0.0)


def test_dimension_mismatch_is_an_error(loaded: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, _ = loaded
    with pytest.raises(autovec.DatabaseError, match="vectors have different dimensions: 8 and 2"):
        cur.execute("SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, '[1,2]') LIMIT 1")


def test_results_identical_to_plain_plan(loaded: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = loaded
    q = data[10] + 0.01
    fast = rows(
        cur,
        "SELECT id, category, VEC_COSINE_DISTANCE(v, %s) FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 20",
        [q, q],
    )
    # A subquery in FROM takes the plain plan; the answer must be the same.
    plain = rows(
        cur,
        "SELECT id, category, d FROM (SELECT id, category, VEC_COSINE_DISTANCE(v, %s) AS d FROM items) s ORDER BY d LIMIT 20",
        [q],
    )
    assert fast == plain


@pytest.mark.parametrize("indexed", [False, True])
def test_top_level_shapes_read_in_candidate_order(cur: autovec.Cursor, indexed: bool) -> None:
    # A top-level search reads its candidates nearest first (no per-row distance sort):
    # each shape prints what the plain plan (a subquery in FROM) prints.
    index = ", VECTOR INDEX idx ((VEC_L2_DISTANCE(v)))" if indexed else ""
    cur.execute(f"CREATE TABLE o (id INT PRIMARY KEY, tag VARCHAR(5), v VECTOR(2){index})")
    data = [(i, "ab"[i % 2], [round(i * 0.37 % 5, 2), i * 0.11]) for i in range(1, 40)]
    if not indexed:  # NULL distances sort first (an index holds no NULL vectors, as in TiDB)
        data += [(40, "a", None), (41, "b", [0, 0])]
    cur.executemany("INSERT INTO o VALUES (%s, %s, %s)", data)
    d = "VEC_L2_DISTANCE(v, '[2.5,1.5]')"
    for projection, where, limit in (
        ("*", "", "LIMIT 9"),
        (f"id, {d} AS d", "WHERE tag = 'a'", "LIMIT 5"),
        ("id, tag", "", "LIMIT 100 OFFSET 3"),
    ):
        searched = f"SELECT {projection} FROM o {where} ORDER BY {d} {limit}"
        plain = (
            f"SELECT * FROM (SELECT {projection}, {d} AS __d FROM o {where}) s ORDER BY __d {limit}"
        )
        cur.execute("EXPLAIN " + searched)
        assert ("annIndex" if indexed else "exactSearch") in str(cur.fetchall())
        expected = [r[:-1] for r in rows(cur, plain)]
        assert rows(cur, searched) == expected, searched


def test_tables_with_carray_column_names_still_searched(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE c (id INT PRIMARY KEY, count INT, value INT, v VECTOR(2))")
    cur.executemany(
        "INSERT INTO c VALUES (%s, %s, %s, %s)", [(i, i, -i, [i, 1]) for i in range(1, 30)]
    )
    sql = "SELECT id, count, value FROM c WHERE count > 3 ORDER BY VEC_L2_DISTANCE(v, '[10,1]') LIMIT 3"
    assert rows(cur, sql)[0] == (10, 10, -10)
    assert {r[0] for r in rows(cur, sql)[1:]} == {9, 11}
    assert fast_path_used(cur, sql)
