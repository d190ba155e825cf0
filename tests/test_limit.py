"""LIMIT and OFFSET as MySQL's grammar has them: unsigned integers up to 2^64-1."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows

ALL = 18446744073709551615  # MySQL's documented "to the last row"


@pytest.fixture(params=["", ", VECTOR INDEX ix ((VEC_L2_DISTANCE(v)))"], ids=["plain", "index"])
def t(request: pytest.FixtureRequest, cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(f"CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(3){request.param})")
    cur.execute("INSERT INTO t VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,3]')")
    return cur


def test_offset_to_the_end(t: autovec.Cursor) -> None:
    assert rows(t, f"SELECT id FROM t ORDER BY id LIMIT 1, {ALL}") == [(2,), (3,)]
    assert rows(t, f"SELECT id FROM t ORDER BY id LIMIT {ALL} OFFSET 2") == [(3,)]
    assert rows(t, f"SELECT id FROM t ORDER BY id LIMIT {ALL}") == [(1,), (2,), (3,)]


def test_vector_search_to_the_end(t: autovec.Cursor) -> None:
    search = "SELECT id FROM t ORDER BY VEC_L2_DISTANCE(v, '[1,0,0]')"
    assert rows(t, f"{search} LIMIT {ALL}") == [(1,), (2,), (3,)]
    assert rows(t, f"{search} LIMIT 1, {ALL}") == [(2,), (3,)]


@pytest.mark.parametrize("limit", ["-1", "1.5", "1e309", str(ALL + 1), "'2'"])
def test_bad_limits_are_syntax_errors(t: autovec.Cursor, limit: str) -> None:
    for sql in (
        f"SELECT id FROM t LIMIT {limit}",
        f"SELECT id FROM t LIMIT {limit}, 1",
        f"DELETE FROM t ORDER BY id LIMIT {limit}",
    ):
        with pytest.raises(autovec.ProgrammingError) as info:
            t.execute(sql)
        assert info.value.args[0] == 1064
    assert rows(t, "SELECT count(*) FROM t") == [(3,)]


def test_placeholder_limits(t: autovec.Cursor) -> None:
    assert rows(t, "SELECT id FROM t ORDER BY id LIMIT %s, %s", [1, 1]) == [(2,)]
