"""A quoted unknown column is an error (1054), never a string literal; "text" stays a string."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def t(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(20), bb TEXT)")
    cur.execute("INSERT INTO t VALUES (1, 'x', 'y'), (2, 'idd', 'z')")
    return cur


def assert_unknown(cur: autovec.Cursor, sql: str, message: str) -> None:
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute(sql)
    assert info.value.args == (1054, message)


def test_select_backticked_unknown_column(t: autovec.Cursor) -> None:
    assert_unknown(t, "SELECT `nosuch` FROM t", "Unknown column 'nosuch' in 'field list'")
    assert_unknown(t, "SELECT t.`nosuch` FROM t", "Unknown column 't.nosuch' in 'field list'")


def test_delete_with_mistyped_column_deletes_nothing(t: autovec.Cursor) -> None:
    assert_unknown(t, 'DELETE FROM t WHERE `idd` = "idd"', "Unknown column 'idd' in 'where clause'")
    assert rows(t, "SELECT count(*) FROM t") == [(2,)]


def test_update_with_mistyped_column_changes_nothing(t: autovec.Cursor) -> None:
    assert_unknown(t, "UPDATE t SET a = `bbb`", "Unknown column 'bbb' in 'field list'")
    assert rows(t, "SELECT a FROM t ORDER BY id") == [("x",), ("idd",)]


def test_clauses_are_named_as_mysql_does(t: autovec.Cursor) -> None:
    assert_unknown(t, "SELECT a FROM t ORDER BY `qq`", "Unknown column 'qq' in 'order clause'")
    assert_unknown(t, "SELECT a FROM t GROUP BY `qq`", "Unknown column 'qq' in 'group statement'")
    assert_unknown(
        t, "SELECT 1 FROM t JOIN t AS u ON u.`qq` = t.id", "Unknown column 'u.qq' in 'on clause'"
    )


def test_double_quoted_text_is_a_string_literal(t: autovec.Cursor) -> None:
    """MySQL (without ANSI_QUOTES) reads "…" as a string, in every clause."""
    t.execute('INSERT INTO t VALUES (3, "quoted", "text")')
    assert rows(t, 'SELECT id, "lit" FROM t WHERE a = "quoted"') == [(3, "lit")]
    t.execute('UPDATE t SET bb = "new" WHERE a = "quoted"')
    assert rows(t, "SELECT bb FROM t WHERE id = 3") == [("new",)]
    t.execute('DELETE FROM t WHERE a = "quoted"')
    assert rows(t, "SELECT count(*) FROM t") == [(2,)]


def test_ddl_with_double_quoted_default(cur: autovec.Cursor) -> None:
    cur.execute('CREATE TABLE d (id INT PRIMARY KEY, s VARCHAR(10) DEFAULT "none")')
    cur.execute("INSERT INTO d (id) VALUES (1)")
    assert rows(cur, "SELECT s FROM d") == [("none",)]


def test_index_on_unknown_column_fails(t: autovec.Cursor) -> None:
    with pytest.raises(autovec.Error) as info:
        t.execute("CREATE INDEX ix ON t (`nosuch`)")
    assert info.value.args[0] in (1054, 1072)
    assert "ix" not in {row[2] for row in rows(t, "SHOW INDEX FROM t")}
