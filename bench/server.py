"""The cost of the wire: 8 client threads over PyMySQL to ``autovec serve`` versus the same
statements through ``autovec.connect`` in one process (8 threads, a connection each).

Workloads: point SELECT by primary key; top-10 ``ORDER BY VEC_COSINE_DISTANCE(v, %s)`` over
``--rows`` × 384 vectors with an HNSW index; 1,000-row batched INSERTs. Reports queries
(or rows) per second for each and ``wire_ratio_*`` = wire / in-process, medians over
``--runs`` alternating runs; the last line is a JSON object.

    .venv/bin/python bench/server.py --rows 100000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pymysql

import autovec

THREADS = 8
DIMS = 384


def load(datadir: Path, rows: int) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE docs (id INT PRIMARY KEY, v VECTOR({DIMS}))")
    rng = np.random.default_rng(7)
    for start in range(0, rows, 5000):
        batch = rng.standard_normal((min(5000, rows - start), DIMS), dtype=np.float32)
        cur.executemany(
            "INSERT INTO docs VALUES (%s, %s)",
            [(start + i, vector) for i, vector in enumerate(batch)],
        )
    cur.execute("ALTER TABLE docs ADD VECTOR INDEX iv ((VEC_COSINE_DISTANCE(v)))")
    cur.execute("CREATE TABLE sink (id BIGINT PRIMARY KEY AUTO_INCREMENT, n INT, s TEXT)")
    conn.close()


Cursor = Any  # a PEP 249 cursor: autovec's or PyMySQL's
Workload = Callable[[Cursor, int, np.random.Generator], int]


def point(cur: Cursor, rows: int, rng: np.random.Generator) -> int:
    cur.execute("SELECT id FROM docs WHERE id = %s", (int(rng.integers(rows)),))
    cur.fetchall()
    return 1


def vector(cur: Cursor, rows: int, rng: np.random.Generator) -> int:
    query = "[" + ",".join(f"{x:.4f}" for x in rng.standard_normal(DIMS)) + "]"
    cur.execute("SELECT id FROM docs ORDER BY VEC_COSINE_DISTANCE(v, %s) LIMIT 10", (query,))
    cur.fetchall()
    return 1


def insert(cur: Cursor, rows: int, rng: np.random.Generator) -> int:
    batch = [(int(n), f"row {n}") for n in rng.integers(0, 10**6, 1000)]
    cur.executemany("INSERT INTO sink (n, s) VALUES (%s, %s)", batch)
    return len(batch)


WORKLOADS: dict[str, tuple[Workload, float]] = {
    "point": (point, 2.0),
    "vector": (vector, 3.0),
    "insert": (insert, 3.0),
}


def measure(connect: Callable[[], Any], work: Workload, rows: int, seconds: float) -> float:
    """Operations per second of THREADS threads, each with its own connection."""
    counts = [0] * THREADS
    barrier = threading.Barrier(THREADS + 1)
    stop = threading.Event()

    def worker(number: int) -> None:
        conn = connect()
        cur = conn.cursor()
        rng = np.random.default_rng(number)
        work(cur, rows, rng)  # warm: plans, the index, the connection
        barrier.wait()
        while not stop.is_set():
            counts[number] += work(cur, rows, rng)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def start_server(datadir: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "autovec", "serve", "--db", str(datadir), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on [\d.]+:(\d+)", line)
    if match is None:
        process.kill()
        raise SystemExit(f"autovec serve did not start: {line!r}")
    return process, int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        datadir = Path(tmp) / "data"
        started = time.perf_counter()
        load(datadir, args.rows)
        print(
            f"loaded {args.rows} x {DIMS} with an HNSW index in {time.perf_counter() - started:.0f}s"
        )
        server, port = start_server(datadir)
        try:

            def wire() -> Any:
                return pymysql.connect(
                    host="127.0.0.1", port=port, user="root", database="test", autocommit=True
                )

            def local() -> Any:
                return autovec.connect(datadir, autocommit=True)

            results: dict[str, dict[str, list[float]]] = {
                name: {"wire": [], "local": []} for name in WORKLOADS
            }
            for run in range(args.runs):
                for name, (work, seconds) in WORKLOADS.items():
                    for side, connect in (("local", local), ("wire", wire)):
                        rate = measure(connect, work, args.rows, seconds)
                        results[name][side].append(rate)
                    print(
                        f"run {run + 1} {name}: in-process {results[name]['local'][-1]:.0f}/s,"
                        f" wire {results[name]['wire'][-1]:.0f}/s",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)
    summary: dict[str, Any] = {"bench": "server", "rows": args.rows, "threads": THREADS}
    for name, sides in results.items():
        wire_rate, local_rate = statistics.median(sides["wire"]), statistics.median(sides["local"])
        summary[f"{name}_wire_per_s"] = round(wire_rate, 1)
        summary[f"{name}_inprocess_per_s"] = round(local_rate, 1)
        summary[f"wire_ratio_{name}"] = round(wire_rate / local_rate, 3)
    summary["runs"] = args.runs
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
