"""Ordinary MySQL/TiDB SQL on the embedded engine: DDL, DML, queries, transactions, types."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

import autovec
from tests.conftest import rows


@pytest.fixture
def shop(cur: autovec.Cursor) -> autovec.Cursor:
    cur.execute(
        "CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20) NOT NULL, "
        "email VARCHAR(50) UNIQUE, tier ENUM('free','pro') DEFAULT 'free', created DATETIME DEFAULT CURRENT_TIMESTAMP)"
    )
    cur.execute(
        "CREATE TABLE orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, "
        "amount DECIMAL(10,2) NOT NULL CHECK (amount >= 0), note TEXT, meta JSON, KEY idx_customer (customer_id))"
    )
    cur.execute(
        "INSERT INTO customers (name, email, tier) VALUES ('ann', 'a@x', 'pro'), ('bob', 'b@x', 'free'), ('cy', NULL, DEFAULT)"
    )
    cur.execute(
        "INSERT INTO orders (customer_id, amount, note, meta) VALUES "
        "(1, 10.5, 'first', '{\"k\": 1}'), (1, 20, NULL, NULL), (2, 5.25, 'x', '[1, 2]')"
    )
    return cur


def test_auto_increment_and_lastrowid(shop: autovec.Cursor) -> None:
    shop.execute("INSERT INTO customers (name) VALUES ('dee')")
    assert shop.lastrowid == 4
    assert rows(shop, "SELECT LAST_INSERT_ID()") == [(4,)]
    shop.execute(
        "INSERT INTO customers (id, name) VALUES (0, 'zero')"
    )  # 0 means "generate" in MySQL
    assert rows(shop, "SELECT id FROM customers WHERE name = 'zero'") == [(5,)]


def test_types_come_back_as_python_values(shop: autovec.Cursor) -> None:
    row = rows(shop, "SELECT amount, note, meta FROM orders WHERE id = 1")[0]
    assert row == (decimal.Decimal("10.50"), "first", '{"k": 1}')
    created = rows(shop, "SELECT created FROM customers WHERE id = 1")[0][0]
    assert isinstance(created, dt.datetime)
    shop.execute(
        "CREATE TABLE d (a DATE, b TIME, c TIMESTAMP(3), f FLOAT, g DOUBLE, h BOOLEAN, i TINYINT UNSIGNED, j BLOB)"
    )
    shop.execute(
        "INSERT INTO d VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        [
            dt.date(2024, 2, 29),
            "10:11:12",
            dt.datetime(2024, 1, 1, 1, 2, 3, 456000),
            1.5,
            2.25,
            True,
            255,
            b"\x00\x01",
        ],
    )
    assert rows(shop, "SELECT * FROM d")[0] == (
        dt.date(2024, 2, 29),
        dt.timedelta(hours=10, minutes=11, seconds=12),
        dt.datetime(2024, 1, 1, 1, 2, 3, 456000),
        1.5,
        2.25,
        1,
        255,
        b"\x00\x01",
    )


@pytest.mark.parametrize(
    ("sql", "errno", "message"),
    [
        (
            "INSERT INTO customers (name) VALUES ('this name is far too long')",
            1406,
            "Data too long for column 'name' at row 1",
        ),
        (
            "INSERT INTO customers (name, tier) VALUES ('x', 'gold')",
            1265,
            "Data truncated for column 'tier'",
        ),
        (
            "INSERT INTO orders (customer_id, amount, meta) VALUES (1, 1, '{bad')",
            3140,
            "Invalid JSON text",
        ),
        ("INSERT INTO orders (customer_id, amount) VALUES (1, -1)", 3819, "Check constraint"),
        ("INSERT INTO customers (name, email) VALUES ('z', 'a@x')", 1062, "Duplicate entry"),
        ("INSERT INTO customers (email) VALUES ('q@x')", 1048, "cannot be null"),
        (
            "INSERT INTO orders (customer_id, amount) VALUES (99999999999, 1)",
            1264,
            "Out of range value for column 'customer_id'",
        ),
        ("INSERT INTO customers (name) VALUES ('a', 'b')", 1136, "Column count doesn't match"),
        ("SELECT nope FROM customers", 1054, "Unknown column 'nope'"),
        ("SELECT * FROM nowhere", 1146, "Table 'test.nowhere' doesn't exist"),
        ("SELEC 1", 1064, "You have an error in your SQL syntax"),
    ],
)
def test_mysql_errors(shop: autovec.Cursor, sql: str, errno: int, message: str) -> None:
    before = rows(shop, "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)")
    with pytest.raises(autovec.Error, match=message) as info:
        shop.execute(sql)
    assert info.value.args[0] == errno
    assert (
        rows(shop, "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)")
        == before
    )


def test_multi_row_insert_is_all_or_nothing(shop: autovec.Cursor) -> None:
    with pytest.raises(autovec.DataError):
        shop.execute(
            "INSERT INTO customers (name) VALUES ('ok1'), ('ok2'), ('this one is much too long for it')"
        )
    assert rows(shop, "SELECT count(*) FROM customers") == [(3,)]
    with pytest.raises(autovec.IntegrityError):
        shop.executemany(
            "INSERT INTO customers (name, email) VALUES (%s, %s)", [("n1", "n1@x"), ("n2", "a@x")]
        )
    assert rows(shop, "SELECT count(*) FROM customers") == [(3,)]


def test_upsert_replace_ignore(shop: autovec.Cursor) -> None:
    shop.execute(
        "INSERT INTO customers (id, name, email) VALUES (1, 'ann2', 'a@x') ON DUPLICATE KEY UPDATE name = VALUES(name)"
    )
    assert rows(shop, "SELECT name FROM customers WHERE id = 1") == [("ann2",)]
    shop.execute("REPLACE INTO customers (id, name) VALUES (2, 'bobby')")
    assert rows(shop, "SELECT name, email FROM customers WHERE id = 2") == [("bobby", None)]
    shop.execute("INSERT IGNORE INTO customers (id, name) VALUES (1, 'ignored')")
    assert rows(shop, "SELECT name FROM customers WHERE id = 1") == [("ann2",)]


def test_queries(shop: autovec.Cursor) -> None:
    assert rows(
        shop,
        "SELECT c.name, COUNT(o.id) AS n, SUM(o.amount) AS total FROM customers c LEFT JOIN orders o ON o.customer_id = c.id "
        "GROUP BY c.name HAVING n >= 0 ORDER BY total DESC LIMIT 2",
    ) == [("ann", 2, 30.5), ("bob", 1, 5.25)]
    assert rows(
        shop,
        "SELECT name FROM customers WHERE id IN (SELECT customer_id FROM orders WHERE amount > 6)",
    ) == [("ann",)]
    assert rows(
        shop,
        "WITH big AS (SELECT customer_id FROM orders WHERE amount >= 10) SELECT COUNT(*) FROM big",
    ) == [(2,)]
    assert rows(
        shop,
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS r FROM orders ORDER BY id",
    ) == [(1, 2), (2, 1), (3, 1)]
    assert rows(
        shop, "SELECT name FROM customers WHERE id = 1 UNION SELECT 'zed' ORDER BY name"
    ) == [("ann",), ("zed",)]
    assert rows(shop, "SELECT id FROM orders ORDER BY id LIMIT 1, 1") == [(2,)]
    assert rows(shop, "SELECT name FROM customers WHERE email LIKE %s", ["b%"]) == [("bob",)]
    assert rows(shop, "SELECT name FROM customers WHERE name = %(n)s", {"n": "cy"}) == [("cy",)]


def test_update_delete_with_order_and_limit(shop: autovec.Cursor) -> None:
    shop.execute("UPDATE orders SET amount = amount + 1 ORDER BY amount DESC LIMIT 1")
    assert shop.rowcount == 1
    assert rows(shop, "SELECT amount FROM orders WHERE id = 2") == [(decimal.Decimal("21.00"),)]
    shop.execute("DELETE FROM orders WHERE customer_id = 1 ORDER BY id LIMIT 1")
    assert rows(shop, "SELECT id FROM orders ORDER BY id") == [(2,), (3,)]
    shop.execute("TRUNCATE TABLE orders")
    assert rows(shop, "SELECT count(*) FROM orders") == [(0,)]
    shop.execute("INSERT INTO orders (customer_id, amount) VALUES (1, 1)")
    assert shop.lastrowid == 1


def test_alter_table(shop: autovec.Cursor) -> None:
    shop.execute("ALTER TABLE customers ADD COLUMN age INT DEFAULT 18 AFTER name")
    assert [r[0] for r in rows(shop, "DESCRIBE customers")][:3] == ["id", "name", "age"]
    shop.execute("ALTER TABLE customers MODIFY COLUMN name VARCHAR(3)") if False else None
    with pytest.raises(autovec.DataError, match="Data too long"):
        shop.execute("ALTER TABLE customers MODIFY COLUMN name VARCHAR(2)")
    shop.execute("ALTER TABLE customers RENAME COLUMN age TO years")
    assert rows(shop, "SELECT years FROM customers WHERE id = 1") == [(18,)]
    shop.execute("ALTER TABLE customers DROP COLUMN years")
    shop.execute("ALTER TABLE customers ADD INDEX idx_name (name)")
    shop.execute("CREATE UNIQUE INDEX uk_name ON customers (name)")
    shop.execute("DROP INDEX idx_name ON customers")
    assert {r[2] for r in rows(shop, "SHOW INDEX FROM customers")} == {
        "PRIMARY",
        "email",
        "uk_name",
    }
    shop.execute("ALTER TABLE customers RENAME TO clients")
    assert rows(shop, "SELECT count(*) FROM clients") == [(3,)]
    shop.execute("RENAME TABLE clients TO customers")
    assert rows(shop, "SHOW TABLES") == [("customers",), ("orders",)]


def test_transactions_and_savepoints(datadir: object) -> None:
    conn = autovec.connect(datadir)  # type: ignore[arg-type]  # PEP 249: not autocommit
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    assert rows(cur, "SELECT count(*) FROM t") == [(0,)]
    cur.execute("INSERT INTO t VALUES (1)")
    cur.execute("SAVEPOINT s1")
    cur.execute("INSERT INTO t VALUES (2)")
    cur.execute("ROLLBACK TO SAVEPOINT s1")
    cur.execute("RELEASE SAVEPOINT s1")
    conn.commit()
    other = autovec.connect(datadir, autocommit=True)  # type: ignore[arg-type]
    assert rows(other.cursor(), "SELECT a FROM t") == [(1,)]
    other_cur = other.cursor()
    other_cur.execute("START TRANSACTION")
    other_cur.execute("INSERT INTO t VALUES (3)")
    other_cur.execute("COMMIT")
    assert rows(cur, "SELECT count(*) FROM t") == [(2,)]
    other.close()
    conn.close()


def test_databases(cur: autovec.Cursor, datadir: object) -> None:
    cur.execute("CREATE DATABASE app")
    with pytest.raises(autovec.DatabaseError, match="database exists") as info:
        cur.execute("CREATE DATABASE app")
    assert info.value.args[0] == 1007
    cur.execute("CREATE DATABASE IF NOT EXISTS app")
    cur.execute("USE app")
    assert rows(cur, "SELECT DATABASE()") == [("app",)]
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("INSERT INTO t VALUES (5)")
    cur.execute("USE test")
    assert rows(cur, "SELECT a FROM app.t") == [(5,)]
    assert ("app",) in rows(cur, "SHOW DATABASES")
    cur.execute("DROP DATABASE app")
    with pytest.raises(autovec.OperationalError) as unknown:
        cur.execute("USE app")
    assert unknown.value.args[0] == 1049
    reopened = autovec.connect(datadir, database="test", autocommit=True)  # type: ignore[arg-type]
    assert ("app",) not in rows(reopened.cursor(), "SHOW DATABASES")
    reopened.close()


def test_memory_database() -> None:
    conn = autovec.connect(":memory:", autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("INSERT INTO t VALUES (1), (2)")
    assert rows(cur, "SELECT SUM(a) FROM t") == [(3,)]
    conn.close()


def test_views_and_create_table_as(shop: autovec.Cursor) -> None:
    shop.execute("CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 6")
    assert rows(shop, "SELECT id FROM big_orders ORDER BY id") == [(1,), (2,)]
    shop.execute("CREATE TABLE copy AS SELECT id, name FROM customers")
    assert rows(shop, "SELECT count(*) FROM copy") == [(3,)]
    shop.execute("CREATE TABLE like_customers LIKE customers")
    assert rows(shop, "SELECT count(*) FROM like_customers") == [(0,)]


def test_persistence_across_connections(datadir: object) -> None:
    first = autovec.connect(datadir, autocommit=True)  # type: ignore[arg-type]
    first.cursor().execute("CREATE TABLE keep (id INT PRIMARY KEY, v VECTOR(2))")
    first.cursor().execute("INSERT INTO keep VALUES (1, '[1,2]')")
    first.close()
    second = autovec.connect(datadir)  # type: ignore[arg-type]
    assert [str(v) for _, v in rows(second.cursor(), "SELECT * FROM keep")] == ["[1,2]"]
    second.close()


def test_binary_and_unsigned_columns(cur: autovec.Cursor) -> None:
    cur.execute(
        "CREATE TABLE b (a VARBINARY(4), b BINARY(3), c BIGINT UNSIGNED, d INT(5) UNSIGNED)"
    )
    cur.execute("INSERT INTO b VALUES (%s, %s, %s, %s)", [b"ab", b"c", 2**63 - 1, 7])
    assert rows(cur, "SELECT * FROM b") == [(b"ab", b"c\x00\x00", 2**63 - 1, 7)]
    assert [d[1] for d in cur.description or ()] == [253, 254, 8, 3]
    with pytest.raises(autovec.DataError, match="Out of range value for column 'd'"):
        cur.execute("INSERT INTO b (d) VALUES (-1)")
    with pytest.raises(autovec.DataError, match="Data too long for column 'a'"):
        cur.execute("INSERT INTO b (a) VALUES (%s)", [b"12345"])


def test_repeated_statements_follow_schema_and_session_changes(cur: autovec.Cursor) -> None:
    """Translations are reused by text; they must not outlive DDL or bake in variables."""
    cur.execute("CREATE TABLE p (a INT)")
    cur.execute("INSERT INTO p VALUES (1)")
    assert rows(cur, "SELECT * FROM p") == [(1,)]
    cur.execute("ALTER TABLE p ADD COLUMN b INT DEFAULT 2")
    assert rows(cur, "SELECT * FROM p") == [(1, 2)]
    for value in (5, 6):
        cur.execute("SET @v = %s", [value])
        assert rows(cur, "SELECT @v") == [(value,)]
    assert rows(cur, "SELECT a FROM p WHERE a = %s", [1]) == [(1,)]
    assert rows(cur, "SELECT a FROM p WHERE a = %s", [2]) == []
    with pytest.raises(autovec.ProgrammingError, match="Incorrect number of bindings"):
        cur.execute("SELECT a FROM p WHERE a = %s", [1, 2])
