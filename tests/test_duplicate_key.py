"""A duplicate key names its value and key as MySQL does, and the statement leaves nothing."""

from __future__ import annotations

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def items(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(10), n INT,"
        " UNIQUE KEY uname (name), UNIQUE KEY uboth (name, n))"
    )
    cur.execute("INSERT INTO items VALUES (1, 'x', 1), (3, 'z', 1)")
    return cur


def duplicate(cur: autovec.Cursor, sql: str, params: object = None) -> str:
    with pytest.raises(autovec.IntegrityError) as info:
        cur.execute(sql, params)  # type: ignore[arg-type]
    errno, message = info.value.args
    assert errno == 1062 and info.value.sqlstate == "23000"
    return str(message)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("INSERT INTO items VALUES (1, 'y', 2)", "Duplicate entry '1' for key 'items.PRIMARY'"),
        ("INSERT INTO items VALUES (2, 'x', 2)", "Duplicate entry 'x' for key 'items.uname'"),
        # MySQL checks the primary key first, whatever SQLite finds first.
        ("INSERT INTO items VALUES (3, 'x', 1)", "Duplicate entry '3' for key 'items.PRIMARY'"),
        (
            "INSERT INTO items VALUES (5, 'q', 1), (5, 'r', 1)",
            "Duplicate entry '5' for key 'items.PRIMARY'",
        ),
        (
            "INSERT INTO items SELECT id + 10, 'x', n FROM items WHERE id = 1",
            "Duplicate entry 'x' for key 'items.uname'",
        ),
        ("UPDATE items SET name = 'x' WHERE id = 3", "Duplicate entry 'x' for key 'items.uname'"),
        ("UPDATE items SET id = 7", "Duplicate entry '7' for key 'items.PRIMARY'"),
    ],
)
def test_message_names_value_and_key(items: autovec.Cursor, sql: str, message: str) -> None:
    before = rows(items, "SELECT * FROM items ORDER BY id")
    assert duplicate(items, sql) == message
    assert rows(items, "SELECT * FROM items ORDER BY id") == before


def test_parameters_and_executemany(items: autovec.Cursor) -> None:
    assert (
        duplicate(items, "INSERT INTO items VALUES (%s, %s, %s)", [9, "z", 5])
        == "Duplicate entry 'z' for key 'items.uname'"
    )
    with pytest.raises(autovec.IntegrityError) as info:
        items.executemany("INSERT INTO items VALUES (%s, %s, %s)", [(8, "a", 1), (8, "b", 1)])
    assert info.value.args[1] == "Duplicate entry '8' for key 'items.PRIMARY'"
    assert rows(items, "SELECT count(*) FROM items") == [(2,)]


def test_composite_keys_join_values_with_dashes(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE pairs (a INT, b VARCHAR(5), PRIMARY KEY (a, b))")
    assert (
        duplicate(cur, "INSERT INTO pairs VALUES (1, 'q'), (1, 'q')")
        == "Duplicate entry '1-q' for key 'pairs.PRIMARY'"
    )


def test_inline_unique_and_null_keys(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE u (id INT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(20) UNIQUE)")
    cur.execute("INSERT INTO u (email) VALUES (NULL), (NULL), ('a@x')")  # NULLs never collide
    assert (
        duplicate(cur, "INSERT INTO u (email) VALUES ('a@x')")
        == "Duplicate entry 'a@x' for key 'u.email'"
    )
