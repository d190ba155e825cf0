"""Describing a statement without running it: what COM_STMT_PREPARE answers."""

from __future__ import annotations

from pathlib import Path

import pytest

import autovec
from autovec.sql.describe import describe


@pytest.fixture
def session(tmp_path: Path) -> autovec.Connection:
    conn = autovec.connect(tmp_path / "db", autocommit=True)
    conn.session.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), v VECTOR(3), d DECIMAL(10,2))"
    )
    conn.session.execute("INSERT INTO t VALUES (1, 'a', '[1,2,3]', 1.5)")
    return conn


def shape(conn: autovec.Connection, sql: str) -> tuple[int, list[tuple[str, str]] | None]:
    described = describe(conn.session, sql)
    columns = described.columns
    return described.parameters, None if columns is None else [
        (c.name, c.type.name) for c in columns
    ]


def test_selects_are_described_with_their_types(session: autovec.Connection) -> None:
    assert shape(session, "SELECT id, name, v, d FROM t WHERE id = ?") == (
        1,
        [("id", "int"), ("name", "varchar"), ("v", "vector"), ("d", "decimal")],
    )
    assert shape(session, "SELECT id, VEC_COSINE_DISTANCE(v, ?) AS dist FROM t LIMIT ?") == (
        2,
        [("id", "int"), ("dist", "double")],
    )
    assert shape(session, "SELECT id FROM t WHERE name = '?' -- ?") == (0, [("id", "int")])
    assert shape(session, "SELECT id, name FROM t UNION SELECT 1, 'x'")[1] == [
        ("id", "int"),
        ("name", "varchar"),
    ]


def test_describing_runs_nothing(session: autovec.Connection) -> None:
    """Nothing is read or written: a DELETE is not run, and no rows come back."""
    assert shape(session, "DELETE FROM t WHERE id = ?") == (1, None)
    assert shape(session, "REPLACE INTO t VALUES (?, ?, ?, ?)") == (4, None)
    assert session.session.execute("SELECT COUNT(*) FROM t").rows == [(1,)]


def test_catalog_reads_and_errors(session: autovec.Connection) -> None:
    assert shape(session, "SHOW TABLES") == (0, [("Tables_in_test", "varchar")])
    assert shape(session, "DESCRIBE t")[1] == [
        ("Field", "varchar"), ("Type", "varchar"), ("Null", "varchar"),
        ("Key", "varchar"), ("Default", "varchar"), ("Extra", "varchar"),
    ]  # fmt: skip
    with pytest.raises(autovec.ProgrammingError) as missing:
        describe(session.session, "SELECT * FROM nosuch WHERE id = ?")
    assert missing.value.args[0] == 1146
    with pytest.raises(autovec.ProgrammingError) as broken:
        describe(session.session, "SELEC 1")
    assert broken.value.args[0] == 1064
