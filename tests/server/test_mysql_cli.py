"""The ``mysql`` command-line client (Debian's default-mysql-client) against ``autovec serve``:
the seed SQL run verbatim from a file, and ``status``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.server.conftest import RunningServer
from tests.test_seed_sql import SEED

MYSQL = shutil.which("mysql")
pytestmark = pytest.mark.skipif(
    MYSQL is None,
    reason="LOUD SKIP: the mysql client is not installed (make test installs "
    "default-mysql-client; it could not here)",
)


def mysql(server: RunningServer, *args: str, stdin: str | None = None) -> str:
    assert MYSQL is not None
    done = subprocess.run(
        [MYSQL, "-h", server.host, "-P", str(server.port), "-u", "root", *args],
        input=stdin, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed_sql_from_a_file(server: RunningServer, tmp_path: Path) -> None:
    script = tmp_path / "seed.sql"
    script.write_text(SEED)
    out = mysql(server, "test", stdin=script.read_text())
    lines = out.strip().splitlines()
    assert lines[0] == "id\tcontent"
    assert [line.split("\t")[0] for line in lines[1:]] == ["1", "4"]


def test_status_and_version_comment(server: RunningServer) -> None:
    out = mysql(server, "test", "-e", "status")
    assert "Current database:\ttest" in out and "TiDB" in out
    out = mysql(server, "-N", "-e", "SELECT @@version_comment LIMIT 1; SELECT DATABASE()")
    assert out.strip().splitlines()[-1] == "NULL"


@pytest.mark.skipif(shutil.which("script") is None, reason="util-linux `script` is missing")
def test_interactive_connect_with_table_completion(server: RunningServer, tmp_path: Path) -> None:
    """On a terminal the client sends SHOW DATABASES, SHOW TABLES, COM_FIELD_LIST per table
    (auto-rehash) and SELECT @@version_comment before the prompt."""
    mysql(server, "test", "-e", "CREATE TABLE t (id INT PRIMARY KEY, v VECTOR(2))")
    transcript = tmp_path / "typescript"
    command = f"{MYSQL} -h {server.host} -P {server.port} -u root test"
    subprocess.run(
        ["script", "-qc", command, str(transcript)],
        input="SELECT 41 + 1;\nexit\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    shown = transcript.read_text(errors="replace")
    assert "Reading table information for completion" in shown
    assert "Server version: 8.0.11-TiDB-v8.5.0-autovec" in shown
    assert re.search(r"\|\s+42 \|", shown) and "Bye" in shown
