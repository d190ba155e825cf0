"""Waiting for another process's write lock: a clear 1205, then a fully usable connection.

The other writer is a real process (``tests.processes.SqlProcess``) holding a write
transaction open; every row a statement reported as written must be there afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import autovec
from tests.conftest import rows
from tests.processes import SqlProcess

LOCK_WAIT = "Lock wait timeout exceeded; try restarting transaction"


@pytest.fixture
def table(datadir: Path) -> Path:
    conn = autovec.connect(datadir, autocommit=True)
    conn.cursor().execute("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(20))")
    conn.close()
    return datadir


def persisted(datadir: Path) -> list[tuple[object, ...]]:
    """The table's rows as a brand-new connection sees them."""
    conn = autovec.connect(datadir, autocommit=True)
    try:
        return rows(conn.cursor(), "SELECT id FROM t ORDER BY id")
    finally:
        conn.close()


def assert_lock_wait(cur: autovec.Cursor, sql: str, limit: float) -> None:
    started = time.monotonic()
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute(sql)
    assert info.value.args == (1205, LOCK_WAIT)
    assert time.monotonic() - started < limit


def test_autocommit_connection_is_usable_after_a_lock_wait_timeout(table: Path) -> None:
    conn = autovec.connect(table, autocommit=True)
    cur = conn.cursor()
    cur.execute("SET innodb_lock_wait_timeout = 1")
    with SqlProcess(table) as other:
        other.execute("BEGIN")
        other.execute("INSERT INTO t VALUES (100, 'other')")
        assert_lock_wait(cur, "INSERT INTO t VALUES (1, 'mine')", limit=5)
        other.execute("COMMIT")
    for i in range(2, 6):  # each reported as written...
        cur.execute("INSERT INTO t VALUES (%s, 'mine')", [i])
        assert cur.rowcount == 1
    assert not conn.session.conn.in_transaction  # ...and committed, not left open
    conn.close()
    assert persisted(table) == [(2,), (3,), (4,), (5,), (100,)]


def test_transactional_connection_is_usable_after_a_lock_wait_timeout(table: Path) -> None:
    conn = autovec.connect(table)  # PEP 249: autocommit off
    cur = conn.cursor()
    cur.execute("SET innodb_lock_wait_timeout = 1")
    with SqlProcess(table) as other:
        other.execute("BEGIN")
        other.execute("INSERT INTO t VALUES (100, 'other')")
        assert_lock_wait(cur, "INSERT INTO t VALUES (1, 'mine')", limit=5)
        other.execute("ROLLBACK")
    cur.execute("INSERT INTO t VALUES (2, 'mine')")
    cur.execute("UPDATE t SET note = 'changed' WHERE id = 2")
    conn.commit()
    conn.close()
    assert persisted(table) == [(2,)]


def test_timeout_inside_an_explicit_transaction_keeps_its_earlier_writes(table: Path) -> None:
    conn = autovec.connect(table, autocommit=True)
    cur = conn.cursor()
    cur.execute("SET innodb_lock_wait_timeout = 1")
    with SqlProcess(table) as other:
        other.execute("BEGIN")
        other.execute("INSERT INTO t VALUES (100, 'other')")
        cur.execute("BEGIN")
        cur.execute("SELECT count(*) FROM t")  # a reader so far: it holds no lock
        assert_lock_wait(cur, "INSERT INTO t VALUES (1, 'mine')", limit=5)
        assert conn.session.conn.in_transaction  # MySQL keeps the transaction open
        other.execute("COMMIT")
    cur.execute("INSERT INTO t VALUES (2, 'mine')")
    cur.execute("COMMIT")
    conn.close()
    assert persisted(table) == [(2,), (100,)]


def test_lock_wait_follows_the_variable(table: Path) -> None:
    conn = autovec.connect(table, autocommit=True)
    cur = conn.cursor()
    assert rows(cur, "SELECT @@innodb_lock_wait_timeout") == [(50,)]  # MySQL's default
    cur.execute("SET SESSION innodb_lock_wait_timeout = 2")
    with SqlProcess(table) as other:
        other.execute("BEGIN")
        other.execute("INSERT INTO t VALUES (100, 'other')")
        started = time.monotonic()
        with pytest.raises(autovec.OperationalError):
            cur.execute("DELETE FROM t")
        assert 1.8 < time.monotonic() - started < 6
        other.execute("ROLLBACK")
    conn.close()


def test_reader_transaction_writes_after_another_process_committed(table: Path) -> None:
    """A transaction that read first still writes after another process's commit.

    SQLite alone would refuse (its snapshot is outdated: SQLITE_BUSY_SNAPSHOT).
    """
    conn = autovec.connect(table, autocommit=True)
    cur = conn.cursor()
    cur.execute("BEGIN")
    assert rows(cur, "SELECT count(*) FROM t") == [(0,)]
    with SqlProcess(table) as other:
        other.execute("INSERT INTO t VALUES (100, 'other')")
    cur.execute("INSERT INTO t VALUES (1, 'mine')")
    cur.execute("COMMIT")
    conn.close()
    assert persisted(table) == [(1,), (100,)]


def test_savepoints_survive_the_switch_to_writing(table: Path) -> None:
    conn = autovec.connect(table, autocommit=True)
    cur = conn.cursor()
    cur.execute("BEGIN")
    cur.execute("SAVEPOINT before_any")
    rows(cur, "SELECT count(*) FROM t")
    with SqlProcess(table) as other:
        other.execute("INSERT INTO t VALUES (100, 'other')")
    cur.execute("INSERT INTO t VALUES (1, 'mine')")
    cur.execute("SAVEPOINT after_one")
    cur.execute("INSERT INTO t VALUES (2, 'mine')")
    cur.execute("ROLLBACK TO SAVEPOINT after_one")
    cur.execute("COMMIT")
    assert rows(cur, "SELECT id FROM t ORDER BY id") == [(1,), (100,)]
    cur.execute("BEGIN")
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO t VALUES (3, 'mine')")
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("COMMIT")
    conn.close()
    assert persisted(table) == [(1,), (100,)]
