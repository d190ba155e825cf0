"""Concurrent writers into one EMBED_TEXT table: nothing lost, nobody waits for a model.

Four writer processes each INSERT 500 rows (autocommit, 10 rows a statement) into a table
whose ``VECTOR(384)`` column is ``EMBED_TEXT`` with the local all-MiniLM-L6-v2 model, while
a fifth process runs point reads. The baseline, in the same run, is one process writing
all 2,000 rows alone into a fresh data directory. Every process loads the model before
the clock starts (a barrier releases them together).

Reported (medians over ``--runs`` alternating runs):
- ``rows_reported_ok`` / ``rows_persisted``: must be equal (nothing lost);
- ``lock_errors``: statements that failed with 1205 (target 0);
- ``concurrent_ratio``: the writers' rows/s together over the lone writer's (target ≥ 0.8);
- reader latency p50/p99 in ms during the writes and idle (no read waits for embedding).

The last line printed is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autovec
from bench.embed_ingest import real_texts

MODEL = "huggingface/sentence-transformers/all-MiniLM-L6-v2"
ROWS = 2000
WRITERS = 4
ROWS_PER_STATEMENT = 10
IDLE_SECONDS = 2.0


def create_table(datadir: str) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    conn.cursor().execute(
        "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, v VECTOR(384) "
        f"GENERATED ALWAYS AS (EMBED_TEXT('{MODEL}', body)) STORED)"
    )
    conn.close()


def warm_up(cur: autovec.Cursor) -> None:
    """Load the model (and import everything) before the clock starts."""
    cur.execute("SELECT VEC_DIMS(EMBED_TEXT(%s, 'warming up the model'))", [MODEL])
    cur.fetchall()


def writer(datadir: str, rows: list[tuple[int, str]], start: Any, results: Any) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    warm_up(cur)
    ok = lock_errors = other_errors = 0
    start.wait()
    began = time.perf_counter()
    for first in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[first : first + ROWS_PER_STATEMENT]
        params = [value for row in chunk for value in row]
        sql = "INSERT INTO docs (id, body) VALUES " + ", ".join(["(%s, %s)"] * len(chunk))
        try:
            cur.execute(sql, params)
            ok += cur.rowcount
        except autovec.Error as exc:
            if exc.args[0] == 1205:
                lock_errors += 1
            else:
                other_errors += 1
    ended = time.perf_counter()
    conn.close()
    results.put(
        {
            "ok": ok,
            "lock_errors": lock_errors,
            "errors": other_errors,
            "began": began,
            "ended": ended,
        }
    )


def reader(datadir: str, start: Any, writers_done: Any, results: Any) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    warm_up(cur)
    busy: list[float] = []
    idle: list[float] = []
    key = 0
    start.wait()
    idle_until: float | None = None
    while True:
        if idle_until is None and writers_done.is_set():
            idle_until = time.perf_counter() + IDLE_SECONDS
        if idle_until is not None and time.perf_counter() > idle_until:
            break
        key = (key + 7919) % ROWS
        began = time.perf_counter()
        cur.execute("SELECT id, body FROM docs WHERE id = %s", [key])
        cur.fetchall()
        (idle if idle_until is not None else busy).append(time.perf_counter() - began)
        time.sleep(0.002)  # a point-read client, not a busy loop competing for the CPU
    conn.close()
    results.put({"busy": busy, "idle": idle})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def run(texts: list[str], writers: int, with_reader: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as datadir:
        create_table(datadir)
        parties = writers + (1 if with_reader else 0) + 1
        start, done, results = context.Barrier(parties), context.Event(), context.Queue()
        rows = list(enumerate(texts))
        share = len(rows) // writers
        processes = [
            context.Process(
                target=writer, args=(datadir, rows[i * share : (i + 1) * share], start, results)
            )
            for i in range(writers)
        ]
        reads = context.Queue()
        if with_reader:
            processes.append(context.Process(target=reader, args=(datadir, start, done, reads)))
        for process in processes:
            process.start()
        start.wait()
        outcomes = [results.get(timeout=1800) for _ in range(writers)]
        done.set()
        latencies = reads.get(timeout=120) if with_reader else {"busy": [], "idle": []}
        for process in processes:
            process.join(timeout=120)
        conn = autovec.connect(datadir, autocommit=True)
        cur = conn.cursor()
        cur.execute("SELECT count(*), count(v) FROM docs")
        persisted, with_vector = cur.fetchone()  # type: ignore[misc]
        conn.close()
    elapsed = max(o["ended"] for o in outcomes) - min(o["began"] for o in outcomes)
    ok = sum(o["ok"] for o in outcomes)
    return {
        "rows_reported_ok": ok,
        "rows_persisted": persisted,
        "rows_with_vector": with_vector,
        "lock_errors": sum(o["lock_errors"] for o in outcomes),
        "other_errors": sum(o["errors"] for o in outcomes),
        "rows_per_s": ok / elapsed,
        "read_p50_busy_ms": percentile(latencies["busy"], 0.5),
        "read_p99_busy_ms": percentile(latencies["busy"], 0.99),
        "read_p50_idle_ms": percentile(latencies["idle"], 0.5),
        "read_p99_idle_ms": percentile(latencies["idle"], 0.99),
        "reads": len(latencies["busy"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    texts = real_texts(ROWS)
    alone: list[dict[str, Any]] = []
    together: list[dict[str, Any]] = []
    for number in range(args.runs):
        alone.append(run(texts, 1, with_reader=False))
        together.append(run(texts, WRITERS, with_reader=True))
        a, t = alone[-1], together[-1]
        print(
            f"run {number + 1}: alone {a['rows_per_s']:.1f} rows/s; {WRITERS} writers "
            f"{t['rows_per_s']:.1f} rows/s (ratio {t['rows_per_s'] / a['rows_per_s']:.3f}), "
            f"ok {t['rows_reported_ok']} persisted {t['rows_persisted']} "
            f"lock errors {t['lock_errors']} other errors {t['other_errors']}; reads p50/p99 "
            f"busy {t['read_p50_busy_ms']:.2f}/{t['read_p99_busy_ms']:.2f} ms, idle "
            f"{t['read_p50_idle_ms']:.2f}/{t['read_p99_idle_ms']:.2f} ms over {t['reads']} reads",
            flush=True,
        )
    ratios = [t["rows_per_s"] / a["rows_per_s"] for a, t in zip(alone, together, strict=True)]

    def median(key: str) -> float:
        return statistics.median(t[key] for t in together)

    print(
        json.dumps(
            {
                "bench": "concurrency",
                "rows_reported_ok": sum(t["rows_reported_ok"] for t in together),
                "rows_persisted": sum(t["rows_persisted"] for t in together),
                "lock_errors": sum(t["lock_errors"] for t in together),
                "other_errors": sum(t["other_errors"] for t in together),
                "concurrent_ratio": round(statistics.median(ratios), 3),
                "alone_rows_per_s": round(statistics.median(a["rows_per_s"] for a in alone), 1),
                "concurrent_rows_per_s": round(median("rows_per_s"), 1),
                "read_p50_busy_ms": round(median("read_p50_busy_ms"), 3),
                "read_p99_busy_ms": round(median("read_p99_busy_ms"), 3),
                "read_p50_idle_ms": round(median("read_p50_idle_ms"), 3),
                "read_p99_idle_ms": round(median("read_p99_idle_ms"), 3),
                "runs": args.runs,
            }
        )
    )


if __name__ == "__main__":
    main()
