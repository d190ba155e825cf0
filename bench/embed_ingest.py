"""Ingest throughput of an EMBED_TEXT column, against the embedding work alone.

- ``local_ratio``: rows/s of INSERTing 2,000 real English texts (docstrings of the Python
  standard library) into a table whose ``VECTOR(384)`` column is
  ``EMBED_TEXT('huggingface/sentence-transformers/all-MiniLM-L6-v2', body)``, divided by
  rows/s of ``SentenceTransformer.encode`` on the same texts with the same loaded model.
  Target ≥ 0.9.
- ``remote_ratio``: rows/s of the same INSERT against a mock DashScope server
  (``text-embedding-v4``: at most 10 texts a request) answering each request after
  100 ms, divided by the ideal 8 concurrent requests × 10 texts / 0.1 s. Target ≥ 0.8.

The last line printed is a JSON object with both ratios.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.mock_providers

import autovec
from autovec.embeddings.local.corpus import stdlib_docstrings

ROWS = 2000


def real_texts(count: int) -> list[str]:
    """Distinct docstrings from the standard library: real English prose, offline."""
    texts = stdlib_docstrings(count, min_chars=40, max_chars=1000)
    if len(texts) < count:
        raise RuntimeError(f"found only {len(texts)} docstrings")
    return texts


def insert_rows_per_second(
    conn: autovec.Connection, model: str, dims: int, texts: list[str]
) -> float:
    cur = conn.cursor()
    cur.execute(
        f"CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, "
        f"v VECTOR({dims}) GENERATED ALWAYS AS (EMBED_TEXT('{model}', body)) STORED)"
    )
    start = time.perf_counter()
    cur.executemany("INSERT INTO docs (id, body) VALUES (%s, %s)", list(enumerate(texts)))
    elapsed = time.perf_counter() - start
    cur.execute("SELECT count(*) FROM docs WHERE v IS NOT NULL")
    assert cur.fetchone() == (len(texts),)
    return len(texts) / elapsed


def local_ratio(texts: list[str]) -> tuple[float, float, float]:
    from sentence_transformers import SentenceTransformer

    from autovec.embeddings.local.locate import locate_model

    path = locate_model("sentence-transformers/all-MiniLM-L6-v2", None)
    assert path is not None, "the all-MiniLM-L6-v2 model package is not installed"
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.encode(texts[:64])  # warm up both sides' shared model
    start = time.perf_counter()
    model.encode(texts)
    baseline = len(texts) / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as directory:
        conn = autovec.connect(directory, autocommit=True)
        measured = insert_rows_per_second(
            conn, "huggingface/sentence-transformers/all-MiniLM-L6-v2", 384, texts
        )
        conn.close()
    return measured / baseline, measured, baseline


def serve_mock(variables: Any, stop: Any, peak: Any) -> None:
    """Run the mock provider in its own process, as a real provider is: its CPU (JSON,
    vector generation) must not be charged to the database's process."""
    from tests.mock_providers.dashscope import DashScopeMock

    with DashScopeMock(api_key="sk-bench", latency=0.1) as mock:
        variables.put(mock.variables())
        stop.wait()
        peak.value = mock.max_in_flight


def remote_ratio(texts: list[str]) -> tuple[float, float, float, int]:
    ideal = 8 * 10 / 0.1
    context = multiprocessing.get_context("spawn")
    variables, stop, peak = context.Queue(), context.Event(), context.Value("i", 0)
    server = context.Process(target=serve_mock, args=(variables, stop, peak), daemon=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            conn = autovec.connect(directory, autocommit=True)
            cur = conn.cursor()
            for name, value in variables.get(timeout=60).items():
                cur.execute(f"SET @@GLOBAL.{name} = %s", [value])
            measured = insert_rows_per_second(conn, "dashscope/text-embedding-v4", 1024, texts)
            conn.close()
    finally:
        stop.set()
        server.join(timeout=30)
    return measured / ideal, measured, ideal, peak.value


def main() -> None:
    texts = real_texts(ROWS)
    local, local_rows, encode_rows = local_ratio(texts)
    print(f"local: INSERT {local_rows:.0f} rows/s, encode alone {encode_rows:.0f} rows/s")
    remote, remote_rows, ideal, concurrency = remote_ratio(texts)
    print(
        f"remote: INSERT {remote_rows:.0f} rows/s, ideal {ideal:.0f} rows/s, peak concurrency {concurrency}"
    )
    print(
        json.dumps(
            {
                "bench": "embed_ingest",
                "local_ratio": round(local, 3),
                "remote_ratio": round(remote, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
