"""HAVING on a query that does not aggregate filters by select-list aliases, as in MySQL
(pytidb's pre-filtered vector searches send it)."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def points(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute("CREATE TABLE p (id INT PRIMARY KEY, v VECTOR(2), n INT)")
    cur.execute("INSERT INTO p VALUES (1, '[1,0]', 1), (2, '[0,1]', 2), (3, '[1,1]', 3)")
    return cur


def test_having_on_an_alias(points: autovec.Cursor) -> None:
    found = rows(
        points,
        "SELECT id, VEC_COSINE_DISTANCE(v, '[1,0]') AS _distance FROM p WHERE n > 0"
        " HAVING _distance <= 0.5 ORDER BY _distance LIMIT 5",
    )
    assert [r[0] for r in found] == [1, 3]
    assert found[1][1] == pytest.approx(1 - 2**-0.5)
    assert rows(points, "SELECT id, n * 2 AS d FROM p HAVING d > 2 AND id < 3") == [(2, 4)]


def test_aggregating_queries_keep_their_having(points: autovec.Cursor) -> None:
    assert rows(points, "SELECT COUNT(*) AS c FROM p HAVING c > 1") == [(3,)]
    assert rows(points, "SELECT COUNT(*) AS c FROM p HAVING c > 5") == []
    assert rows(points, "SELECT n, COUNT(*) AS c FROM p GROUP BY n HAVING n > 1 ORDER BY n") == [
        (2, 1),
        (3, 1),
    ]
