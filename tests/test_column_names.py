"""Result columns are named by the select items as written, as MySQL names them."""

from __future__ import annotations

import pytest

import autovec


def names(cur: autovec.Cursor, sql: str, params: object = None) -> list[str]:
    cur.execute(sql, params)  # type: ignore[arg-type]
    cur.fetchall()
    assert cur.description is not None
    return [d[0] for d in cur.description]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 IS NOT NULL", "1 IS NOT NULL"),
        ("SELECT 1 != 2", "1 != 2"),
        ("SELECT 1  +  1", "1  +  1"),
        ("SELECT 1 /* why */ + 1", "1  + 1"),
        ("SELECT CONVERT(1, CHAR)", "CONVERT(1, CHAR)"),
        ("SELECT now() > 0", "now() > 0"),
        ("SELECT count(*) FROM t", "count(*)"),
        ("SELECT DISTINCT a + 1 FROM t", "a + 1"),
        ("SELECT 'abc'", "abc"),
        ('SELECT "dq"', "dq"),
        ("SELECT -3", "-3"),
        ("SELECT CAST('[1]' AS VECTOR<FLOAT>)", "CAST('[1]' AS VECTOR<FLOAT>)"),
        ("SELECT VEC_COSINE_DISTANCE(v, '[1,0]') FROM t", "VEC_COSINE_DISTANCE(v, '[1,0]')"),
        ("SELECT t.a FROM t", "a"),
        ("SELECT `a` FROM t", "a"),
        ("SELECT a AS `x y` FROM t", "x y"),
        ("SELECT a z FROM t", "z"),
        ("WITH w AS (SELECT 1 AS k) SELECT k + 1 FROM w", "k + 1"),
        ("(SELECT a+1 FROM t) UNION (SELECT 2)", "a+1"),
        ("SELECT (SELECT MAX(a) FROM t) + 1", "(SELECT MAX(a) FROM t) + 1"),
        ("SELECT 1 -- trailing\n", "1"),
    ],
)
def test_names_are_the_items_as_written(cur: autovec.Cursor, sql: str, expected: str) -> None:
    cur.execute("CREATE TABLE t (a INT, v VECTOR(2))")
    assert names(cur, sql) == [expected]


def test_several_items_and_parameters(cur: autovec.Cursor) -> None:
    # Bound parameters are named as a server-side prepared statement names them.
    assert names(cur, "SELECT 1 + 1, %s, UPPER(%s)", ["x", "y"]) == ["1 + 1", "?", "UPPER(?)"]


def test_long_names_are_cut_at_256(cur: autovec.Cursor) -> None:
    long_sum = " + ".join(["1"] * 200)
    assert names(cur, f"SELECT {long_sum}") == [long_sum[:256]]
