"""Another process holding an autovec connection, driven statement by statement.

``SqlProcess`` starts a real Python process that opens the data directory and runs each
statement sent to it (one JSON line in, one JSON line out), so tests can interleave two
processes' transactions exactly: hold the write lock here, try to write there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

SERVE = r"""
import json, sys, autovec
conn = autovec.connect(sys.argv[1], autocommit=sys.argv[2] == "1")
cur = conn.cursor()
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    try:
        cur.execute(request["sql"], request.get("params"))
        rows = cur.fetchall() if cur.description else None
        reply = {"rows": rows, "rowcount": cur.rowcount}
    except autovec.Error as exc:
        reply = {"error": [exc.args[0], str(exc.args[1]) if len(exc.args) > 1 else ""]}
    print(json.dumps(reply, default=str), flush=True)
conn.close()
"""


class SqlError(Exception):
    """An error another process's statement reported: ``args == (errno, message)``."""


class SqlProcess:
    """A connection in a separate process; ``execute`` waits for the statement's reply."""

    def __init__(self, datadir: Path, autocommit: bool = True):
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(datadir), "1" if autocommit else "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self._read()) == {"ready": True}

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the SQL process exited ({self.process.wait()})")
        return line

    def execute(self, sql: str, params: Any = None) -> list[list[Any]] | None:
        """Run one statement there; its rows (None for no result set), or SqlError."""
        self.send(sql, params)
        return self.result()

    def send(self, sql: str, params: Any = None) -> None:
        """Start a statement there without waiting for it (then call :meth:`result`)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"sql": sql, "params": params}) + "\n")
        self.process.stdin.flush()

    def result(self) -> list[list[Any]] | None:
        """Wait for the statement :meth:`send` started: its rows, or SqlError."""
        reply = json.loads(self._read())
        if "error" in reply:
            raise SqlError(*reply["error"])
        rows: list[list[Any]] | None = reply["rows"]
        return rows

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> SqlProcess:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()
