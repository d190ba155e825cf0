"""A statement embeds before it takes the write lock: other writers never wait for a model.

A real second process runs a slow EMBED_TEXT statement (the provider, a loopback mock,
answers after seconds) while this one writes with a one-second lock wait: every write
here must go through at once, and the slow statement must still write all its rows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import autovec
from tests.conftest import rows
from tests.mock_providers.huggingface import HuggingFaceMock
from tests.processes import SqlProcess

MODEL = "huggingface/BAAI/bge-m3"  # not on this machine: served by the mock
LATENCY = 1.5  # seconds per provider request


@pytest.fixture
def slow_provider(datadir: Path) -> Iterator[HuggingFaceMock]:
    with HuggingFaceMock(api_key="hf_test0123456789abcdef", latency=LATENCY) as mock:
        conn = autovec.connect(datadir, autocommit=True)
        cur = conn.cursor()
        for name, value in mock.variables().items():
            cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
        cur.execute(
            "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, tag VARCHAR(10), "
            f"v VECTOR(1024) GENERATED ALWAYS AS (EMBED_TEXT('{MODEL}', body)) STORED)"
        )
        cur.execute("CREATE TABLE plain (id INT PRIMARY KEY, note TEXT)")
        cur.execute("INSERT INTO notes (id, body, tag) VALUES (1, 'first note', 'a')")
        conn.close()
        mock.clear()
        yield mock


def wait_for_request(mock: HuggingFaceMock, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not mock.in_flight:
        assert time.monotonic() < deadline, "the other process never called the provider"
        time.sleep(0.01)


def write_meanwhile(datadir: Path) -> float:
    """Writes to both tables while the other process embeds; the slowest one's seconds."""
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("SET innodb_lock_wait_timeout = 1")
    slowest = 0.0
    for statement in (
        "INSERT INTO plain VALUES (1, 'meanwhile')",
        "UPDATE notes SET tag = 'b' WHERE id = 1",  # the same table, a plain column
        "DELETE FROM plain WHERE id = 1",
    ):
        started = time.monotonic()
        cur.execute(statement)
        slowest = max(slowest, time.monotonic() - started)
    assert rows(cur, "SELECT count(*) FROM notes") == [(1,)]  # readers too
    conn.close()
    return slowest


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "transaction"])
def test_insert_embeds_before_locking(
    datadir: Path, slow_provider: HuggingFaceMock, autocommit: bool
) -> None:
    with SqlProcess(datadir, autocommit=autocommit) as other:
        other.send(
            "INSERT INTO notes (id, body) VALUES (10, 'ten'), (11, 'eleven'), (12, 'twelve')"
        )
        wait_for_request(slow_provider)
        assert write_meanwhile(datadir) < LATENCY / 2
        assert other.result() is None
        if not autocommit:
            other.execute("COMMIT")
    conn = autovec.connect(datadir, autocommit=True)
    got = rows(conn.cursor(), "SELECT id, VEC_DIMS(v) FROM notes WHERE id >= 10 ORDER BY id")
    assert got == [(10, 1024), (11, 1024), (12, 1024)]
    conn.close()


def test_executemany_and_insert_select_embed_before_locking(
    datadir: Path, slow_provider: HuggingFaceMock
) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    conn.cursor().execute("CREATE TABLE staging (id INT, body TEXT)")
    conn.cursor().execute("INSERT INTO staging VALUES (20, 'twenty'), (21, NULL), (22, 'x')")
    conn.close()
    with SqlProcess(datadir) as other:
        other.send("INSERT INTO notes (id, body) SELECT id, body FROM staging")
        wait_for_request(slow_provider)
        assert write_meanwhile(datadir) < LATENCY / 2
        assert other.result() is None
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    assert rows(cur, "SELECT id, VEC_DIMS(v) FROM notes WHERE id >= 20 ORDER BY id") == [
        (20, 1024),
        (21, None),
        (22, 1024),
    ]
    slow_provider.clear()
    cur.executemany("INSERT INTO notes (id, body) VALUES (%s, %s)", [(30, "a"), (31, "b")])
    assert rows(cur, "SELECT count(*) FROM notes WHERE id >= 30 AND v IS NOT NULL") == [(2,)]
    conn.close()


def test_update_of_the_source_embeds_before_locking(
    datadir: Path, slow_provider: HuggingFaceMock
) -> None:
    with SqlProcess(datadir) as other:
        other.send("UPDATE notes SET body = CONCAT(body, ', revised') WHERE id = 1")
        wait_for_request(slow_provider)
        assert write_meanwhile(datadir) < LATENCY / 2
        assert other.result() is None
    sent = [str(r.body) for r in slow_provider.requests]
    assert any("first note, revised" in body for body in sent)
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    assert rows(cur, "SELECT body, tag FROM notes WHERE id = 1") == [("first note, revised", "b")]
    # The vector is the one for the new text: a query for it finds the row at distance 0.
    got = rows(
        cur,
        "SELECT id, VEC_L2_DISTANCE(v, EMBED_TEXT(%s, 'first note, revised')) FROM notes",
        [MODEL],
    )
    assert got == [(1, 0.0)]
    conn.close()


def test_failed_embedding_writes_nothing_and_holds_no_lock(
    datadir: Path, slow_provider: HuggingFaceMock
) -> None:
    slow_provider.fail_next("bad_request")
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    with pytest.raises(autovec.DatabaseError):
        cur.execute("INSERT INTO notes (id, body) VALUES (40, 'never')")
    assert rows(cur, "SELECT count(*) FROM notes") == [(1,)]
    assert not conn.session.conn.in_transaction
    conn.close()
