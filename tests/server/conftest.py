"""A real ``autovec serve`` subprocess on a free loopback port, per test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    host: str
    port: int
    datadir: Path

    def log(self) -> str:
        """What the server logged so far (stderr), once it has stopped."""
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(datadir: Path, *extra: str) -> RunningServer:
    process = subprocess.Popen(
        [sys.executable, "-m", "autovec", "serve", "--db", str(datadir), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "listening on" in line or not line:
            break
    match = re.search(r"listening on ([\d.]+):(\d+)", line)
    if match is None:
        process.kill()
        _, stderr = process.communicate()
        raise AssertionError(f"the server did not start: {line!r} {stderr}")
    return RunningServer(process, match.group(1), int(match.group(2)), datadir)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data")
    yield running
    running.stop()


def mysql_engine(server: RunningServer) -> Iterator[sa.Engine]:
    """SQLAlchemy's own MySQL dialect (``mysql+pymysql://``) on the server, as for TiDB."""
    engine = sa.create_engine(f"mysql+pymysql://root@{server.host}:{server.port}/test")
    yield engine
    engine.dispose()


@pytest.fixture
def engine(server: RunningServer) -> Iterator[sa.Engine]:
    yield from mysql_engine(server)
