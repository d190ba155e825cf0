"""The VEC_* functions called as SQL through a real apsw connection.

Checks what only the SQL face can get wrong: how SQLite hands values over (blobs, text,
NULL, numbers), that results come back as SQL values, and that TiDB's errors reach the
caller of ``execute`` unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager

import apsw
import numpy as np
import pytest

from autovec.sql import vector_functions
from autovec.sql.vector_functions import FUNCTION_NAMES, register
from autovec.vector import Vector, VectorError


@pytest.fixture
def conn() -> Iterator[apsw.Connection]:
    connection = apsw.Connection(":memory:")
    register(connection)
    yield connection
    connection.close()


def one(conn: apsw.Connection, sql: str, *params: object) -> object:
    """The single value a query returns."""
    rows = conn.execute(sql, params).fetchall()
    assert len(rows) == 1 and len(rows[0]) == 1
    return rows[0][0]


def blob(text: str) -> bytes:
    return Vector.from_text(text).to_bytes()


def raises(message: str) -> AbstractContextManager[pytest.ExceptionInfo[VectorError]]:
    return pytest.raises(VectorError, match="^" + re.escape(message) + "$")


def test_registers_every_function(conn: apsw.Connection) -> None:
    assert set(FUNCTION_NAMES) == {
        "VEC_COSINE_DISTANCE",
        "VEC_L2_DISTANCE",
        "VEC_NEGATIVE_INNER_PRODUCT",
        "VEC_L1_DISTANCE",
        "VEC_DIMS",
        "VEC_L2_NORM",
        "VEC_FROM_TEXT",
        "VEC_AS_TEXT",
        "__av_vec_add",
        "__av_vec_sub",
        "__av_vec_mul",
        "__av_vec_cmp",
        "__av_to_vector",
        "__av_vec_text",
    }
    # Names are case-insensitive in SQL, as in TiDB.
    assert one(conn, "SELECT vec_dims('[1,2]')") == 2
    assert one(conn, "SELECT Vec_Dims('[1,2]')") == 2


# ---- the reference's examples, with text arguments (implicit cast) ---------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT VEC_L2_DISTANCE('[0,0]', '[3,4]')", 5.0),
        ("SELECT VEC_L1_DISTANCE('[0,0]', '[3,4]')", 7.0),
        ("SELECT VEC_NEGATIVE_INNER_PRODUCT('[1,2]', '[3,4]')", -11.0),
        ("SELECT VEC_COSINE_DISTANCE('[1,1]', '[-1,-1]')", 2.0),
        ("SELECT VEC_COSINE_DISTANCE('[1,0]', '[0,1]')", 1.0),
        ("SELECT VEC_L2_NORM('[3,4]')", 5.0),
        ("SELECT VEC_DIMS('[]')", 0),
        ("SELECT VEC_DIMS('[1, 2, 3]')", 3),
        ("SELECT VEC_AS_TEXT('[0.3, 0.5, -0.1]')", "[0.3,0.5,-0.1]"),
        ("SELECT VEC_AS_TEXT('[1, 2.5]')", "[1,2.5]"),
        ("SELECT VEC_AS_TEXT('[1e-7, 1e20]')", "[0.0000001,100000000000000000000]"),
        ("SELECT VEC_AS_TEXT(VEC_FROM_TEXT(' [ 1 , 2 ] '))", "[1,2]"),
        ("SELECT __av_vec_text('[-0]')", "[-0]"),
    ],
)
def test_reference_examples(conn: apsw.Connection, sql: str, expected: object) -> None:
    result = one(conn, sql)
    assert result == expected
    assert type(result) is type(expected)


def test_results_have_sql_types(conn: apsw.Connection) -> None:
    row = conn.execute(
        "SELECT typeof(VEC_L2_DISTANCE('[0]', '[1]')), typeof(VEC_DIMS('[1]')),"
        " typeof(VEC_FROM_TEXT('[1]')), typeof(VEC_AS_TEXT('[1]')),"
        " typeof(__av_vec_add('[1]', '[1]')), typeof(__av_vec_cmp('[1]', '[1]'))"
    ).fetchone()
    assert row == ("real", "integer", "blob", "text", "blob", "integer")


def test_cosine_zero_vector_and_overflow_are_null(conn: apsw.Connection) -> None:
    assert one(conn, "SELECT VEC_COSINE_DISTANCE('[0,0]', '[1,2]')") is None
    assert one(conn, "SELECT VEC_COSINE_DISTANCE('[3e38]', '[3e38]')") is None


def test_overflow_gives_infinity(conn: apsw.Connection) -> None:
    assert one(conn, "SELECT VEC_L2_DISTANCE('[3e38]', '[-3e38]')") == math.inf
    assert one(conn, "SELECT VEC_NEGATIVE_INNER_PRODUCT('[3e38]', '[3e38]')") == -math.inf


# ---- NULL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT VEC_COSINE_DISTANCE(NULL, '[1]')",
        "SELECT VEC_COSINE_DISTANCE('[1]', NULL)",
        "SELECT VEC_L2_DISTANCE(NULL, NULL)",
        "SELECT VEC_NEGATIVE_INNER_PRODUCT('[1]', NULL)",
        "SELECT VEC_L1_DISTANCE(NULL, '[1]')",
        "SELECT VEC_DIMS(NULL)",
        "SELECT VEC_L2_NORM(NULL)",
        "SELECT VEC_FROM_TEXT(NULL)",
        "SELECT VEC_AS_TEXT(NULL)",
        "SELECT __av_vec_add(NULL, '[1]')",
        "SELECT __av_vec_sub('[1]', NULL)",
        "SELECT __av_vec_mul(NULL, NULL)",
        "SELECT __av_vec_cmp(NULL, '[1]')",
        "SELECT __av_vec_cmp('[1]', NULL)",
        "SELECT __av_to_vector(NULL, 3)",
        "SELECT __av_vec_text(NULL)",
        # Arguments are read left to right: a NULL first argument hides a bad second one
        # (and different dimensions never get compared).
        "SELECT VEC_L2_DISTANCE(NULL, 'not a vector')",
        "SELECT VEC_L2_DISTANCE(NULL, '[1,2,3]')",
    ],
)
def test_null_in_null_out(conn: apsw.Connection, sql: str) -> None:
    assert one(conn, sql) is None


def test_bad_first_argument_is_an_error_even_with_null_second(conn: apsw.Connection) -> None:
    with raises("Invalid vector text: abc"):
        one(conn, "SELECT VEC_L2_DISTANCE('abc', NULL)")


# ---- errors reach the caller unchanged -------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT VEC_DIMS('[5, ]')", "Invalid vector text: [5, ]"),
        ("SELECT VEC_DIMS('abc')", "Invalid vector text: abc"),
        ("SELECT VEC_DIMS('null')", "Invalid vector text: null"),
        ("SELECT VEC_DIMS('[1,null]')", "Invalid vector text: [1,null]"),
        ("SELECT VEC_FROM_TEXT('[1,2,3]extra')", "Invalid vector text: [1,2,3]extra"),
        ("SELECT VEC_FROM_TEXT('[1e39]')", "value 1e+39 out of range for float32"),
        ("SELECT VEC_AS_TEXT('[1e400]')", "Invalid vector text: [1e400]"),
        ("SELECT VEC_DIMS(5)", "Invalid vector text: 5"),
        ("SELECT VEC_DIMS(1.5)", "Invalid vector text: 1.5"),
        ("SELECT VEC_L2_NORM(-2)", "Invalid vector text: -2"),
        ("SELECT VEC_L2_DISTANCE('[1]', '[1,2,3]')", "vectors have different dimensions: 1 and 3"),
        (
            "SELECT VEC_COSINE_DISTANCE('[1,2]', '[1]')",
            "vectors have different dimensions: 2 and 1",
        ),
        ("SELECT VEC_L1_DISTANCE('[1]', '[]')", "vectors have different dimensions: 1 and 0"),
        (
            "SELECT VEC_NEGATIVE_INNER_PRODUCT('[]', '[1]')",
            "vectors have different dimensions: 0 and 1",
        ),
        ("SELECT __av_vec_add('[1]', '[1,2,3]')", "vectors have different dimensions: 1 and 3"),
        ("SELECT __av_vec_add('[3e38]', '[3e38]')", "value out of range: overflow"),
        ("SELECT __av_vec_sub('[-3e38]', '[3e38]')", "value out of range: overflow"),
        ("SELECT __av_vec_mul('[1e20]', '[1e20]')", "value out of range: overflow"),
        ("SELECT __av_to_vector('[1,2]', 3)", "vector has 2 dimensions, does not fit VECTOR(3)"),
        (
            "SELECT VEC_DIMS(x'000000')",
            "Invalid vector binary: 3 bytes is not a whole number of float32 values",
        ),
    ],
)
def test_errors_propagate(conn: apsw.Connection, sql: str, message: str) -> None:
    with raises(message) as info:
        one(conn, sql)
    assert info.value.errno == 1105 and info.value.sqlstate == "HY000"


def test_dimension_limit(conn: apsw.Connection) -> None:
    text = "[" + ",".join(["0.5"] * 16384) + "]"
    with raises("vector cannot have more than 16383 dimensions"):
        one(conn, "SELECT VEC_DIMS(?)", text)
    assert one(conn, "SELECT VEC_DIMS(?)", text.replace("[0.5,", "[")) == 16383


# ---- stored blobs ----------------------------------------------------------------------


@pytest.fixture
def table(conn: apsw.Connection) -> apsw.Connection:
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    rows = [(1, "[1,0]"), (2, "[0,1]"), (3, "[3,4]"), (4, "[-1,-1]"), (5, None)]
    for row_id, text in rows:
        conn.execute(
            "INSERT INTO t VALUES (?, __av_to_vector(?, 2))",
            (row_id, text),
        )
    return conn


def test_values_are_stored_as_raw_float32(table: apsw.Connection) -> None:
    assert one(table, "SELECT v FROM t WHERE id = 3") == blob("[3,4]")
    assert one(table, "SELECT length(v) FROM t WHERE id = 3") == 8
    assert one(table, "SELECT v FROM t WHERE id = 5") is None


def test_distances_over_a_table(table: apsw.Connection) -> None:
    rows = table.execute(
        "SELECT id, VEC_L2_DISTANCE(v, '[0,0]'), VEC_L1_DISTANCE(v, '[0,0]'),"
        " VEC_NEGATIVE_INNER_PRODUCT(v, ?), VEC_COSINE_DISTANCE(v, VEC_FROM_TEXT('[1,1]')),"
        " VEC_L2_NORM(v), VEC_DIMS(v), VEC_AS_TEXT(v)"
        " FROM t ORDER BY id",
        (blob("[1,2]"),),
    ).fetchall()
    assert rows[0][:7] == (1, 1.0, 1.0, -1.0, pytest.approx(1 - math.sqrt(0.5)), 1.0, 2)
    assert rows[2] == (3, 5.0, 7.0, -11.0, pytest.approx(1 - 7 / math.sqrt(50)), 5.0, 2, "[3,4]")
    assert rows[3][4] == 2.0
    assert rows[4] == (5, None, None, None, None, None, None, None)


def test_nearest_neighbours_query(table: apsw.Connection) -> None:
    ids = [
        row[0]
        for row in table.execute(
            "SELECT id FROM t WHERE v IS NOT NULL"
            " ORDER BY VEC_COSINE_DISTANCE(v, '[1, 0.9]') LIMIT 2"
        )
    ]
    assert ids == [3, 1]


def test_arithmetic_and_comparison_on_stored_vectors(table: apsw.Connection) -> None:
    assert one(table, "SELECT VEC_AS_TEXT(__av_vec_add(v, '[0.5,0.5]')) FROM t WHERE id=3") == (
        "[3.5,4.5]"
    )
    assert one(table, "SELECT __av_vec_text(__av_vec_sub(v, v)) FROM t WHERE id=3") == "[0,0]"
    assert one(table, "SELECT __av_vec_text(__av_vec_mul(v, v)) FROM t WHERE id=3") == "[9,16]"
    ordered = [
        row[0]
        for row in table.execute(
            "SELECT a.id FROM t a WHERE a.v IS NOT NULL ORDER BY"
            " (SELECT count(*) FROM t b WHERE __av_vec_cmp(b.v, a.v) < 0)"
        )
    ]
    assert ordered == [4, 2, 1, 3]  # [-1,-1] < [0,1] < [1,0] < [3,4]
    assert one(table, "SELECT count(*) FROM t WHERE __av_vec_cmp(v, '[1,0]') = 0") == 1


def test_comparison_is_tidb_order(conn: apsw.Connection) -> None:
    assert one(conn, "SELECT __av_vec_cmp('[1,2]', '[1,2,3]')") == -1
    assert one(conn, "SELECT __av_vec_cmp('[1,3]', '[1,2,3]')") == 1
    assert one(conn, "SELECT __av_vec_cmp('[]', '[-5]')") == -1
    assert one(conn, "SELECT __av_vec_cmp('[4]', '[12]')") == -1  # not string order
    assert one(conn, "SELECT __av_vec_cmp(?, '[1, 2]')", blob("[1,2]")) == 0


def test_to_vector_gate(conn: apsw.Connection) -> None:
    stored = blob("[1,2,3]")
    # A good blob passes through as is; dims -1 or NULL means any dimension.
    assert one(conn, "SELECT __av_to_vector(?, 3)", stored) == stored
    assert one(conn, "SELECT __av_to_vector(?, -1)", stored) == stored
    assert one(conn, "SELECT __av_to_vector('[1, 2]', NULL)") == blob("[1,2]")
    assert one(conn, "SELECT __av_to_vector('[]', 0)") == b""
    with raises("vector has 3 dimensions, does not fit VECTOR(2)"):
        one(conn, "SELECT __av_to_vector(?, 2)", stored)
    # Blobs are checked in full here, because this is where values enter storage.
    with raises("NaN not allowed in vector"):
        one(conn, "SELECT __av_to_vector(?, -1)", np.array([np.nan], "<f4").tobytes())
    with raises("infinite value not allowed in vector"):
        one(conn, "SELECT __av_to_vector(?, 1)", np.array([np.inf], "<f4").tobytes())
    with raises("Invalid vector text: 7"):
        one(conn, "SELECT __av_to_vector(7, -1)")


def test_insert_error_rolls_back_the_statement(conn: apsw.Connection) -> None:
    conn.execute("CREATE TABLE t (v BLOB)")
    with raises("vector has 2 dimensions, does not fit VECTOR(3)"):
        conn.execute(
            "INSERT INTO t SELECT __av_to_vector(column1, 3) FROM (VALUES ('[1,2,3]'), ('[1,2]'))"
        )
    assert one(conn, "SELECT count(*) FROM t") == 0


def test_from_text_and_as_text_with_blobs(conn: apsw.Connection) -> None:
    stored = blob("[0.3,0.5,-0.1]")
    assert one(conn, "SELECT VEC_FROM_TEXT(?)", stored) == stored
    assert one(conn, "SELECT VEC_AS_TEXT(?)", stored) == "[0.3,0.5,-0.1]"
    assert one(conn, "SELECT __av_vec_text(?)", stored) == "[0.3,0.5,-0.1]"
    assert one(conn, "SELECT VEC_AS_TEXT(?)", b"") == "[]"


def test_long_vectors(conn: apsw.Connection) -> None:
    rng = np.random.default_rng(11)
    a = Vector(rng.standard_normal(1536))
    b = Vector(rng.standard_normal(1536))
    got = one(conn, "SELECT VEC_COSINE_DISTANCE(?, ?)", a.to_bytes(), b.to_text())
    expected = 1 - float(np.dot(a.to_numpy(), b.to_numpy())) / (
        float(np.linalg.norm(a.to_numpy())) * float(np.linalg.norm(b.to_numpy()))
    )
    assert got == pytest.approx(expected, rel=1e-4)
    assert one(conn, "SELECT VEC_AS_TEXT(?)", a.to_bytes()) == a.to_text()


def test_text_arguments_are_parsed_once(
    conn: apsw.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A literal query vector reaches the function once per row; it must not be re-parsed."""
    vector_functions._parse_text.cache_clear()
    conn.execute("CREATE TABLE t (v BLOB)")
    for i in range(50):
        conn.execute("INSERT INTO t VALUES (?)", (Vector([i, 1]).to_bytes(),))
    calls = 0
    original = Vector.from_text.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Vector], text: str) -> Vector:
        nonlocal calls
        calls += 1
        return original(cls, text)  # type: ignore[no-any-return]

    monkeypatch.setattr(Vector, "from_text", classmethod(counting))
    rows = conn.execute("SELECT VEC_L2_DISTANCE(v, '[0, 1]') FROM t").fetchall()
    assert [r[0] for r in rows] == [float(i) for i in range(50)]
    assert calls == 1
