"""ALTER TABLE … ADD COLUMN … EMBED_TEXT back-fills existing rows: batched, resumable, readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import autovec
from autovec.sql import background
from tests.conftest import rows
from tests.mock_providers.huggingface import HuggingFaceMock

ADD = (
    "ALTER TABLE notes ADD COLUMN v VECTOR(1024) "
    "GENERATED ALWAYS AS (EMBED_TEXT('huggingface/BAAI/bge-m3', body)) STORED"
)


def make_notes(datadir: Path, mock: HuggingFaceMock, count: int) -> None:
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    for name, value in mock.variables().items():
        cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
    cur.execute("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)")
    cur.executemany(
        "INSERT INTO notes VALUES (%s, %s)",
        [(i, f"note number {i}" if i % 10 else None) for i in range(count)],
    )
    conn.close()


def test_add_embedding_column_backfills_with_progress(
    datadir: Path, huggingface_mock: HuggingFaceMock
) -> None:
    make_notes(datadir, huggingface_mock, 600)
    conn = autovec.connect(datadir, autocommit=True)
    reports: list[tuple[int, int, str]] = []
    conn.session.progress = lambda done, total, label: reports.append((done, total, label))
    cur = conn.cursor()
    cur.execute(ADD)
    assert rows(cur, "SELECT count(*) FROM notes WHERE v IS NOT NULL") == [(540,)]
    assert rows(cur, "SELECT count(*) FROM notes WHERE v IS NULL AND body IS NULL") == [(60,)]
    assert reports[-1] == (600, 600, "embedding notes.v") and len(reports) == 3
    assert "backfill" not in str(rows(cur, "SHOW CREATE TABLE notes"))
    # New rows are embedded by their own INSERT from now on.
    cur.execute("INSERT INTO notes VALUES (1000, 'fresh')")
    assert rows(cur, "SELECT VEC_DIMS(v) FROM notes WHERE id = 1000") == [(1024,)]
    conn.close()


RESUMER = """
import sys, autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
conn.session.progress = lambda done, total, label: print("progress", done, flush=True)
conn.cursor().execute(sys.argv[2])
print("done", flush=True)
"""


def test_backfill_resumes_after_a_crash_and_table_stays_readable(datadir: Path) -> None:
    with HuggingFaceMock(api_key="hf_test0123456789abcdef", latency=0.05) as mock:
        make_notes(datadir, mock, 2000)
        process = subprocess.Popen(
            [sys.executable, "-c", RESUMER, str(datadir), ADD], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        assert process.stdout.readline().startswith("progress")
        # Readable while the back-fill runs in another process.
        reader = autovec.connect(datadir, autocommit=True)
        assert rows(reader.cursor(), "SELECT count(*) FROM notes") == [(2000,)]
        reader.close()
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        partial = autovec.connect(datadir, database=None, autocommit=True)
        filled = rows(partial.cursor(), "SELECT count(*) FROM test.notes WHERE v IS NOT NULL")[0][0]
        partial.close()
        assert 0 < filled < 1800
        time.sleep(0.1)
        opened = time.monotonic()
        resumed = autovec.connect(datadir, autocommit=True)  # USE test resumes it...
        assert time.monotonic() - opened < 2  # ...in the background: opening does not wait
        assert resumed.session.resumed_in_background == ["test.notes"]
        cur = resumed.cursor()
        assert rows(cur, "SELECT count(*) FROM notes") == [(2000,)]  # readable meanwhile
        cur.execute("INSERT INTO notes VALUES (5000, 'written meanwhile')")  # and writable
        deadline = time.monotonic() + 60
        while rows(cur, "SELECT count(*) FROM notes WHERE v IS NOT NULL")[0][0] < 1801:
            assert time.monotonic() < deadline, "the resumed back-fill did not finish"
            time.sleep(0.1)
        assert background.wait_for_backfills(timeout=30)
        assert "backfill" not in str(rows(cur, "SHOW CREATE TABLE notes"))
        resumed.close()


def test_shell_says_it_resumes_a_backfill(datadir: Path) -> None:
    with HuggingFaceMock(api_key="hf_test0123456789abcdef", latency=0.05) as mock:
        make_notes(datadir, mock, 2000)
        process = subprocess.Popen(
            [sys.executable, "-c", RESUMER, str(datadir), ADD], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        assert process.stdout.readline().startswith("progress")
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        shell = subprocess.run(
            [
                sys.executable,
                "-m",
                "autovec.cli.main",
                "sql",
                "--db",
                str(datadir),
                "-e",
                "SELECT 1",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shell.returncode == 0
        assert "resuming the embedding back-fill of test.notes in the background" in shell.stderr


def test_plain_generated_column_is_computed(cur: autovec.Cursor) -> None:
    cur.execute("CREATE TABLE g (a INT, b INT, s INT GENERATED ALWAYS AS (a + b) STORED)")
    cur.execute("INSERT INTO g (a, b) VALUES (1, 2), (3, 4)")
    cur.execute("UPDATE g SET a = 10 WHERE b = 2")
    assert rows(cur, "SELECT s FROM g ORDER BY b") == [(12,), (7,)]
    cur.execute("ALTER TABLE g ADD COLUMN d INT GENERATED ALWAYS AS (b * 2) STORED")
    assert rows(cur, "SELECT d FROM g ORDER BY b") == [(4,), (8,)]
    with pytest.raises(autovec.OperationalError) as info:
        cur.execute("INSERT INTO g (a, b, s) VALUES (1, 1, 1)")
    assert info.value.args[0] == 3105


def test_backfill_reaches_the_smallest_rowid(
    datadir: Path, huggingface_mock: HuggingFaceMock
) -> None:
    make_notes(datadir, huggingface_mock, 0)
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE wide (id BIGINT PRIMARY KEY, body TEXT)")
    cur.executemany("INSERT INTO wide VALUES (%s, %s)", [(-(2**63), "first"), (-5, "b"), (7, "c")])
    cur.execute(ADD.replace("notes", "wide"))
    assert rows(cur, "SELECT count(*) FROM wide WHERE v IS NULL") == [(0,)]
    conn.close()
