"""A vector stays a vector through variables, windows, conditionals, subqueries and UNION."""

from __future__ import annotations

import pytest

import autovec
from autovec import Vector
from tests.conftest import rows

V1, V2 = Vector([1, 2, 3]), Vector([4, 5, 6])


@pytest.fixture
def vcur(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute("CREATE TABLE v (id INT PRIMARY KEY, e VECTOR(3))")
    cur.execute("INSERT INTO v VALUES (1, '[1,2,3]'), (2, '[4,5,6]')")
    return cur


def test_user_variables_hold_vectors(vcur: autovec.Cursor) -> None:
    vcur.execute("SET @a = VEC_FROM_TEXT('[1,2,3]'), @b = (SELECT e FROM v WHERE id = 2)")
    assert rows(vcur, "SELECT @a, @b") == [(V1, V2)]
    assert rows(vcur, "SELECT VEC_L2_DISTANCE(@a, @b), VEC_DIMS(@a)") == [
        (pytest.approx(27**0.5), 3)
    ]
    assert rows(vcur, "SELECT id FROM v WHERE e = @b") == [(2,)]


def test_window_functions(vcur: autovec.Cursor) -> None:
    got = rows(
        vcur,
        "SELECT FIRST_VALUE(e) OVER w, LAST_VALUE(e) OVER w, NTH_VALUE(e, 1) OVER w,"
        " LAG(e) OVER w, LEAD(e) OVER w FROM v WINDOW w AS (ORDER BY id)",
    )
    assert got == [(V1, V1, V1, None, V2), (V1, V2, V1, V1, None)]


def test_conditionals(vcur: autovec.Cursor) -> None:
    got = rows(
        vcur,
        "SELECT CASE WHEN id = 1 THEN e END, IF(id = 1, e, NULL), IFNULL(e, e),"
        " COALESCE(NULL, e), NULLIF(e, '[4,5,6]') FROM v ORDER BY id",
    )
    assert got == [(V1, V1, V1, V1, V1), (None, None, V2, V2, None)]


def test_subqueries_union_and_ctes(vcur: autovec.Cursor) -> None:
    assert rows(vcur, "SELECT (SELECT e FROM v WHERE id = 1)") == [(V1,)]
    assert rows(vcur, "SELECT x FROM (SELECT id, e AS x FROM v) s ORDER BY id") == [(V1,), (V2,)]
    assert rows(vcur, "SELECT e FROM v UNION ALL SELECT VEC_FROM_TEXT('[7,8,9]')")[-1] == (
        Vector([7, 8, 9]),
    )
    assert rows(vcur, "WITH c AS (SELECT e FROM v) SELECT MAX(e), MIN(e) FROM c") == [(V2, V1)]


def test_vectors_in_strings_are_their_text(vcur: autovec.Cursor) -> None:
    assert rows(vcur, "SELECT GROUP_CONCAT(e ORDER BY id SEPARATOR ';') FROM v") == [
        ("[1,2,3];[4,5,6]",)
    ]
    assert rows(vcur, "SELECT CONCAT(e, '!') FROM v WHERE id = 1") == [("[1,2,3]!",)]


@pytest.mark.parametrize(
    ("sql", "target"),
    [
        ("SELECT CAST(e AS JSON) FROM v", "json"),
        ("SELECT CAST(e AS DOUBLE) FROM v", "double"),
        ("SELECT SUM(e) FROM v", "double"),
        ("SELECT AVG(e) FROM v", "double"),
    ],
)
def test_tidb_cast_errors(vcur: autovec.Cursor, sql: str, target: str) -> None:
    with pytest.raises(autovec.DatabaseError) as info:
        vcur.execute(sql)
    assert info.value.args[1] == f"cannot cast from vector<float> to {target}"


def test_bytes_that_are_not_text_are_1300(cur: autovec.Cursor) -> None:
    with pytest.raises(autovec.DataError) as info:
        cur.execute("SELECT CONCAT(X'80', 'a')")
    assert info.value.args == (1300, "Invalid utf8mb4 character string: '80'")
    assert rows(cur, "SELECT 1") == [(1,)]
