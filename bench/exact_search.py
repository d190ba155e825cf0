"""Exact top-10 search through SQL versus bare numpy, in one process.

100,000 random normalised 384-d vectors; the median latency of
``SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10`` through
``autovec.connect`` is divided by the median of ``X @ q`` + ``argpartition`` on the same
matrix. Prints a JSON line ``{"bench": "exact_search", "ratio": …}`` last (target ≤ 1.5).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np

import autovec


def median_ms(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()

    rng = np.random.default_rng(42)
    data = rng.standard_normal((args.rows, args.dims)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    queries = rng.standard_normal((args.queries, args.dims)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    with tempfile.TemporaryDirectory() as directory:
        conn = autovec.connect(directory, autocommit=True)
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE items (id INT PRIMARY KEY, v VECTOR({args.dims}))")
        start = time.perf_counter()
        cur.execute("BEGIN")
        cur.executemany(
            "INSERT INTO items (id, v) VALUES (%s, %s)", [(i, data[i]) for i in range(args.rows)]
        )
        cur.execute("COMMIT")
        load_s = time.perf_counter() - start

        sql = "SELECT id FROM items ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10"
        start = time.perf_counter()
        cur.execute(sql, [queries[0]])  # first query builds the in-memory matrix
        warm_ms = (time.perf_counter() - start) * 1000

        # Results must agree with numpy before timing means anything.
        for q in queries[:5]:
            cur.execute(sql, [q])
            got = [r[0] for r in cur.fetchall()]
            expected = np.argsort(1 - data @ q, kind="stable")[:10].tolist()
            assert got == expected, (got, expected)

        position = iter(range(10**9))

        def autovec_query() -> None:
            cur.execute(sql, [queries[next(position) % len(queries)]])
            cur.fetchall()

        def numpy_query() -> None:
            q = queries[next(position) % len(queries)]
            scores = data @ q
            top = np.argpartition(-scores, 10)[:10]
            top[np.argsort(-scores[top])]

        # Interleave rounds so background noise hits both sides alike.
        sql_ms, np_ms = [], []
        for _ in range(5):
            sql_ms.append(median_ms(autovec_query, args.queries // 5 or 1))
            np_ms.append(median_ms(numpy_query, args.queries // 5 or 1))
        conn.close()

    autovec_median, numpy_median = statistics.median(sql_ms), statistics.median(np_ms)
    print(f"rows={args.rows} dims={args.dims} load={load_s:.1f}s first_query={warm_ms:.0f}ms")
    print(f"autovec median {autovec_median:.2f} ms, numpy median {numpy_median:.2f} ms")
    print(
        json.dumps(
            {
                "bench": "exact_search",
                "ratio": round(autovec_median / numpy_median, 3),
                "autovec_ms": round(autovec_median, 3),
                "numpy_ms": round(numpy_median, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
