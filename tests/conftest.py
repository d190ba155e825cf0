"""Shared fixtures: real data directories on disk, real connections."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import autovec
from tests.mock_providers.fixtures import *  # noqa: F403

# Local models stay on torch unless a test asks for ONNX: every test's fresh data directory
# would otherwise export MiniLM again (seconds of CPU each). The ONNX tests set it to "auto".
os.environ.setdefault("AUTOVEC_ONNX", "off")


@pytest.fixture
def datadir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def conn(datadir: Path) -> Iterator[autovec.Connection]:
    """An autocommit connection to a fresh on-disk data directory."""
    connection = autovec.connect(datadir, autocommit=True)
    yield connection
    connection.close()


@pytest.fixture
def cur(conn: autovec.Connection) -> autovec.Cursor:
    return conn.cursor()


def rows(cursor: autovec.Cursor, sql: str, params: object = None) -> list[tuple[object, ...]]:
    cursor.execute(sql, params)  # type: ignore[arg-type]
    return cursor.fetchall()
