"""``SHOW … WHERE``: the condition filters the SHOW's own rows, as MySQL's does (pytidb's
``SHOW INDEXES FROM t WHERE Column_name = … AND Index_type = 'HNSW'``)."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def indexed(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10), v VECTOR(2))")
    cur.execute("CREATE VECTOR INDEX vi ON t ((VEC_COSINE_DISTANCE(v)))")
    return cur


def test_show_indexes_and_keys_filtered(indexed: autovec.Cursor) -> None:
    hnsw = rows(indexed, "SHOW INDEXES FROM t WHERE Column_name = 'v' AND Index_type = 'HNSW'")
    assert [(r[2], r[4], r[10]) for r in hnsw] == [("vi", "v", "HNSW")]
    assert rows(indexed, "SHOW INDEXES FROM t WHERE Column_name = 'name'") == []
    assert [r[2] for r in rows(indexed, "SHOW KEYS FROM t WHERE Non_unique = 0")] == ["PRIMARY"]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("SHOW COLUMNS FROM t WHERE Field = 'v'", ["v"]),
        ("SHOW COLUMNS FROM t WHERE Field LIKE '%a%' OR `Key` = 'PRI'", ["id", "name"]),
        ("SHOW COLUMNS FROM t WHERE NOT (Field IN ('id', 'v'))", ["name"]),
        ("SHOW COLUMNS FROM t WHERE `Default` IS NULL AND `Null` = 'yes'", ["name", "v"]),
        ("SHOW TABLES WHERE Tables_in_test = 'T'", ["t"]),  # case-insensitive, as in MySQL
        ("SHOW TABLES WHERE Tables_in_test = 'zz'", []),
        ("SHOW DATABASES WHERE `Database` = 'test'", ["test"]),
        ("SHOW VARIABLES WHERE Variable_name = 'port'", ["port"]),
    ],
)
def test_where_on_any_show(indexed: autovec.Cursor, statement: str, expected: list[str]) -> None:
    assert [r[0] for r in rows(indexed, statement)] == expected


def test_unknown_column_in_show_where(indexed: autovec.Cursor) -> None:
    with pytest.raises(autovec.OperationalError) as info:
        indexed.execute("SHOW TABLES WHERE nope = 1")
    assert info.value.args == (1054, "Unknown column 'nope' in 'where clause'")


def test_parameters_in_show_where(indexed: autovec.Cursor) -> None:
    indexed.execute("SHOW INDEXES FROM t WHERE Column_name = %s AND Index_type = %s", ("v", "HNSW"))
    assert [r[2] for r in indexed.fetchall()] == ["vi"]
    indexed.execute("SHOW COLUMNS FROM t WHERE Field = %(f)s", {"f": "name"})
    assert [r[0] for r in indexed.fetchall()] == ["name"]
