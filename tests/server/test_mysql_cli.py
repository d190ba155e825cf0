"""The ``mysql`` command-line client (Debian's default-mysql-client) against ``autovec serve``:
the seed SQL run verbatim from a file, and ``status``."""

from __future__ import annotations

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
