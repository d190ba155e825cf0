"""VECTOR columns and VEC_* functions through SQL, with TiDB's texts and semantics."""

from __future__ import annotations

import numpy as np
import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def vt(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute("CREATE TABLE vt (id INT PRIMARY KEY, v VECTOR(3), free VECTOR)")
    cur.execute(
        "INSERT INTO vt VALUES (1, '[1,2,3]', '[1]'), (2, '[4,5,6]', '[1,2,3,4]'), (3, NULL, NULL)"
    )
    return cur


def test_type_spellings_and_show_create(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE s (a VECTOR, b VECTOR(3), c VECTOR<FLOAT>(5))")
    create = rows(cur, "SHOW CREATE TABLE s")[0][1]
    assert "`a` vector," in create and "`b` vector(3)" in create and "`c` vector(5)" in create
    with pytest.raises(autovec.DatabaseError, match="Only VECTOR is supported for now"):
        cur.execute("CREATE TABLE s2 (a VECTOR<DOUBLE>(3))")
    with pytest.raises(
        autovec.DatabaseError, match="vector cannot have more than 16383 dimensions"
    ):
        cur.execute("CREATE TABLE s3 (a VECTOR(16384))")


def test_text_in_canonical_text_out(vt: autovec.Cursor) -> None:
    vt.execute("INSERT INTO vt (id, v) VALUES (4, '[ 0.3 , 0.5, -0.1 ]')")
    value = rows(vt, "SELECT v FROM vt WHERE id = 4")[0][0]
    assert isinstance(value, autovec.Vector)
    assert str(value) == "[0.3,0.5,-0.1]"
    assert np.allclose(np.asarray(value), [0.3, 0.5, -0.1])
    assert rows(vt, "SELECT VEC_AS_TEXT(v), CAST(v AS CHAR) FROM vt WHERE id = 1") == [
        ("[1,2,3]", "[1,2,3]")
    ]


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("[5, ]", r"Invalid vector text: \[5, \]"),
        ("abc", "Invalid vector text: abc"),
        ("[1,null]", r"Invalid vector text: \[1,null\]"),
        ("[1,2]", r"vector has 2 dimensions, does not fit VECTOR\(3\)"),
        ("[1e39,1,1]", "out of range for float32"),
    ],
)
def test_bad_vectors_are_rejected_with_tidb_errors(
    vt: autovec.Cursor, literal: str, message: str
) -> None:
    with pytest.raises(autovec.DataError, match=message) as info:
        vt.execute("INSERT INTO vt (id, v) VALUES (10, %s)", [literal])
    assert info.value.args[0] == 1105
    assert rows(vt, "SELECT count(*) FROM vt") == [(3,)]


def test_dimension_checks_on_update_and_cast(vt: autovec.Cursor) -> None:
    with pytest.raises(
        autovec.DataError, match=r"vector has 4 dimensions, does not fit VECTOR\(3\)"
    ):
        vt.execute("UPDATE vt SET v = '[1,2,3,4]' WHERE id = 1")
    with pytest.raises(autovec.DataError, match=r"does not fit VECTOR\(2\)"):
        vt.execute("SELECT CAST('[1,2,3]' AS VECTOR(2))")
    assert str(rows(vt, "SELECT CAST('[1,2]' AS VECTOR(2))")[0][0]) == "[1,2]"


def test_functions_match_reference_examples(cur: autovec.Cursor) -> None:
    result = rows(
        cur,
        "SELECT VEC_L2_DISTANCE('[0,0]', '[3,4]'), VEC_L1_DISTANCE('[0,0]', '[3,4]'), "
        "VEC_NEGATIVE_INNER_PRODUCT('[1,2]', '[3,4]'), VEC_COSINE_DISTANCE('[1,1]', '[-1,-1]'), "
        "VEC_L2_NORM('[3,4]'), VEC_DIMS('[]'), VEC_DIMS('[1,2,3]')",
    )[0]
    assert result == (5.0, 7.0, -11.0, 2.0, 5.0, 0, 3)


def test_null_semantics(cur: autovec.Cursor) -> None:
    assert rows(
        cur,
        "SELECT VEC_COSINE_DISTANCE(NULL, '[1]'), VEC_DIMS(NULL), VEC_COSINE_DISTANCE('[0,0]', '[1,1]')",
    ) == [(None, None, None)]


def test_different_dimensions_error(vt: autovec.Cursor) -> None:
    with pytest.raises(autovec.DatabaseError, match="vectors have different dimensions: 3 and 2"):
        vt.execute("SELECT VEC_L2_DISTANCE(v, '[1,2]') FROM vt WHERE id = 1")


def test_comparison_ordering_and_arithmetic(vt: autovec.Cursor) -> None:
    assert rows(vt, "SELECT id FROM vt WHERE v < '[2,0,0]'") == [(1,)]
    assert rows(vt, "SELECT id FROM vt WHERE v = '[4,5,6]'") == [(2,)]
    assert rows(vt, "SELECT id FROM vt WHERE v IS NOT NULL ORDER BY v DESC") == [(2,), (1,)]
    # a prefix is smaller; [] is smallest
    assert rows(
        vt,
        "SELECT VEC_FROM_TEXT('[1,2]') < VEC_FROM_TEXT('[1,2,0]'), VEC_FROM_TEXT('[]') < VEC_FROM_TEXT('[-5]')",
    ) == [(1, 1)]
    # '[12]' < '[4]' compares strings, as in TiDB
    assert rows(vt, "SELECT '[12]' < '[4]'") == [(1,)]
    assert str(rows(vt, "SELECT v + v FROM vt WHERE id = 1")[0][0]) == "[2,4,6]"
    assert str(rows(vt, "SELECT v - '[1,1,1]' FROM vt WHERE id = 1")[0][0]) == "[0,1,2]"
    assert str(rows(vt, "SELECT MAX(v) FROM vt")[0][0]) == "[4,5,6]"
    with pytest.raises(autovec.DatabaseError, match="vectors have different dimensions"):
        vt.execute("SELECT v + '[1]' FROM vt WHERE id = 1")


def test_vector_parameters_from_python(vt: autovec.Cursor) -> None:
    vt.execute(
        "INSERT INTO vt (id, v) VALUES (%s, %s), (%s, %s)",
        [7, [0.5, 0.25, 1], 8, np.array([1, 1, 1], dtype=np.float64)],
    )
    got = rows(vt, "SELECT id, v FROM vt WHERE id IN (7, 8) ORDER BY id")
    assert [str(v) for _, v in got] == ["[0.5,0.25,1]", "[1,1,1]"]
    assert rows(
        vt, "SELECT VEC_L2_DISTANCE(v, %s) FROM vt WHERE id = 8", [autovec.Vector([1, 1, 1])]
    ) == [(0.0,)]


def test_description_type_codes(vt: autovec.Cursor) -> None:
    vt.execute(
        "SELECT v, VEC_COSINE_DISTANCE(v, '[1,2,3]') AS d, VEC_FROM_TEXT('[1]') AS f FROM vt WHERE id = 1"
    )
    codes = [d[1] for d in vt.description or ()]
    assert codes == [225, 5, 225]


def test_vector_column_restrictions(cur: autovec.Cursor) -> None:
    with pytest.raises(
        autovec.DatabaseError, match="only VECTOR INDEX can be added to vector column"
    ):
        cur.execute("CREATE TABLE r (v VECTOR(3) PRIMARY KEY)")
    with pytest.raises(autovec.DatabaseError, match="can't have a literal default"):
        cur.execute("CREATE TABLE r (v VECTOR(3) DEFAULT '[1,2,3]')")
    cur.execute("CREATE TABLE r (id INT, v VECTOR(3) DEFAULT (VEC_FROM_TEXT('[1,2,3]')))")
    cur.execute("INSERT INTO r (id) VALUES (1)")
    assert str(rows(cur, "SELECT v FROM r")[0][0]) == "[1,2,3]"
