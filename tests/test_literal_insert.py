"""Multi-row INSERTs of literals run as one planned row bound per row (sql/literal_rows.py).

Each statement runs twice, on two data directories with the same tables: as written (the
fast path, which must not parse its rows with sqlglot) and after a comment (which the
scanner declines, so the statement takes the normal path). Stored values, their
SQLite types, results and errors must be the same.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

import autovec
from autovec.sql import literal_rows
from autovec.sql import session as session_module
from autovec.sql.literals import NotBindable, number_value, string_value
from autovec.sql.parser import parse

SCHEMA = [
    "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, i INT, b BIGINT, u BIGINT UNSIGNED,"
    " d DECIMAL(10,2), f DOUBLE, fl FLOAT, s VARCHAR(5), c CHAR(3), tx TEXT, v VECTOR(3),"
    " j JSON, dt DATETIME, da DATE, tm TIME, bl BLOB, vb VARBINARY(4), e ENUM('a','b'),"
    " flag BOOL, UNIQUE KEY us (s))",
    "CREATE TABLE kv (k INT PRIMARY KEY, n INT, note TEXT)",
    "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, FULLTEXT INDEX ft (body))",
]


class Pair:
    """The same tables in two data directories: one for each path."""

    def __init__(self, base: Path):
        self.fast = autovec.connect(base / "fast", autocommit=True)
        self.slow = autovec.connect(base / "slow", autocommit=True)
        for conn in (self.fast, self.slow):
            for statement in SCHEMA:
                conn.cursor().execute(statement)

    def run(
        self, sql: str, monkeypatch: pytest.MonkeyPatch, planned: bool = True
    ) -> tuple[Any, Any]:
        """The outcome of ``sql`` on each path. ``planned``: the template plans (else the
        statement goes on to the normal path, which reports the error)."""
        assert literal_rows.scan(sql) is not None, "the fast path declines this statement"
        slow_sql = re.sub("VALUES", "VALUES /* as written */", sql, count=1, flags=re.I)
        assert literal_rows.scan(slow_sql) is None
        fast = outcome(self.fast.cursor(), sql, monkeypatch if planned else None)
        return fast, outcome(self.slow.cursor(), slow_sql)

    def tables(self) -> tuple[Any, Any]:
        return tuple(contents(c) for c in (self.fast, self.slow))  # type: ignore[return-value]


def _no_parse(sql: str) -> Any:
    raise AssertionError(f"the literal INSERT was parsed: {sql[:80]}")


def outcome(
    cur: autovec.Cursor, sql: str, unparsed: pytest.MonkeyPatch | None = None
) -> tuple[Any, ...]:
    """Rows changed, last ids and ROW_COUNT(), or the error; ``unparsed``: run without
    the normal path's parser."""
    try:
        if unparsed is None:
            cur.execute(sql)
        else:
            with unparsed.context() as patch:
                patch.setattr(session_module, "parse", _no_parse)
                cur.execute(sql)
    except autovec.Error as exc:
        return ("error", type(exc).__name__, *exc.args)
    result = (cur.rowcount, cur.lastrowid)
    cur.execute("SELECT LAST_INSERT_ID(), ROW_COUNT()")
    return (*result, cur.fetchall())


def contents(conn: autovec.Connection) -> dict[str, Any]:
    """Every table, as a client reads it and as SQLite stores it (types included)."""
    raw = conn.session.conn
    found: dict[str, Any] = {}
    for table in ("t", "kv", "docs"):
        cur = conn.cursor()
        cur.execute(f"SELECT * FROM {table} ORDER BY 1")
        found[table] = [tuple(repr(v) for v in row) for row in cur.fetchall()]
        stored = raw.execute(f'SELECT * FROM "test"."{table}" ORDER BY 1').fetchall()
        found[f"{table} stored"] = [tuple((type(v), v) for v in row) for row in stored]
    return found


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    both = Pair(tmp_path)
    yield both
    both.fast.close()
    both.slow.close()


VALUES = {
    "i": ["1", "-5", "0", "-0", "007", "2147483647", "1.5", "-2.5", "1e3", "'12'", "NULL"],
    "b": ["9223372036854775807", "-9223372036854775807", "'-42'", "3.0"],
    "u": ["0", "18446744073709551"],
    "d": ["1.5", "1.005", "'1.005'", "12345678.9", "1e2", "-0.0", "0.125", ".5", "-.25"],
    "f": ["1.5e0", "0.30000000000000004e0", "1.7976931348623157e308", "5e-324", "'3.14'"],
    "fl": ["3.4028234e38", "0.1", "1e-3"],
    "s": ["'abc'", "123", "1.5", r"'it''s'", r"'a\'b'", r"'a\\b'", r"'a\nb'", r"'\%_'", "'é'"],
    "c": ["'ab'", r"'a\0b'", r"'\q'", "'\"'", r"'\Z\b\t'", r"'\r'"],
    "tx": ["'plain'", "'x'", "''''", r"'\\'", "'%s'", "'VALUES (1)'"],
    "v": ["'[1,2,3]'", "'[1e0, -2.5, 3]'", "' [0.1,0.2,0.3] '", "NULL"],
    "j": ["'{\"a\": 1}'", "'[1, 2]'", "1", "'null'", "1.5", "'\"s\"'"],
    "dt": ["'2024-01-02 03:04:05'", "'2024-01-02'", "20240102030405", "'2024-01-02 03:04:05.5'"],
    "da": ["'2024-02-29'", "20240229", "'2024-02-29 10:00:00'"],
    "tm": ["'12:34:56'", "'08:00'", "'-1:00:00'"],
    "bl": ["'abc'", r"'a\0b'", "12"],
    "vb": ["'ab'", "''"],
    "e": ["'a'", "'B'", "1", "2"],
    "flag": ["1", "0", "'1'"],
}


@pytest.mark.parametrize("column", sorted(VALUES))
def test_each_type_stores_the_same_values(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    rows = ", ".join(f"({value})" for value in VALUES[column])
    fast, slow = pair.run(f"INSERT INTO t ({column}) VALUES {rows}", monkeypatch)
    assert fast == slow
    assert fast[0] == len(VALUES[column])
    assert pair.tables()[0] == pair.tables()[1]


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("i", "'12abc'"),
        ("i", "2147483648"),
        ("i", "'x'"),
        ("i", "''"),
        ("d", "123456789.5"),
        ("f", "'x'"),
        ("s", "'abcdef'"),
        ("c", "'abcd'"),
        ("v", "'[1,2]'"),
        ("v", "'abc'"),
        ("v", "'[1,2,3,4]'"),
        ("j", "'not json'"),
        ("dt", "'2024-13-01'"),
        ("da", "'yesterday'"),
        ("e", "'c'"),
        ("e", "3"),
        ("vb", "'abcde'"),
        ("u", "-1"),
    ],
)
def test_conversion_errors_name_the_same_row(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, column: str, bad: str
) -> None:
    good = VALUES[column][0]
    sql = f"INSERT INTO t ({column}) VALUES ({good}), ({good}), ({bad}), ({good})"
    if column == "s":
        sql = f"INSERT INTO t (s) VALUES ('a'), ('b'), ({bad}), ('c')"
    fast, slow = pair.run(sql, monkeypatch)
    assert fast == slow
    assert fast[0] == "error"
    assert "at row 3" in fast[3] or column in ("v", "j", "e"), fast
    assert pair.tables()[0] == pair.tables()[1]
    assert pair.tables()[0]["t"] == []  # all or nothing


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO kv VALUES (4, 10, 'a'), (5, 20, 'b'), (6, 30, NULL)",
        "INSERT INTO kv (k, n) VALUES (1, 11), (4, 40)",  # 1 is a duplicate: 1062, nothing left
        "INSERT INTO kv (n, k) VALUES (50, 5), (60, 6), (70, 5)",  # duplicate inside the batch
        "INSERT IGNORE INTO kv (k, n) VALUES (1, 11), (7, 70), (7, 71)",
        "REPLACE INTO kv (k, n, note) VALUES (2, 22, 'replaced'), (8, 80, 'new')",
        "replace into kv values (3, 33, 'x'), (3, 34, 'y')",
        "INSERT INTO kv (k, n) VALUES (1, 5), (9, 90) ON DUPLICATE KEY UPDATE n = n + VALUES(n)",
        "INSERT INTO kv (k, n) VALUES (2, 1) ON DUPLICATE KEY UPDATE note = 'odku', n = 2",
        "INSERT INTO kv (k) VALUES (NULL)",  # NOT NULL primary key: 1048
        "INSERT INTO `kv` (`k`, `n`) VALUES (14,1),(15,2);",
        "INSERT INTO test.kv (k, n) VALUES (16, 1), (17, 2)",
        "INSERT INTO docs VALUES (1, 'full text row'), (2, 'another row of text')",
        "INSERT INTO t (s, i) VALUES ('k1', 1), ('k2', 2), ('k1', 3)",  # unique key on s
        "INSERT INTO t (id, s) VALUES (0, 'z0'), (NULL, 'z1'), (100, 'z2'), (NULL, 'z3')",
        "INSERT INTO t (s) VALUES ('y1'), ('y2'), ('y3')",
    ],
)
def test_statements_behave_as_written(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, sql: str
) -> None:
    setup = "INSERT INTO kv VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')"
    for conn in (pair.fast, pair.slow):
        conn.cursor().execute(setup)
    fast, slow = pair.run(sql, monkeypatch)
    assert fast == slow
    assert pair.tables()[0] == pair.tables()[1]
    warnings = [outcome(c.cursor(), "SHOW WARNINGS") for c in (pair.fast, pair.slow)]
    assert warnings[0] == warnings[1]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO kv (k, nope) VALUES (12, 1)",  # 1054
        "INSERT INTO missing (k) VALUES (1)",  # 1146
        "INSERT INTO kv VALUES (13, 1)",  # 1136: three columns
        "INSERT INTO kv (k, n) VALUES (1, 1) ON DUPLICATE KEY UPDATE nope = 1",  # 1054
        "INSERT INTO kv (k, n) VALUES (1, 1) ON DUPLICATE KEY UPDATE n = 1; DELETE FROM kv",
    ],
)
def test_templates_that_fail_to_plan_report_as_written(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, sql: str
) -> None:
    fast, slow = pair.run(sql, monkeypatch, planned=False)
    assert fast == slow and fast[0] == "error"
    assert pair.tables()[0] == pair.tables()[1]


def test_auto_increment_ids_and_transactions(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    for conn in (pair.fast, pair.slow):
        conn.cursor().execute("INSERT INTO t (s) VALUES ('a')")
        conn.autocommit(False)
    fast, slow = pair.run("INSERT INTO t (s, i) VALUES ('b', 1), ('c', 2)", monkeypatch)
    assert fast == slow == (2, 2, [(2, 2)])
    for conn in (pair.fast, pair.slow):
        conn.rollback()
    assert pair.tables()[0] == pair.tables()[1]
    assert [row[0] for row in pair.tables()[0]["t stored"]] == [(int, 1)]


def test_a_thousand_rows_with_vectors(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    rows = ", ".join(
        f"('r{n}', '[{rng.uniform(-1, 1)!r},{rng.uniform(-1, 1):.5f},{rng.random()}]', {n})"
        for n in range(1000)
    )
    fast, slow = pair.run(f"INSERT INTO t (tx, v, i) VALUES {rows}", monkeypatch)
    assert fast == slow and fast[0] == 1000
    assert pair.tables()[0] == pair.tables()[1]


def test_a_repeated_shape_reuses_its_plan(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    cur = pair.fast.cursor()
    cur.execute("INSERT INTO kv (k, n) VALUES (1, 1)")
    with monkeypatch.context() as patch:
        patch.setattr(literal_rows, "parse", _no_parse)
        cur.execute("INSERT INTO kv (k, n) VALUES (2, 2), (3, 3)")
    assert cur.rowcount == 2


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO kv (k, n) VALUES (1, ABS(-1))",
        "INSERT INTO kv (k, n) VALUES (1, DEFAULT)",
        "INSERT INTO kv (k, note) VALUES (1, X'41')",
        "INSERT INTO kv (k, note) VALUES (1, _binary'a')",
        "INSERT INTO kv (k, note) VALUES (1, 'a' 'b')",
        'INSERT INTO kv (k, note) VALUES (1, "dq")',
        "INSERT INTO kv (k, n) VALUES (1, 1 + 1)",
        "INSERT INTO kv (k, n) VALUES (1, +1)",
        "INSERT INTO kv (k, n) VALUES (1, - 1)",
        "INSERT INTO kv (k, n) VALUES (1, TRUE)",
        "INSERT INTO kv (k, n) VALUES (1, 5.)",
        "INSERT INTO kv (k, n) SELECT 1, 2",
        "INSERT INTO kv SET k = 1",
        "INSERT INTO kv (k, n) VALUES (1, 1) /* c */",
        "INSERT INTO kv (k, n) VALUES (1, 9223372036854775808)",
        "INSERT INTO kv (k, note) VALUES (1, 0.123456789012345678)",
        "INSERT INTO kv (k, n) VALUES (1, 1) ON DUPLICATE KEY UPDATE n = ?",
        "REPLACE INTO kv (k, n) VALUES (1, 1) ON DUPLICATE KEY UPDATE n = 2",
        "INSERT LOW_PRIORITY INTO kv (k, n) VALUES (1, 1)",
        "INSERT INTO kv () VALUES ()",
        "INSERT INTO kv (k, n) VALUES (10, 1), (11)",  # rows of two widths: 1136 at row 2
        "INSERT INTO kv (k, n) VALUES (1, 1); DELETE FROM kv",
    ],
)
def test_other_statements_take_the_normal_path(sql: str) -> None:
    assert literal_rows.scan(sql) is None


def test_string_literals_read_as_the_parser_reads_them() -> None:
    rng = random.Random(11)
    pieces = ["a", "é", "\\n", "\\t", "\\0", "\\Z", "\\%", "\\_", "\\'", "''", '\\"', '"']
    pieces += ["\\\\", "\\q", "\\b", "\\r", "\\N", "\\a", "\\f", "\\v", "%", "\n", "\\\n", " "]
    for _ in range(2000):
        token = "'" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8))) + "'"
        expected = parse(f"SELECT {token}")[0].expressions[0]
        assert string_value(token) == expected.this, token


def test_number_literals_read_as_sqlite_reads_them() -> None:
    rng = random.Random(5)
    conn = apsw.Connection(":memory:")
    checked = 0
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
        point = rng.randint(0, len(digits))
        token = digits if rng.random() < 0.3 else f"{digits[:point]}.{digits[point:]}"
        token = token.strip(".") or "0"
        if rng.random() < 0.4:
            token += f"{rng.choice('eE')}{rng.choice(['', '-', '+'])}{rng.randint(0, 400)}"
        if rng.random() < 0.3:
            token = "-" + token
        sqlite_sql = parse(f"SELECT {token}")[0].sql(dialect="sqlite")
        (stored,) = conn.execute(sqlite_sql).fetchone()
        try:
            value = number_value(token)
        except NotBindable:
            continue
        assert (type(value), value) == (type(stored), stored), token
        checked += 1
    assert checked > 10000


def test_multi_row_placeholders_store_what_executemany_stores(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``VALUES (?, ?), (?, ?), …`` (SQLAlchemy's and the SDK's multi-row inserts) is
    bound row by row without parsing the rows, storing exactly what executemany stores."""
    rows = [(f"r{n}", [0.5, -1.0, float(n)], n) for n in range(300)] + [(None, None, 999)]
    flat = [value for row in rows for value in row]
    fast = pair.fast.cursor()
    with monkeypatch.context() as patch:
        patch.setattr(session_module, "parse", _no_parse)
        fast.execute(
            "INSERT INTO t (tx, v, i) VALUES " + ", ".join(["(%s, %s, %s)"] * len(rows)), flat
        )
    assert fast.rowcount == len(rows)
    pair.slow.cursor().executemany("INSERT INTO t (tx, v, i) VALUES (%s, %s, %s)", rows)
    assert pair.tables()[0] == pair.tables()[1]
    with pytest.raises(autovec.IntegrityError) as duplicate:  # errors as the normal path's
        fast.execute("INSERT INTO kv (k, n) VALUES (%s, %s), (%s, %s)", [7, 1, 7, 2])
    assert duplicate.value.args[0] == 1062
    with pytest.raises(autovec.ProgrammingError):  # one parameter short: the normal path says so
        fast.execute("INSERT INTO t (tx, i) VALUES (%s, %s), (%s, %s)", ["a", 1, "b"])
