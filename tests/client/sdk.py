"""Fixtures for the SDK tests (imported by each ``test_*`` module; no conftest, so the
search tests' own helpers stay separate): a client on a fresh data directory, in both
embedding modes, and a recorder of the SQL a client sends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from autovec import TiDBClient

MINILM = "huggingface/sentence-transformers/all-MiniLM-L6-v2"


@dataclass
class Recorder:
    """Every statement an engine sends, in order."""

    statements: list[str] = field(default_factory=list)

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()))

    def matching(self, prefix: str) -> list[str]:
        return [s for s in self.statements if s.upper().startswith(prefix.upper())]


def record(client: TiDBClient) -> Recorder:
    recorder = Recorder()
    sa.event.listen(client.db_engine, "before_cursor_execute", recorder)
    return recorder


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TiDBClient]:
    """An embedded client (the database embeds: EMBED_TEXT is there)."""
    c = TiDBClient.connect(path=tmp_path / "data")
    yield c
    c.disconnect()


@pytest.fixture(params=[True, False], ids=["server-side", "client-side"])
def any_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TiDBClient]:
    """The same tests with the SDK told the database can (or cannot) run EMBED_TEXT."""
    c = TiDBClient.connect(path=tmp_path / "data", server_embedding=request.param)
    yield c
    c.disconnect()
