"""Row counts as MySQL reports them: changed rows, or matched ones with CLIENT_FOUND_ROWS."""

from __future__ import annotations

from pathlib import Path

import pytest

import autovec


@pytest.mark.parametrize("found_rows", [False, True])
def test_update_and_upsert_counts(tmp_path: Path, found_rows: bool) -> None:
    conn = autovec.connect(tmp_path / "db", autocommit=True, found_rows=found_rows)
    cur = conn.cursor()
    cur.execute("CREATE TABLE u (id INT PRIMARY KEY, x INT, note TEXT)")
    cur.execute("INSERT INTO u VALUES (1, 1, NULL), (2, 2, NULL)")
    assert cur.lastrowid is None  # no AUTO_INCREMENT value was made
    cur.execute("UPDATE u SET x = 1")
    assert cur.rowcount == (2 if found_rows else 1)
    cur.execute("UPDATE u SET note = NULL WHERE id = 1")  # NULL to NULL is no change
    assert cur.rowcount == (1 if found_rows else 0)
    cur.execute("UPDATE u SET x = x + 1 ORDER BY id LIMIT 1")  # LIMIT picks matched rows
    assert cur.rowcount == 1
    cur.execute(
        "INSERT INTO u VALUES (1, 9, 'a'), (2, 1, NULL), (3, 3, 'c')"
        " ON DUPLICATE KEY UPDATE x = VALUES(x), note = VALUES(note)"
    )
    assert cur.rowcount == 2 + (1 if found_rows else 0) + 1  # updated, as it was, inserted
    cur.execute("SELECT id, x, note FROM u ORDER BY id")
    assert cur.fetchall() == [(1, 9, "a"), (2, 1, None), (3, 3, "c")]
    conn.close()


@pytest.mark.parametrize("found_rows", [False, True])
def test_on_update_timestamps_move_with_changed_rows(tmp_path: Path, found_rows: bool) -> None:
    """``ON UPDATE CURRENT_TIMESTAMP`` is set on the rows an UPDATE (or an upsert)
    changes, and only on them, as in MySQL."""
    conn = autovec.connect(tmp_path / "db", autocommit=True, found_rows=found_rows)
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, x INT,"
        " at DATETIME DEFAULT '2000-01-01 00:00:00' ON UPDATE CURRENT_TIMESTAMP)"
    )
    cur.execute("INSERT INTO t (id, x) VALUES (1, 1), (2, 2), (3, 3)")
    cur.execute("UPDATE t SET x = 1 WHERE id < 3")
    cur.execute("INSERT INTO t (id, x) VALUES (3, 3) ON DUPLICATE KEY UPDATE x = VALUES(x)")
    cur.execute("SELECT id, at = '2000-01-01 00:00:00' FROM t ORDER BY id")
    assert cur.fetchall() == [(1, 1), (2, 0), (3, 1)]
    cur.execute("INSERT INTO t (id, x) VALUES (3, 4) ON DUPLICATE KEY UPDATE x = VALUES(x)")
    cur.execute("UPDATE t SET at = '2001-01-01 00:00:00', x = 5 WHERE id = 1")  # set: kept
    cur.execute("SELECT id, CAST(at AS CHAR) > '2020' FROM t ORDER BY id")
    assert cur.fetchall() == [(1, 0), (2, 1), (3, 1)]
    conn.close()
