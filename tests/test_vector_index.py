"""HNSW vector indexes: TiDB's DDL, index-driven search with filters, and crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import autovec
from tests.conftest import rows
from tests.mock_providers.huggingface import HuggingFaceMock


def plan_of(cur: autovec.Cursor, sql: str, params: object = None) -> str:
    cur.execute("EXPLAIN " + sql, params)  # type: ignore[arg-type]
    return " ".join(str(r[3]) + " " + str(r[4]) for r in cur.fetchall())


@pytest.fixture
def items(cur: autovec.Cursor) -> tuple[autovec.Cursor, np.ndarray]:
    rng = np.random.default_rng(3)
    data = rng.standard_normal((2000, 16)).astype(np.float32)
    cur.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, cat INT, v VECTOR(16), VECTOR INDEX idx_v ((VEC_COSINE_DISTANCE(v))))"
    )
    cur.executemany(
        "INSERT INTO items VALUES (%s, %s, %s)", [(i, i % 1000, data[i]) for i in range(len(data))]
    )
    return cur, data


def exact(data: np.ndarray, q: np.ndarray, k: int, keep: np.ndarray | None = None) -> list[int]:
    d = 1 - (data @ q) / (np.linalg.norm(data, axis=1) * np.linalg.norm(q))
    order = np.argsort(d, kind="stable")
    if keep is not None:
        order = order[keep[order]]
    return order[:k].tolist()


def test_ddl_forms(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE a (id INT, v VECTOR(3), VECTOR INDEX ((VEC_COSINE_DISTANCE(v))) USING HNSW)"
    )
    cur.execute("CREATE TABLE b (id INT, v VECTOR(3) COMMENT 'hnsw(distance=l2)')")
    cur.execute("CREATE VECTOR INDEX IF NOT EXISTS ib ON b ((VEC_COSINE_DISTANCE(v))) USING HNSW")
    cur.execute("CREATE VECTOR INDEX IF NOT EXISTS ib ON b ((VEC_COSINE_DISTANCE(v))) USING HNSW")
    cur.execute("CREATE TABLE c (id INT, v VECTOR(3))")
    cur.execute("ALTER TABLE c SET TIFLASH REPLICA 1")
    cur.execute(
        "ALTER TABLE c ADD VECTOR INDEX ic ((VEC_L2_DISTANCE(v))) USING HNSW ADD_COLUMNAR_REPLICA_ON_DEMAND"
    )
    assert (
        "VECTOR INDEX `vector_index`((VEC_COSINE_DISTANCE(`v`)))"
        in rows(cur, "SHOW CREATE TABLE a")[0][1]
    )
    assert {(r[2], r[10]) for r in rows(cur, "SHOW INDEX FROM b")} == {
        ("vector_index", "HNSW"),
        ("ib", "HNSW"),
    }
    assert (
        "VECTOR INDEX `vector_index`((VEC_L2_DISTANCE(`v`)))"
        in rows(cur, "SHOW CREATE TABLE b")[0][1]
    )
    assert rows(
        cur,
        "SELECT TABLE_NAME, REPLICA_COUNT, AVAILABLE FROM information_schema.TIFLASH_REPLICA ORDER BY TABLE_NAME",
    ) == [
        ("a", 1, 1),
        ("b", 1, 1),
        ("c", 1, 1),
    ]
    cur.execute("DROP INDEX ic ON c")
    assert rows(cur, "SHOW INDEX FROM c") == []


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "CREATE VECTOR INDEX x ON t ((VEC_L1_DISTANCE(v)))",
            "only support VEC_COSINE_DISTANCE and VEC_L2_DISTANCE",
        ),
        (
            "CREATE VECTOR INDEX x ON t ((VEC_NEGATIVE_INNER_PRODUCT(v)))",
            "only support VEC_COSINE_DISTANCE",
        ),
        (
            "CREATE VECTOR INDEX x ON t ((VEC_COSINE_DISTANCE(n)))",
            "only support vector type, but this is type: int",
        ),
        (
            "CREATE VECTOR INDEX x ON t ((VEC_COSINE_DISTANCE(free)))",
            "can only be defined on fixed-dimension vector columns",
        ),
        (
            "CREATE VECTOR INDEX x ON t ((VEC_COSINE_DISTANCE(v)))",
            "vector index x function vec_cosine_distance already exist on column v",
        ),
        (
            "CREATE VECTOR INDEX x ON t ((VEC_L2_DISTANCE(v))) INVISIBLE",
            "Unsupported set vector index invisible",
        ),
        ("ALTER TABLE t DROP COLUMN v", "can't drop column v with Vector Key covered now"),
        (
            "ALTER TABLE t MODIFY COLUMN v VECTOR(4)",
            "Unsupported modify column: vector indexes on the column",
        ),
        (
            "CREATE TABLE w (v VECTOR(3), KEY (v))",
            "only VECTOR INDEX can be added to vector column",
        ),
        (
            "ALTER TABLE t ADD COLUMN x INT, ADD VECTOR INDEX x ((VEC_L2_DISTANCE(v)))",
            "Unsupported multi schema change",
        ),
        (
            "ALTER TABLE t ADD VECTOR INDEX x ((VEC_L2_DISTANCE(v))), ADD COLUMN y INT",
            "Unsupported multi schema change",
        ),
        (
            "CREATE TEMPORARY TABLE w (v VECTOR(3), VECTOR INDEX ((VEC_COSINE_DISTANCE(v))))",
            "`vector index` is unsupported on temporary tables",
        ),
        (
            "CREATE VECTOR INDEX y ON t ((VEC_L2_DISTANCE(v))) COMMENT 'm=abc'",
            "vector index option m must be an integer from 2 to 512, got 'abc'",
        ),
        (
            "ALTER TABLE t ADD VECTOR INDEX y ((VEC_L2_DISTANCE(v))) COMMENT 'hnsw(m=-1)'",
            "option m must be an integer from 2 to 512, got '-1'",
        ),
        (
            "CREATE VECTOR INDEX y ON t ((VEC_L2_DISTANCE(v))) COMMENT 'ef_search=0'",
            "option ef_search must be an integer from 1 to 10000",
        ),
    ],
)
def test_ddl_errors(cur: autovec.Cursor, sql: str, message: str) -> None:
    cur.execute(
        "CREATE TABLE t (n INT, free VECTOR, v VECTOR(3), VECTOR INDEX iv ((VEC_COSINE_DISTANCE(v))))"
    )
    with pytest.raises(autovec.DatabaseError, match=message):
        cur.execute(sql)


def test_index_search_matches_exact_and_explains(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = items
    rng = np.random.default_rng(9)
    hits = 0
    for _ in range(20):
        q = rng.standard_normal(16).astype(np.float32)
        got = [
            r[0]
            for r in rows(
                cur, "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(%s, v) LIMIT 10", [q]
            )
        ]
        hits += len(set(got) & set(exact(data, q, 10)))
    assert hits / 200 >= 0.95
    assert "annIndex:COSINE(v..[" in plan_of(
        cur, "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10", [data[0]]
    )
    assert "index:idx_v(v)" in plan_of(
        cur, "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10", [data[0]]
    )


@pytest.mark.parametrize(
    ("condition", "keep"),
    [("cat < 100", lambda ids: ids % 1000 < 100), ("cat = 7", lambda ids: ids % 1000 == 7)],
)
def test_filtered_search_returns_k_matching_rows(
    items: tuple[autovec.Cursor, np.ndarray], condition: str, keep: object
) -> None:
    cur, data = items
    mask = keep(np.arange(len(data)))  # type: ignore[operator]
    q = data[5]
    k = 10
    got = [
        r[0]
        for r in rows(
            cur,
            f"SELECT id FROM items WHERE {condition} ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT {k}",
            [q],
        )
    ]
    expected = exact(data, q, k, mask)
    assert len(got) == min(k, int(mask.sum()))
    assert all(mask[i] for i in got)
    assert len(set(got) & set(expected)) >= 0.9 * len(expected)
    assert "annIndex" in plan_of(
        cur,
        f"SELECT id FROM items WHERE {condition} ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT {k}",
        [q],
    )


def test_index_follows_writes_and_rollback(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, _ = items
    target = np.ones(16, dtype=np.float32)
    sql = "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 1"
    cur.execute("INSERT INTO items VALUES (5000, 1, %s)", [target])
    assert rows(cur, sql, [target]) == [(5000,)]
    cur.execute("UPDATE items SET v = %s WHERE id = 5000", [-target])
    assert rows(cur, sql, [target]) != [(5000,)]
    cur.execute("UPDATE items SET v = %s WHERE id = 17", [target])
    assert rows(cur, sql, [target]) == [(17,)]
    cur.execute("DELETE FROM items WHERE id = 17")
    assert rows(cur, sql, [target])[0][0] != 17
    cur.execute("BEGIN")
    cur.execute("INSERT INTO items VALUES (6000, 1, %s)", [target])
    assert rows(cur, sql, [target]) == [(6000,)]  # our own uncommitted row
    cur.execute("ROLLBACK")
    assert rows(cur, sql, [target])[0][0] != 6000


def test_warnings_when_the_index_cannot_be_used(items: tuple[autovec.Cursor, np.ndarray]) -> None:
    cur, data = items
    cases = {
        "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) DESC LIMIT 3": "in ASC order",
        "SELECT id FROM items ORDER BY VEC_L2_DISTANCE(v, %s) LIMIT 3": "not ordering by COSINE distance",
        "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s)": "only Top N queries",
        "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s), id LIMIT 3": "order by multiple expressions",
    }
    for sql, reason in cases.items():
        cur.execute(sql, [data[0]])
        warnings = rows(cur, "SHOW WARNINGS")
        assert any(reason in w[2] and w[2].startswith("ANN index not used") for w in warnings), (
            sql,
            warnings,
        )


def test_progress_and_reads_during_build(datadir: Path) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE big (id INT PRIMARY KEY, v VECTOR(8))")
    data = np.random.default_rng(1).standard_normal((20000, 8)).astype(np.float32)
    cur.executemany("INSERT INTO big VALUES (%s, %s)", [(i, data[i]) for i in range(len(data))])
    reader = autovec.connect(datadir, autocommit=True)
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int, label: str) -> None:
        # Another connection reads the table while the index is being built.
        seen.append((done, total, rows(reader.cursor(), "SELECT count(*) FROM big")[0][0]))

    conn.session.progress = progress
    cur.execute("CREATE VECTOR INDEX iv ON big ((VEC_L2_DISTANCE(v)))")
    assert seen[-1] == (20000, 20000, 20000) and len(seen) >= 2
    assert rows(
        cur,
        "SELECT ROWS_STABLE_INDEXED, ROWS_STABLE_NOT_INDEXED FROM information_schema.TIFLASH_INDEXES",
    ) == [(20000, 0)]
    reader.close()
    conn.close()


def test_embedding_column_index_serves_vec_embed(
    cur: autovec.Cursor, huggingface_mock: HuggingFaceMock
) -> None:
    for name, value in huggingface_mock.variables().items():
        cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
    cur.execute(
        "CREATE TABLE docs (id INT, body TEXT, "
        "emb VECTOR(1024) GENERATED ALWAYS AS (EMBED_TEXT('huggingface/BAAI/bge-m3', body)) STORED, "
        "VECTOR INDEX idx_emb ((VEC_COSINE_DISTANCE(emb))))"
    )
    cur.execute("INSERT INTO docs (id, body) VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma')")
    sql = "SELECT id FROM docs ORDER BY VEC_EMBED_COSINE_DISTANCE(emb, 'beta') LIMIT 1"
    assert "annIndex:COSINE(emb.." in plan_of(cur, sql)
    assert rows(cur, sql) == [(2,)]


WRITER = """
import sys, numpy as np, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
rng = np.random.default_rng(int(sys.argv[2]))
print("ready", flush=True)
next_id = 100000 * (int(sys.argv[2]) + 1)
for step in range(100000):
    action = rng.integers(0, 4)
    if action == 0:
        cur.executemany("INSERT INTO t VALUES (%s, %s)", [(next_id + i, rng.standard_normal(8).astype(np.float32)) for i in range(20)])
        next_id += 20
    elif action == 1:
        cur.execute("UPDATE t SET v = %s WHERE id IN (SELECT id FROM t ORDER BY RANDOM() LIMIT 5)", [rng.standard_normal(8).astype(np.float32)])
    elif action == 2:
        cur.execute("DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY RANDOM() LIMIT 5)")
    else:
        cur.execute("SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, %s) LIMIT 5", [rng.standard_normal(8).astype(np.float32)])
"""

VERIFIER = """
import sys, numpy as np, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
cur.execute("SELECT id, v FROM t")
table = {i: np.asarray(v) for i, v in cur.fetchall()}
cur.execute("EXPLAIN SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, '[1,1,1,1,1,1,1,1]') LIMIT 1")
assert "annIndex" in str(cur.fetchall())
cur.execute("SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, '[1,1,1,1,1,1,1,1]') LIMIT 1")  # loads, catches up
# The index holds exactly the table: every row, with its current vector, and nothing else.
index = list(conn.instance.indexes.indexes.values())[0]
assert len(index) == len(table), (len(index), len(table))
keys, vectors = index.vectors(np.array(sorted(table), dtype=np.int64))
assert len(keys) == len(table)
for key, vector in zip(keys.tolist(), vectors):
    assert np.array_equal(vector, table[key]), key
# And searching through SQL finds rows by their own vectors (HNSW is approximate: allow a few misses).
sample = sorted(table)[-25:] + list(np.random.default_rng(0).choice(sorted(table), 25))
found = 0
for row in sample:
    cur.execute("SELECT VEC_L2_DISTANCE(v, %s) FROM t ORDER BY VEC_L2_DISTANCE(v, %s) LIMIT 1", [table[row], table[row]])
    found += cur.fetchone()[0] == 0.0
assert found >= 0.9 * len(sample), found
cur.execute("SELECT ROWS_STABLE_INDEXED, ROWS_STABLE_NOT_INDEXED FROM information_schema.TIFLASH_INDEXES")
assert cur.fetchone() == (len(table), 0)
print("consistent", len(table), flush=True)
"""


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_crash_at_many_points_leaves_a_consistent_index(datadir: Path) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(8), VECTOR INDEX iv ((VEC_L2_DISTANCE(v))))"
    )
    data = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, data[i]) for i in range(300)])
    rows(cur, "SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, %s) LIMIT 1", [data[0]])
    conn.close()
    env = {**os.environ, "AUTOVEC_INDEX_SAVE_EVERY": "50"}  # save often: kills land mid-save too
    for attempt, delay in enumerate([0.3, 0.7, 1.1, 1.6, 2.2]):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(datadir), str(attempt)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        checked = run_python(VERIFIER, str(datadir), env=env)
        assert checked.returncode == 0, checked.stderr[-2000:]
        assert "consistent" in checked.stdout


def test_missing_or_corrupt_index_file_is_rebuilt(datadir: Path) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(8), VECTOR INDEX iv ((VEC_L2_DISTANCE(v))))"
    )
    data = np.random.default_rng(0).standard_normal((200, 8)).astype(np.float32)
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, data[i]) for i in range(200)])
    rows(cur, "SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, %s) LIMIT 1", [data[0]])
    conn.close()
    index_file = datadir / "test" / "indexes" / "t" / "iv.usearch"
    assert index_file.exists()
    index_file.write_bytes(b"not an index" * 10)
    checked = run_python(VERIFIER, str(datadir))
    assert checked.returncode == 0, checked.stderr[-2000:]
    index_file.unlink()
    checked = run_python(VERIFIER, str(datadir))
    assert checked.returncode == 0, checked.stderr[-2000:]


HYBRID = """
WITH vec AS (
  SELECT id, ROW_NUMBER() OVER (ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]')) AS r
  FROM docs ORDER BY VEC_COSINE_DISTANCE(embedding, '[1,0,0]') LIMIT 20
), fts AS (
  SELECT id, ROW_NUMBER() OVER (ORDER BY fts_match_word('quick fox', text) DESC) AS r
  FROM docs WHERE fts_match_word('quick fox', text)
  ORDER BY fts_match_word('quick fox', text) DESC LIMIT 20
)
SELECT d.id FROM docs d LEFT JOIN vec ON d.id = vec.id LEFT JOIN fts ON d.id = fts.id
ORDER BY COALESCE(1/(60+vec.r),0) + COALESCE(1/(60+fts.r),0) DESC, d.id
"""


def test_hybrid_sql_uses_both_indexes(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE docs (id INT PRIMARY KEY, text TEXT, embedding VECTOR(3), "
        "VECTOR INDEX iv ((VEC_COSINE_DISTANCE(embedding))), FULLTEXT INDEX ft (text) WITH PARSER STANDARD)"
    )
    cur.execute(
        "INSERT INTO docs VALUES (1, 'the quick brown fox', '[1,0,0]'), (2, 'lazy dog', '[0.9,0.1,0]'), "
        "(3, 'quick quick fox', '[0,1,0]'), (4, 'nothing here', '[0,0,1]')"
    )
    # vector ranks 1,2,3,4; text ranks 3,1: fused 1 (1/61+1/62), 3 (1/63+1/61), 2, 4
    assert [r[0] for r in rows(cur, HYBRID)] == [1, 3, 2, 4]
    plan = plan_of(cur, HYBRID)
    assert "annIndex:COSINE(embedding.." in plan and "index:iv(embedding)" in plan
    assert "FTS_MATCH_WORD" in plan.upper() or "textSearch" in plan


def test_pytidb_post_filter_pattern_uses_the_index(
    items: tuple[autovec.Cursor, np.ndarray],
) -> None:
    """pytidb's default search: a top-N subquery by distance, filtered and cut outside."""
    cur, data = items
    sql = (
        "SELECT id, _distance FROM (SELECT id, cat, VEC_COSINE_DISTANCE(v, %s) AS _distance FROM items "
        "ORDER BY _distance LIMIT 100) t WHERE cat < 500 ORDER BY _distance LIMIT 5"
    )
    got = rows(cur, sql, [data[3]])
    assert got[0][0] == 3 and got[0][1] == pytest.approx(0, abs=1e-6) and len(got) == 5
    assert "annIndex" in plan_of(cur, sql, [data[3]])


def _nearest(cur: autovec.Cursor) -> list[tuple[object, ...]]:
    return rows(cur, "SELECT id FROM f ORDER BY VEC_L2_DISTANCE(v, '[0,0]') LIMIT 2")


def test_searches_see_commits_of_other_connections_and_processes(datadir: Path) -> None:
    # A session that found the index current skips re-reading the table version until the
    # database file changes: commits by this connection, another one, or another process.
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE f (id INT PRIMARY KEY, v VECTOR(2), VECTOR INDEX iv ((VEC_L2_DISTANCE(v))))"
    )
    cur.executemany("INSERT INTO f VALUES (%s, %s)", [(i, [i, i]) for i in range(10, 20)])
    assert _nearest(cur) == [(10,), (11,)]
    assert _nearest(cur) == [(10,), (11,)]  # the shortcut: nothing changed
    cur.execute("INSERT INTO f VALUES (5, '[5,5]')")  # this connection
    assert _nearest(cur) == [(5,), (10,)]
    other = autovec.connect(datadir, autocommit=True)
    other.cursor().execute("DELETE FROM f WHERE id = 5")  # another connection
    assert _nearest(cur) == [(10,), (11,)]
    other.close()
    code = "import sys, autovec; autovec.connect(sys.argv[1], autocommit=True).cursor().execute(\"INSERT INTO f VALUES (1, '[1,1]')\")"
    assert run_python(code, str(datadir)).returncode == 0  # another process
    assert _nearest(cur) == [(1,), (10,)]
    conn.close()


def test_result_columns_follow_schema_changes_by_another_process(datadir: Path) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE s (id INT PRIMARY KEY, a INT)")
    cur.execute("INSERT INTO s VALUES (1, 2)")
    cur.execute("SELECT * FROM s")
    assert [d[0] for d in cur.description] == ["id", "a"]
    code = "import sys, autovec; autovec.connect(sys.argv[1], autocommit=True).cursor().execute('ALTER TABLE s RENAME COLUMN a TO b')"
    result = run_python(code, str(datadir))
    assert result.returncode == 0, result.stderr
    cur.execute("SELECT * FROM s")
    assert [d[0] for d in cur.description] == ["id", "b"] and cur.fetchall() == [(1, 2)]
    conn.close()


@pytest.mark.parametrize(
    ("condition", "params", "keep"),
    [
        ("cat < %s", [500], lambda ids: ids % 1000 < 500),
        ("cat >= 900 AND id %% 2 = %s", [1], lambda ids: (ids % 1000 >= 900) & (ids % 2 == 1)),
    ],
)
def test_filtered_graph_search_checks_only_its_candidates(
    items: tuple[autovec.Cursor, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
    condition: str,
    params: list[object],
    keep: object,
) -> None:
    # Filters that keep many rows: the graph is searched widely and SQLite checks only
    # those candidates against the WHERE clause (with its parameters).
    from autovec.sql import vector_index

    monkeypatch.setattr(vector_index, "EXACT_BELOW", 50)
    cur, data = items
    mask = keep(np.arange(len(data)))  # type: ignore[operator]
    k = 10
    sql = f"SELECT id FROM items WHERE {condition} ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT {k}"
    for q in (data[5], data[1500] + 0.1):
        got = [r[0] for r in rows(cur, sql, [*params, q])]
        expected = exact(data, q, k, mask)
        assert len(got) == k and all(mask[i] for i in got)
        assert len(set(got) & set(expected)) >= 0.8 * k
    assert "annIndex" in plan_of(cur, sql, [*params, data[5]])


def test_negative_rowids_are_indexed(cur: autovec.Cursor) -> None:
    """Rowids may be negative, down to -2^63: the index keeps and finds every one."""
    cur.execute(
        "CREATE TABLE neg (id BIGINT PRIMARY KEY, e VECTOR(3),"
        " VECTOR INDEX ie ((VEC_COSINE_DISTANCE(e))))"
    )
    cur.execute(
        "INSERT INTO neg VALUES (1, '[2,0,0.1]'), (-9, '[1,1,1]'),"
        " (-9223372036854775808, '[0,1,1]'), (-9223372036854775807, '[0,0,1]')"
    )
    query = "SELECT id FROM neg ORDER BY VEC_COSINE_DISTANCE(e, '[1,1,1]') LIMIT 4"
    assert rows(cur, query) == [(-9,), (-(2**63),), (1,), (-(2**63) + 1,)]
    cur.execute("UPDATE neg SET e = '[1,1,0.9]' WHERE id = -9223372036854775807")
    cur.execute("DELETE FROM neg WHERE id = -9")
    assert rows(cur, query) == [(-(2**63) + 1,), (-(2**63),), (1,)]
    cur.execute("ALTER TABLE neg ADD VECTOR INDEX il ((VEC_L2_DISTANCE(e)))")  # a fresh build
    assert rows(cur, "SELECT id FROM neg ORDER BY VEC_L2_DISTANCE(e, '[0,1,1]') LIMIT 1") == [
        (-(2**63),)
    ]


AFTER_AN_INDEX = """
import sys
import autovec
cur = autovec.connect(sys.argv[1], autocommit=True).cursor()
cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(2), VECTOR INDEX ((VEC_COSINE_DISTANCE(v))))")
cur.execute("INSERT INTO t VALUES (1, '[1,0]'), (2, '[0,1]')")
cur.execute("SELECT id FROM t ORDER BY VEC_COSINE_DISTANCE(v, '[1,0.1]') LIMIT 1")
assert cur.fetchall() == [(1,)] and "usearch.compiled" in sys.modules
import onnxruntime  # what the local model runtime does when it first loads a model
print("both loaded", flush=True)
"""


def test_onnx_runtime_loads_in_a_process_that_opened_a_vector_index(datadir: Path) -> None:
    """onnxruntime segfaulted on import once usearch's compiled module was loaded."""
    pytest.importorskip("onnxruntime")
    done = run_python(AFTER_AN_INDEX, str(datadir))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "both loaded\n"
