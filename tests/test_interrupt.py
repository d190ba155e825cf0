"""Stopping a running statement: interrupt() (KILL QUERY), Ctrl-C, max_execution_time.

Each stops within a fraction of a second, fails with MySQL's error, leaves nothing of the
statement behind and the connection fully usable.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import autovec
from tests.conftest import rows
from tests.embeddings.tiny_models import build_tiny_bert
from tests.mock_providers.huggingface import HuggingFaceMock

LONG_SELECT = (
    "WITH RECURSIVE r (x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 200000000) "
    "SELECT sum(x) FROM r"
)
LONG_INSERT = (
    "INSERT INTO t (id, note) WITH RECURSIVE r (x) AS "
    "(SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 50000000) SELECT x, 'n' FROM r"
)


def interrupt_after(conn: autovec.Connection, seconds: float) -> list[float]:
    """Call interrupt() from another thread after ``seconds``; the time it was called."""
    called: list[float] = []

    def stop() -> None:
        called.append(time.monotonic())
        conn.session.interrupt()

    threading.Timer(seconds, stop).start()
    return called


def test_interrupt_stops_a_long_select(conn: autovec.Connection, cur: autovec.Cursor) -> None:
    called = interrupt_after(conn, 0.3)
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute(LONG_SELECT)
    stopped = time.monotonic()
    assert info.value.args == (1317, "Query execution was interrupted")
    assert stopped - called[0] < 0.1
    assert rows(cur, "SELECT 1 + 1") == [(2,)]  # the connection goes on


@pytest.mark.parametrize("autocommit", [True, False])
def test_interrupt_of_a_write_leaves_nothing(datadir: Path, autocommit: bool) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, note VARCHAR(10))")
    cur.execute("INSERT INTO t VALUES (0, 'kept')")
    conn.autocommit(autocommit)
    called = interrupt_after(conn, 0.5)
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute(LONG_INSERT)
    assert info.value.args[0] == 1317
    assert time.monotonic() - called[0] < 0.2
    assert not conn.session.conn.in_transaction
    cur.execute("INSERT INTO t VALUES (1, 'after')")
    conn.commit()
    conn.close()
    fresh = autovec.connect(datadir, autocommit=True)
    assert rows(fresh.cursor(), "SELECT id FROM t ORDER BY id") == [(0,), (1,)]
    fresh.close()


def test_interrupt_stops_an_insert_while_a_local_model_embeds_it(
    datadir: Path, tmp_path: Path
) -> None:
    """The statement's rows are one embedding call; the model checks for KILL between its
    chunks (a few hundred texts), not only once the whole call is done."""
    pytest.importorskip("sentence_transformers")
    model = f"local/{build_tiny_bert(tmp_path / 'tiny')}"
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, v VECTOR(32) GENERATED ALWAYS AS "
        f"(EMBED_TEXT('{model}', body)) STORED)"
    )
    cur.execute("SELECT VEC_DIMS(EMBED_TEXT(%s, 'loaded before the timing'))", [model])
    # One call (AHEAD_CHUNK texts): some 5 s of the tiny model, 0.35 s a chunk of 512.
    texts = [(i, f"the quick brown fox {i} jumps over the lazy dog " * 3) for i in range(8192)]
    called = interrupt_after(conn, 0.5)
    started = time.monotonic()
    with pytest.raises(autovec.OperationalError) as info:
        cur.executemany("INSERT INTO docs (id, body) VALUES (%s, %s)", texts)
    assert info.value.args[0] == 1317
    assert time.monotonic() - called[0] < 2.0, f"stopped {time.monotonic() - started:.1f} s in"
    assert rows(cur, "SELECT count(*) FROM docs") == [(0,)]
    cur.execute("INSERT INTO docs (id, body) VALUES (1, 'after the kill')")
    assert rows(cur, "SELECT count(*) FROM docs WHERE v IS NOT NULL") == [(1,)]
    conn.close()


def test_interrupt_stops_an_insert_between_a_providers_requests(datadir: Path) -> None:
    """The requests in flight finish (their vectors are cached); no further one is sent."""
    model = "huggingface/BAAI/bge-m3"  # served by the mock, 32 texts a request
    with HuggingFaceMock(api_key="hf_test0123456789abcdef", latency=0.5) as mock:
        conn = autovec.connect(datadir, autocommit=True)
        cur = conn.cursor()
        for name, value in mock.variables().items():
            cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
        cur.execute(
            "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, v VECTOR(1024) GENERATED "
            f"ALWAYS AS (EMBED_TEXT('{model}', body)) STORED)"
        )
        # One embedding call of 64 requests: 8 rounds of 8 concurrent ones, 4 s.
        notes = [(i, f"note {i}") for i in range(64 * 32)]
        called: list[float] = []

        def kill_in_the_second_round() -> None:
            while len(mock.requests) <= 8:
                time.sleep(0.005)
            called.append(time.monotonic())
            conn.session.interrupt()

        threading.Thread(target=kill_in_the_second_round, daemon=True).start()
        with pytest.raises(autovec.OperationalError) as info:
            cur.executemany("INSERT INTO notes (id, body) VALUES (%s, %s)", notes)
        assert info.value.args[0] == 1317
        assert len(mock.requests) <= 16  # the round in flight, no more
        assert time.monotonic() - called[0] < 1.5  # not the 3 s of the other six rounds
        assert rows(cur, "SELECT count(*) FROM notes") == [(0,)]
        conn.close()


def test_interrupt_between_statements_does_not_stop_the_next(
    conn: autovec.Connection, cur: autovec.Cursor
) -> None:
    conn.session.interrupt()  # nothing is running: MySQL's KILL QUERY does nothing then
    assert rows(cur, "SELECT 42") == [(42,)]


def test_max_execution_time_stops_selects_only(cur: autovec.Cursor) -> None:
    cur.execute("SET max_execution_time = 200")
    started = time.monotonic()
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute(LONG_SELECT)
    assert info.value.args == (
        3024,
        "Query execution was interrupted, maximum statement execution time exceeded",
    )
    assert 0.15 < time.monotonic() - started < 1.0
    cur.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, note VARCHAR(10))")
    cur.execute(  # a write is not limited (as in MySQL)
        "INSERT INTO t (id, note) WITH RECURSIVE r (x) AS "
        "(SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 300000) SELECT x, 'n' FROM r"
    )
    assert cur.rowcount == 300000
    cur.execute("SET max_execution_time = 0")
    assert rows(cur, "SELECT count(*) FROM t") == [(300000,)]


CTRL_C = f"""
import sys, time, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
print("running", flush=True)
started = time.monotonic()
try:
    cur.execute({LONG_SELECT!r})
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", time.monotonic(), flush=True)
cur.execute("SELECT 7")
print("then", cur.fetchone()[0], flush=True)
"""


def test_ctrl_c_reaches_a_running_statement(datadir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C, str(datadir)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "running"
    time.sleep(0.5)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    word, when = process.stdout.readline().split()
    assert word == "interrupted"
    assert float(when) - sent < 0.2  # CLOCK_MONOTONIC is shared by the two processes
    assert process.stdout.readline().strip() == "then 7"
    assert process.wait(timeout=10) == 0
