"""Mistakes in statement text and parameters are MySQL/PEP 249 errors, never Python ones."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.mark.parametrize("sql", ["", "   ", ";", "-- only a comment", "/* nothing */"])
def test_empty_statement_is_query_was_empty(cur: autovec.Cursor, sql: str) -> None:
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute(sql)
    assert info.value.args == (1065, "Query was empty")


def test_missing_named_parameter(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute("SELECT %(a)s, %(b)s", {"a": 1})
    assert info.value.args[0] == 1210 and "%(b)s" in info.value.args[1]
    assert rows(cur, "SELECT %(a)s", {"a": 1}) == [(1,)]


@pytest.mark.parametrize("params", [5, "ab", b"ab", 1.5, object()])
def test_parameters_that_are_not_a_sequence(cur: autovec.Cursor, params: object) -> None:
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute("SELECT %s", params)  # type: ignore[arg-type]
    assert info.value.args[0] == 1210


def test_wrong_parameter_count(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.ProgrammingError):
        cur.execute("SELECT %s, %s", [1])


@pytest.mark.parametrize(
    ("sql", "params"), [("SELECT '\ud800'", None), ("SELECT %s", ["a\udfffb"])]
)
def test_lone_surrogates_are_invalid_strings(
    cur: autovec.Cursor, sql: str, params: list[str] | None
) -> None:
    cur.execute("CREATE TABLE t (s TEXT)")
    with pytest.raises(autovec.DataError) as info:
        cur.execute(sql, params)
    assert info.value.args[0] == 1300
    with pytest.raises(autovec.DataError):
        cur.execute("INSERT INTO t VALUES (%s)", ["x\ud800"])
    assert rows(cur, "SELECT count(*) FROM t") == [(0,)]


def test_unparseable_statement_is_a_syntax_error(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute("SELECT DATE_ADD (")
    assert info.value.args[0] == 1064
    assert rows(cur, "SELECT 1") == [(1,)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT " + "(" * 1000 + "1" + ")" * 1000, 1),
        ("SELECT " + "ABS(" * 250 + "-1" + ")" * 250, 1),
        ("SELECT " + "+".join(["1"] * 999), 999),
        ("SELECT " + " AND ".join(["1"] * 900), 1),
        ("SELECT " + "(SELECT " * 40 + "1" + ")" * 40, 1),
    ],
)
def test_deep_nesting_works(cur: autovec.Cursor, sql: str, expected: int) -> None:
    assert rows(cur, sql) == [(expected,)]


def test_nesting_beyond_sqlite_is_a_clear_error(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.OperationalError, match="Expression tree is too large"):
        cur.execute("SELECT " + "+".join(["1"] * 3000))
    with pytest.raises(autovec.ProgrammingError, match="nested too deeply"):
        cur.execute("SELECT " + "(" * 100_000 + "1" + ")" * 100_000)
    assert rows(cur, "SELECT 1") == [(1,)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CONV()",
        "SELECT FIELD()",
        "SELECT CONV('a', 16)",
        "SELECT FIELD('a')",
        "SELECT CONCAT_WS(',')",
        "SELECT GREATEST(1)",
        "SELECT LEAST(1)",
    ],
)
def test_wrong_argument_count_is_1582(cur: autovec.Cursor, sql: str) -> None:
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute(sql)
    name = sql.split()[1].split("(")[0]
    assert info.value.args == (
        1582,
        f"Incorrect parameter count in the call to native function '{name}'",
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW INDEX",
        "SHOW COLUMNS",
        "SHOW CREATE TABLE",
        "UPDATE t SET v",
        "INSERT INTO t VALUES (1, '[1,2,3]') ON DUPLICATE KEY UPDATE v",
        "SELECT CAST('[1]' AS VECTOR(@x))",
        "CREATE TABLE z (v VECTOR(abc))",
    ],
)
def test_incomplete_statements_are_syntax_errors(cur: autovec.Cursor, sql: str) -> None:
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(3))")
    cur.execute("INSERT INTO t VALUES (1, '[0,0,0]')")
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute(sql)
    assert info.value.args[0] == 1064
    assert rows(cur, "SELECT VEC_AS_TEXT(v) FROM t") == [("[0,0,0]",)]  # nothing changed
