"""Seed 001's Python example (examples/seed_001_*.py), run as a user would: in-process
on the embedded engine, and against a real ``autovec serve``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.conftest import start_server

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED_FIRST = "ID: 2, Content: Deep learning uses neural networks with multiple layers."


def run(script: str, cwd: Path, *args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_embedded(tmp_path: Path) -> None:
    lines = run("seed_001_embedded.py", tmp_path)
    assert len(lines) == 3 and lines[0] == EXPECTED_FIRST
    assert (tmp_path / "data").is_dir()


def test_server(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        lines = run("seed_001_server.py", tmp_path, server.host, str(server.port))
    finally:
        server.stop()
    assert len(lines) == 3 and lines[0] == EXPECTED_FIRST
