"""Syntax errors read as TiDB's: the first bad token's line and column, the text from it.

No parser internals in the message and nothing on stderr; statements sqlglot is lenient
about but MySQL's grammar refuses are 1064 too.
"""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows

PREFIX = (
    "You have an error in your SQL syntax; check the manual that corresponds to your "
    "TiDB version for the right syntax to use"
)


@pytest.mark.parametrize(
    ("sql", "where"),
    [
        ("SELEC 1", 'line 1 column 5 near "SELEC 1"'),
        ("  /* hi */ hello world", 'line 1 column 16 near "hello world"'),
        ("SELECT * FORM t", 'line 1 column 15 near "t"'),
        ("SELECT 1 FROM t WHERE a = = 2", 'line 1 column 27 near "= 2"'),
        ("SELECT 1 +", 'line 1 column 10 near ""'),
        ("select 1 from", 'line 1 column 13 near ""'),
        ("INSERT INTO t VALUES (1,", 'line 1 column 24 near ""'),
        ("SELECT 'abc", 'line 1 column 11 near "\'abc"'),
        ("SELECT 1,\n  2 FROM t WHERE", 'line 2 column 16 near ""'),
        ("CREATE TABLE s (v VECTOR<DOUBLE>(3))", 'line 1 column 31 near "DOUBLE>(3))"'),
    ],
)
def test_syntax_error_points_at_first_bad_token(
    cur: autovec.Cursor, sql: str, where: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute(sql)
    errno, message = info.value.args
    assert errno == 1064
    assert message.startswith(f"{PREFIX} {where}"), message
    for internal in ("sqlglot", "Token", "Expecting", "Required keyword", "Invalid expression"):
        assert internal not in message
    assert capfd.readouterr().err == ""


def test_vector_double_says_only_vector_is_supported(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.ProgrammingError, match="Only VECTOR is supported for now"):
        cur.execute("SELECT CAST('[1]' AS VECTOR<DOUBLE>)")
    assert rows(cur, "SELECT VEC_DIMS(CAST('[1,2]' AS VECTOR<FLOAT>))") == [(2,)]


def test_unsupported_text_says_nothing_on_stderr(
    cur: autovec.Cursor, capfd: pytest.CaptureFixture[str]
) -> None:
    for sql in ("SHOW v FROM SELECT", "ALTER TABLE t", "CREATE DATABASE IF NOT x"):
        with pytest.raises(autovec.Error):
            cur.execute(sql)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("sql", "near"),
    [
        ("TRUNCATE TABLE SELECT", "SELECT"),
        ("INSERT INTO (a) SELECT 1", "(a)"),
        ("CREATE INDEX ON t (a)", "ON t"),
        ("CREATE INDEX i ON t ()", "()"),
        ("ALTER TABLE t ADD INDEX ()", "()"),
        ("SELECT UPPER(DISTINCT a) FROM t", "DISTINCT a"),
        ("SELECT COUNT(DISTINCT) FROM t", "DISTINCT"),
        ("INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES()", "VALUES()"),
        ("SELECT FIELD(ORDER BY 'a', 'b')", "ORDER BY 'a', 'b'"),
        ("SELECT LENGTH(*) FROM t", "LENGTH(*)"),
        ("SELECT CAST(1 AS DECIMAL(65, @a))", "DECIMAL(65, @a)"),
    ],
)
def test_statements_mysql_grammar_refuses(cur: autovec.Cursor, sql: str, near: str) -> None:
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY)")
    with pytest.raises(autovec.ProgrammingError) as info:
        cur.execute(sql)
    assert info.value.args[0] == 1064 and f'near "{near}"' in info.value.args[1]


def test_distinct_in_aggregates_still_works(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE t (a INT, b TEXT)")
    cur.execute("INSERT INTO t VALUES (1, 'x'), (1, 'x'), (2, 'y')")
    assert rows(
        cur,
        "SELECT COUNT(DISTINCT a), SUM(DISTINCT a), GROUP_CONCAT(DISTINCT b ORDER BY b) FROM t",
    ) == [(2, 3, "x,y")]


def test_parenthesised_union_parts(cur: autovec.Cursor) -> None:
    assert rows(cur, "(SELECT 1) UNION (SELECT 2) ORDER BY 1") == [(1,), (2,)]
    assert rows(cur, "(SELECT 1 AS a) UNION ALL (SELECT 2 ORDER BY 1 LIMIT 1) ORDER BY a") == [
        (1,),
        (2,),
    ]
    # UNION ALL of a parenthesised UNION keeps its grouping.
    assert rows(cur, "SELECT 1 UNION ALL (SELECT 1 UNION SELECT 1)") == [(1,), (1,)]
