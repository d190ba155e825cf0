"""MySQL's exact numbers: DECIMAL literals and arithmetic, DECIMAL columns, BIGINT UNSIGNED."""

from __future__ import annotations

from decimal import Decimal

import pytest

import autovec
from tests.conftest import rows

D = Decimal


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 0.1 + 0.2", D("0.3")),
        ("SELECT 1.10", D("1.10")),
        ("SELECT 2.50 * 2", D("5.00")),
        ("SELECT 0.1 * 3", D("0.3")),
        ("SELECT 1 / 3", D("0.3333")),
        ("SELECT 10 / 4", D("2.5000")),
        ("SELECT 1.5 / 2", D("0.75000")),
        ("SELECT -1.25", D("-1.25")),
        ("SELECT ROUND(1.234, 2)", D("1.23")),
        ("SELECT 1 + 1", 2),
        ("SELECT 5 DIV 2", 2),
        ("SELECT 1e0 + 0.1", 1.1),  # a DOUBLE: the exponent makes it one
    ],
)
def test_decimal_literals_are_exact(cur: autovec.Cursor, sql: str, expected: object) -> None:
    [(value,)] = rows(cur, sql)
    assert value == expected and type(value) is type(expected)
    if isinstance(expected, Decimal):
        assert str(value) == str(expected)  # the scale too: 2.5000, not 2.5


def test_decimal_columns_and_aggregates(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE d (a DECIMAL(20,10), b DECIMAL(5,2), i INT, f DOUBLE)")
    cur.execute("INSERT INTO d VALUES (0.1, 1.005, 1, 0.5), (0.2, 2.5, 2, 0.25)")
    got = rows(cur, "SELECT SUM(a), SUM(b), AVG(b), SUM(i), AVG(i), SUM(f), MAX(b) FROM d")
    assert [str(v) for v in got[0]] == [
        "0.3000000000", "3.51", "1.755000", "3", "1.5000", "0.75", "2.50",
    ]  # fmt: skip
    assert rows(cur, "SELECT b * 2, i / 2 FROM d ORDER BY i") == [
        (D("2.02"), D("0.5000")),
        (D("5.00"), D("1.0000")),
    ]
    assert rows(cur, "SELECT i FROM d WHERE a + 0.2 = 0.3") == [(1,)]


def test_bigint_unsigned_holds_up_to_2_64_minus_1(cur: autovec.Cursor) -> None:
    top = 2**64 - 1
    cur.execute("CREATE TABLE u (id INT PRIMARY KEY, n BIGINT UNSIGNED, KEY kn (n))")
    cur.execute(f"INSERT INTO u VALUES (1, {top}), (2, 9223372036854775808), (3, 5)")
    cur.execute("INSERT INTO u VALUES (%s, %s)", [4, 10**19])
    assert rows(cur, "SELECT id, n FROM u ORDER BY n") == [
        (3, 5), (2, 2**63), (4, 10**19), (1, top),
    ]  # fmt: skip
    assert rows(cur, f"SELECT id FROM u WHERE n = {top}") == [(1,)]
    assert rows(cur, "SELECT id FROM u WHERE n = %s", [top]) == [(1,)]
    assert rows(cur, "SELECT id FROM u WHERE n > 9223372036854775807 ORDER BY id") == [
        (1,), (2,), (4,),
    ]  # fmt: skip
    assert rows(cur, "SELECT MAX(n), MIN(n) FROM u") == [(top, 5)]
    cur.execute(f"UPDATE u SET n = {top - 1} WHERE id = 3")
    assert rows(cur, "SELECT n FROM u WHERE id = 3") == [(top - 1,)]
    for bad in (top + 1, -1):
        with pytest.raises(autovec.DataError) as info:
            cur.execute("INSERT INTO u VALUES (9, %s)", [bad])
        assert info.value.args[0] == 1264


def test_integer_literals_beyond_64_bits(cur: autovec.Cursor) -> None:
    assert rows(
        cur,
        "SELECT 18446744073709551615, 9223372036854775808, -9223372036854775808,"
        " 99999999999999999999999",
    ) == [(D(2**64 - 1), D(2**63), D(-(2**63)), D(10**23 - 1))]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT _utf8mb4'x'", ("x", "x")),
        ("SELECT N'wörld'", ("wörld", "wörld")),
        ("SELECT n'q'", ("q", "q")),
        ("SELECT _binary'z'", ("z", b"z")),
        ("SELECT 'a\\0b'", ("ab", "a\x00b")),
    ],
)
def test_string_literal_forms(cur: autovec.Cursor, sql: str, expected: tuple[str, object]) -> None:
    name, value = expected
    assert rows(cur, sql) == [(value,)]
    assert cur.description is not None and cur.description[0][0] == name


def test_nul_inside_a_stored_string(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE s (t TEXT)")
    cur.execute("INSERT INTO s VALUES ('a\\0b'), (_utf8mb4'c')")
    assert rows(cur, "SELECT HEX(t), LENGTH(t) FROM s ORDER BY t") == [("610062", 3), ("63", 1)]


@pytest.mark.parametrize(
    ("column", "value"),
    [("i", "1e309"), ("i", "1e60 - 1"), ("d", "1e309"), ("d", "-1e308 * 10"), ("f", "1e39")],
)
def test_numbers_beyond_a_column_are_out_of_range(
    cur: autovec.Cursor, column: str, value: str
) -> None:
    cur.execute("CREATE TABLE n (i INT, d DOUBLE, f FLOAT)")
    with pytest.raises(autovec.DataError) as info:
        cur.execute(f"INSERT INTO n ({column}) VALUES ({value})")
    assert info.value.args == (1264, f"Out of range value for column '{column}' at row 1")
    assert rows(cur, "SELECT count(*) FROM n") == [(0,)]


def test_mixed_branches_make_a_string_column(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE t (b DOUBLE)")
    cur.execute("INSERT INTO t VALUES (1.5), (NULL), (0.5)")
    assert rows(
        cur, "SELECT CASE WHEN b > 1 THEN 0 ELSE 'small' END, IFNULL(b, 'none') FROM t"
    ) == [
        ("0", "1.5"),
        ("small", "none"),
        ("small", "0.5"),
    ]


def test_decimals_beyond_their_column_or_any_precision(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE d (x DECIMAL(65,30))")
    for value in ["9" * 74, "'1e999999'", "'-1e40'"]:
        with pytest.raises(autovec.DataError) as info:
            cur.execute(f"INSERT INTO d VALUES ({value})")
        assert info.value.args[0] == 1264
    assert rows(cur, "SELECT count(*) FROM d") == [(0,)]


def test_cast_as_decimal_is_a_decimal_clipped_to_its_type(cur: autovec.Cursor) -> None:
    assert rows(
        cur,
        "SELECT CAST(2.5 AS DECIMAL(5,2)), CAST('1.005' AS DECIMAL(4,2)),"
        " CAST(-1e300 AS DECIMAL(5,2)), CAST(1e400 AS DECIMAL)",
    ) == [(D("2.50"), D("1.01"), D("-999.99"), D("9999999999"))]


@pytest.mark.parametrize("text", ["NaN", "inf", "1e400", "x"])
def test_text_that_is_no_integer(cur: autovec.Cursor, text: str) -> None:
    cur.execute("CREATE TABLE n (i INT)")
    with pytest.raises(autovec.DataError) as info:
        cur.execute("INSERT INTO n VALUES (%s)", [text])
    assert info.value.args[0] == 1366
