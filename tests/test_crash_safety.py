"""A process killed in the middle of a large INSERT leaves all of it or none of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw

import autovec

WRITER = """
import sys, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
cur.execute("CREATE TABLE IF NOT EXISTS big (id INT PRIMARY KEY, v VECTOR(16), note VARCHAR(20))")
print("ready", flush=True)
batch = int(sys.argv[2])
start = int(sys.argv[3])
rows = [(start + i, [float(i % 7)] * 16, "row") for i in range(batch)]
cur.executemany("INSERT INTO big (id, v, note) VALUES (%s, %s, %s)", rows)
print("done", flush=True)
"""


def run_and_kill(datadir: Path, batch: int, start: int, delay: float) -> bool:
    """Start a writer, SIGKILL it ``delay`` seconds after it is ready; True if it finished first."""
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(datadir), str(batch), str(start)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    time.sleep(delay)
    finished = process.poll() is not None
    if not finished:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return finished


def test_sigkill_during_large_insert_keeps_statement_atomic(tmp_path: Path) -> None:
    datadir = tmp_path / "data"
    batch = 60_000
    outcomes = []
    for attempt, delay in enumerate([0.05, 0.3, 0.8, 1.5]):
        finished = run_and_kill(datadir, batch, attempt * batch, delay)
        conn = autovec.connect(datadir, autocommit=True)
        cur = conn.cursor()
        cur.execute(
            "SELECT count(*) FROM big WHERE id >= %s AND id < %s",
            [attempt * batch, (attempt + 1) * batch],
        )
        count = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT count(*) FROM big WHERE note IS NULL OR VEC_DIMS(v) <> 16")
        assert cur.fetchone() == (0,)
        conn.close()
        assert count in (0, batch), (
            f"attempt {attempt}: {count} rows of a {batch}-row statement survived"
        )
        outcomes.append((finished, count))
    # At least one kill must have landed mid-statement for the test to mean anything.
    assert any(count == 0 and not finished for finished, count in outcomes), outcomes


LOCAL_WRITER = """
import sys, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
cur.execute(
    "CREATE TABLE IF NOT EXISTS docs (id INT PRIMARY KEY, body TEXT, v VECTOR(384) GENERATED "
    "ALWAYS AS (EMBED_TEXT('huggingface/sentence-transformers/all-MiniLM-L6-v2', body)) STORED)"
)
print("ready", flush=True)
rows = [(i, f"document number {i} about subject {i % 97}") for i in range(3000)]
cur.executemany("INSERT INTO docs (id, body) VALUES (%s, %s)", rows)
print("done", flush=True)
"""


def cached_vectors(datadir: Path) -> int:
    cache = datadir / "test" / "embeddings.sqlite"
    if not cache.exists():
        return 0
    conn = apsw.Connection(str(cache), flags=apsw.SQLITE_OPEN_READONLY)
    conn.set_busy_timeout(5000)
    try:
        return int(conn.execute("SELECT count(*) FROM embeddings").fetchone()[0])
    except apsw.SQLError:  # the table is not created yet
        return 0
    finally:
        conn.close()


def test_sigkill_during_local_model_insert_keeps_the_embedded_chunks(tmp_path: Path) -> None:
    """The local model's work is cached chunk by chunk, so a killed INSERT loses none of it."""
    datadir = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-c", LOCAL_WRITER, str(datadir)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 120
    while cached_vectors(datadir) < 256:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    kept = cached_vectors(datadir)
    assert 256 <= kept < 3000
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM docs")
    assert cur.fetchone() == (0,)  # the statement itself left nothing
    conn.close()
