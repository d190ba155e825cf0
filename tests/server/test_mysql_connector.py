"""mysql-connector-python (pure Python and C extension) against a real ``autovec serve``.

The client runs in a process of its own: once torch is loaded (the local-model tests load
it into the test process) the C extension's libstdc++ no longer fits the static TLS block.
"""

from __future__ import annotations

import json
import subprocess
import sys

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


@pytest.mark.parametrize("flavour", ["pure", "c-extension"])
def test_codes_sqlstates_and_counts(server: RunningServer, flavour: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, str(server.port), flavour],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["rowcount"] == 1 and out["rows"] == [[1]]
    assert out["errors"] == [[1146, "42S02"], [1054, "42S22"], [1062, "23000"], [1064, "42000"]]
