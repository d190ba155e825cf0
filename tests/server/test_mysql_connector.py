"""mysql-connector-python (pure Python and C extension) against a real ``autovec serve``.

The client runs in a process of its own: once torch is loaded (the local-model tests load
it into the test process) the C extension's libstdc++ no longer fits the static TLS block.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.server.conftest import RunningServer

CLIENT = """
import json, sys
import mysql.connector
from mysql.connector import errors
port, use_pure = int(sys.argv[1]), sys.argv[2] == "pure"
conn = mysql.connector.connect(host="127.0.0.1", port=port, user="root", password="",
                               database="test", use_pure=use_pure, autocommit=True)
assert conn.is_connected() and (not use_pure) == ("CMySQL" in type(conn).__name__)
cur = conn.cursor()
cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
cur.execute("INSERT INTO t VALUES (1)")
out = {"rowcount": cur.rowcount, "errors": []}
for sql in ["SELECT * FROM nosuch", "SELECT nosuch FROM t", "INSERT INTO t VALUES (1)", "SELEC 1"]:
    try:
        cur.execute(sql)
    except errors.Error as exc:
        out["errors"].append([exc.errno, exc.sqlstate])
cur.execute("SELECT id FROM t")
out["rows"] = cur.fetchall()
print(json.dumps(out))
"""


def run_client(script: str, server: RunningServer, flavour: str, *args: str) -> Any:
    """Run a client script in its own process; what it printed, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(server.port), flavour, *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("flavour", ["pure", "c-extension"])
def test_codes_sqlstates_and_counts(server: RunningServer, flavour: str) -> None:
    out = run_client(CLIENT, server, flavour)
    assert out["rowcount"] == 1 and out["rows"] == [[1]]
    assert out["errors"] == [[1146, "42S02"], [1054, "42S22"], [1062, "23000"], [1064, "42000"]]


PREPARED = """
import datetime, decimal, json, sys
import mysql.connector
port, use_pure = int(sys.argv[1]), sys.argv[2] == "pure"
DECIMAL = sys.argv[3:] == ["decimal"]
conn = mysql.connector.connect(host="127.0.0.1", port=port, user="root", password="",
                               database="test", use_pure=use_pure, autocommit=True)
cur = conn.cursor(prepared=True)
cur.execute("CREATE TABLE p (id INT PRIMARY KEY, s TEXT, b BLOB, d DATETIME, x DOUBLE,"
            " m DECIMAL(10,2), v VECTOR(2))")
hostile = ["it's", "back\\\\slash", "nul\\x00byte", "'; DROP TABLE p; --", "?", "é😀"]
for i, text in enumerate(hostile):
    cur.execute("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?, ?)",
                (i, text, text.encode(), datetime.datetime(2024, 1, 2, 3, 4, 5), 1.5 + i,
                 decimal.Decimal("2.25") if DECIMAL else "2.25", "[1,2]"))
out = {"rowcount": cur.rowcount}
cur.execute("SELECT id, s, b, d, x, m, v FROM p WHERE s = ? OR id = ?", ("it's", 3))
out["rows"] = [[str(c) if not isinstance(c, (int, float)) else c for c in r] for r in cur.fetchall()]
cur.execute("SELECT s FROM p ORDER BY id")
out["texts"] = [r[0] for r in cur.fetchall()]
cur.execute("SELECT LENGTH(s) FROM p WHERE id = ?", (2,))
out["nul_length"] = cur.fetchall()[0][0]
cur.execute("SELECT count(*) FROM p WHERE id > ?", (-1,))
out["count"] = cur.fetchall()[0][0]
print(json.dumps(out))
"""


# The C extension gets its decimal as text: given a decimal.Decimal and a str parameter,
# a statement it has prepared aborts its process now and then, on the second execution
# (heap corruption inside the extension; the server's packets are the ones the pure-Python
# client reads, and the server received every value intact).
@pytest.mark.parametrize(("flavour", "decimals"), [("pure", "decimal"), ("c-extension", "text")])
def test_prepared_statements_bind_values(
    server: RunningServer, flavour: str, decimals: str
) -> None:
    """Quotes, backslashes, NUL and SQL text travel as values through COM_STMT_EXECUTE,
    and each prepare answers with the statement's result columns."""
    out = run_client(PREPARED, server, flavour, decimals)
    assert out["rowcount"] == 1 and out["count"] == 6
    # The C extension cuts the text it reads at a NUL; the server sent all 8 bytes.
    assert out["nul_length"] == 8
    assert out["texts"] == [
        "it's",
        "back\\slash",
        "nul\x00byte" if flavour == "pure" else "nul",
        "'; DROP TABLE p; --",
        "?",
        "é😀",
    ]
    first, fourth = out["rows"]
    assert first[:2] == [0, "it's"] and first[3] == "2024-01-02 03:04:05"
    assert first[4] == 1.5 and first[5] == "2.25" and first[6] == "[1,2]"
    assert fourth[:2] == [3, "'; DROP TABLE p; --"]


RESET = """
import json, sys
import mysql.connector
conn = mysql.connector.connect(host="127.0.0.1", port=int(sys.argv[1]), user="root",
                               database="test", use_pure=sys.argv[2] == "pure")
cur = conn.cursor()
cur.execute("CREATE TABLE r (id INT PRIMARY KEY)")
cur.execute("SELECT CONNECTION_ID()")
before = cur.fetchall()[0][0]
cur.execute("SET @x = 1")
cur.execute("SET SESSION sql_mode = 'ANSI_QUOTES'")
cur.execute("INSERT INTO r VALUES (1)")  # autocommit is off: an open transaction
cur.close()
conn.cmd_reset_connection()
cur = conn.cursor()
cur.execute("SELECT CONNECTION_ID(), @x, @@sql_mode = @@GLOBAL.sql_mode, DATABASE()")
after, x, default_mode, database = cur.fetchall()[0]
cur.execute("SELECT COUNT(*) FROM r")
print(json.dumps({"same_id": after == before, "x": x, "default_mode": default_mode,
                  "database": database, "rows": cur.fetchall()[0][0]}))
"""


@pytest.mark.parametrize("flavour", ["pure", "c-extension"])
def test_reset_connection_starts_the_session_over(server: RunningServer, flavour: str) -> None:
    out = run_client(RESET, server, flavour)
    assert out == {"same_id": True, "x": None, "default_mode": 1, "database": "test", "rows": 0}
