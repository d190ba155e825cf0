"""Several writer processes and a reader on one data directory: nothing reported is lost.

Each writer is a real process inserting its own rows, in autocommit or in explicit
transactions of a few statements; it reports every statement's outcome. Afterwards the
database holds exactly the rows of the statements (or transactions) reported as
committed, no lock error was reported, and the reader never failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import autovec
from tests.conftest import rows
from tests.mock_providers.huggingface import HuggingFaceMock

WRITER = r"""
import json, sys, autovec
datadir, writer, statements, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
conn = autovec.connect(datadir, autocommit=(mode == "autocommit"))
cur = conn.cursor()
committed, failures = [], []
pending = []
for n in range(statements):
    ids = [writer * 1_000_000 + n * 5 + k for k in range(5)]
    try:
        if mode != "autocommit" and not pending:
            cur.execute("BEGIN")
            cur.execute("SELECT count(*) FROM t")  # a transaction that reads, then writes
            cur.fetchall()
        cur.execute(
            "INSERT INTO t (id, body) VALUES " + ", ".join(["(%s, %s)"] * 5),
            [v for i in ids for v in (i, f"writer {writer} row {i}")],
        )
        pending += ids
        if mode == "autocommit":
            committed += pending
            pending = []
        elif n % 3 == 2 or n == statements - 1:
            conn.commit()
            committed += pending
            pending = []
    except autovec.Error as exc:
        failures.append(exc.args[0])
        if mode != "autocommit":
            conn.rollback()
            pending = []
conn.close()
print(json.dumps({"committed": committed, "failures": failures}))
"""

READER = r"""
import sys, time, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
reads = 0
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    cur.execute("SELECT count(*), max(id) FROM t")
    cur.fetchall()
    reads += 1
print(reads)
"""


def run_writers(datadir: Path, writers: int, statements: int, mode: str) -> list[dict]:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(datadir), "3"], stdout=subprocess.PIPE, text=True
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(datadir), str(w), str(statements), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    outcomes = []
    for process in processes:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0
        outcomes.append(json.loads(out))
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0 and int(out) > 0
    return outcomes


def check(datadir: Path, outcomes: list[dict], expected_rows: int) -> None:
    reported = sorted(i for o in outcomes for i in o["committed"])
    assert [f for o in outcomes for f in o["failures"]] == []  # no 1205, no other error
    assert len(reported) == expected_rows
    conn = autovec.connect(datadir, autocommit=True)
    stored = [r[0] for r in rows(conn.cursor(), "SELECT id FROM t ORDER BY id")]
    conn.close()
    assert stored == reported


@pytest.fixture
def plain(datadir: Path) -> Path:
    conn = autovec.connect(datadir, autocommit=True)
    conn.cursor().execute("CREATE TABLE t (id BIGINT PRIMARY KEY, body TEXT)")
    conn.close()
    return datadir


@pytest.mark.parametrize("writers", [2, 4])
@pytest.mark.parametrize("mode", ["autocommit", "transactions"])
def test_plain_table(plain: Path, writers: int, mode: str) -> None:
    outcomes = run_writers(plain, writers, 60, mode)
    check(plain, outcomes, writers * 60 * 5)


@pytest.fixture
def embedded(datadir: Path) -> Iterator[Path]:
    with HuggingFaceMock(api_key="hf_test0123456789abcdef", latency=0.02) as mock:
        conn = autovec.connect(datadir, autocommit=True)
        cur = conn.cursor()
        for name, value in mock.variables().items():
            cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
        cur.execute(
            "CREATE TABLE t (id BIGINT PRIMARY KEY, body TEXT, v VECTOR(1024) GENERATED ALWAYS "
            "AS (EMBED_TEXT('huggingface/BAAI/bge-m3', body)) STORED)"
        )
        conn.close()
        yield datadir


@pytest.mark.parametrize("writers", [2, 4])
@pytest.mark.parametrize("mode", ["autocommit", "transactions"])
def test_embed_text_table(embedded: Path, writers: int, mode: str) -> None:
    outcomes = run_writers(embedded, writers, 20, mode)
    check(embedded, outcomes, writers * 20 * 5)
    conn = autovec.connect(embedded, autocommit=True)
    assert rows(conn.cursor(), "SELECT count(*) FROM t WHERE VEC_DIMS(v) = 1024") == [
        (writers * 20 * 5,)
    ]
    conn.close()
