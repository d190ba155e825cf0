"""The SDK's cost over hand-written SQL: ``bulk_insert`` and text search.

Both sides use the same engine in this process, the same model
(``huggingface/sentence-transformers/all-MiniLM-L6-v2``, local, loaded once before any
timing) and the same table: the SDK creates it from a ``TableModel`` (server-side
``EMBED_TEXT`` column, HNSW index), and the hand-written side runs the SDK table's own
``SHOW CREATE TABLE`` under another name.

- insert: ``table.bulk_insert`` of 2,000 texts (real English: standard-library
  docstrings) versus ``cursor.executemany("INSERT … (id, text) VALUES (%s, %s)")`` and a
  commit on an ``autovec.connect`` connection;
- search: 200 text searches, ``table.search(q).limit(10).to_list()`` versus the statement
  it sends (pytidb's: the 100 nearest candidates by ``VEC_EMBED_COSINE_DISTANCE``, then
  the 10 best), written by hand with the query as a parameter, ``fetchall()`` and a
  commit per search (the SDK, like pytidb, runs each call in a session of its own).

Caches, stated: the engine caches embeddings per data directory. **cold** (the headline
``sdk_ratio_insert`` / ``sdk_ratio_search``): every pass runs in a fresh data directory,
so both sides embed every text and every query. **warm** (``*_warm``): each side first
runs the same pass untimed in its directory, so the timed pass finds every vector cached
and measures SQL and SDK work only — the SDK's overhead undiluted by the model.
The two sides alternate, ``--runs`` times (default 3), and each reports its median.

``sdk_ratio_* = SDK rows/s ÷ hand-written rows/s`` (searches/s for search); target ≥ 0.9.
``--profile`` prints where the SDK's time goes (cProfile of one warm pass each).
The last line printed is a JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autovec
from autovec import TiDBClient
from autovec.datatype import TEXT
from autovec.embeddings import EmbeddingFunction
from autovec.schema import Field, TableModel
from bench.embed_ingest import real_texts

MODEL = "huggingface/sentence-transformers/all-MiniLM-L6-v2"
ROWS = 2000
SEARCHES = 200
K = 10

minilm = EmbeddingFunction(MODEL)


class BenchDoc(TableModel):
    __tablename__ = "bench_sdk"
    id: int = Field(primary_key=True)
    text: str = Field(sa_type=TEXT)
    embedding: list[float] = minilm.VectorField(source_field="text")


def queries(texts: list[str]) -> list[str]:
    """Search texts: the first sentence of every tenth document, reworded a little."""
    picked = texts[:: max(1, len(texts) // SEARCHES)][:SEARCHES]
    return [f"how to {t.split('.')[0][:80].lower()}" for t in picked]


# --- the two sides -------------------------------------------------------------------


class SDKSide:
    name = "sdk"

    def __init__(self, directory: Path) -> None:
        self.client = TiDBClient.connect(path=directory / "data")
        self.table = self.client.create_table(schema=BenchDoc, if_exists="overwrite")

    def ddl(self) -> str:
        row: Any = self.client.query("SHOW CREATE TABLE bench_sdk").to_rows()[0]
        return str(row[1])

    def reset(self) -> None:
        self.table = self.client.create_table(schema=BenchDoc, if_exists="overwrite")

    def insert(self, texts: list[str]) -> None:
        self.table.bulk_insert([BenchDoc(id=i, text=t) for i, t in enumerate(texts, 1)])

    def search(self, qs: list[str]) -> None:
        for q in qs:
            rows = self.table.search(q).limit(K).to_list()
            assert len(rows) == K

    def close(self) -> None:
        self.client.disconnect()


# The statement the SDK sends for a text search (pytidb's post-filter shape: the nearest
# 10·K candidates, then the K best of them), written by hand: the same statement, so the
# ratio measures what the SDK adds around it.
HAND_SEARCH = (
    "SELECT candidates.id, candidates.text, candidates.embedding, candidates._distance,"
    " 1 - candidates._distance AS _score FROM (SELECT _inner_hit.id AS id,"
    " _inner_hit.text AS text, _inner_hit.embedding AS embedding,"
    " VEC_EMBED_COSINE_DISTANCE(_inner_hit.embedding, %s) AS _distance"
    f" FROM bench_hand AS _inner_hit ORDER BY _distance ASC LIMIT {10 * K}) AS candidates"
    f" ORDER BY candidates._distance ASC LIMIT {K}"
)


class HandSide:
    name = "hand"

    def __init__(self, directory: Path, ddl: str) -> None:
        self.conn = autovec.connect(directory / "data")
        self.ddl = ddl.replace("CREATE TABLE `bench_sdk`", "CREATE TABLE `bench_hand`", 1)
        assert self.ddl != ddl
        self.reset()

    def reset(self) -> None:
        cur = self.conn.cursor()
        cur.execute("DROP TABLE IF EXISTS bench_hand")
        cur.execute(self.ddl)
        self.conn.commit()

    def insert(self, texts: list[str]) -> None:
        cur = self.conn.cursor()
        cur.executemany(
            "INSERT INTO bench_hand (id, text) VALUES (%s, %s)", list(enumerate(texts, 1))
        )
        self.conn.commit()

    def search(self, qs: list[str]) -> None:
        cur = self.conn.cursor()
        for q in qs:
            cur.execute(HAND_SEARCH, [q])
            assert len(cur.fetchall()) == K
            # One transaction per search, as the SDK's (pytidb's) session per call: the
            # query's embedding, cached by the engine, is committed with it.
            self.conn.commit()

    def close(self) -> None:
        self.conn.close()


Side = SDKSide | HandSide


def make_side(name: str, directory: Path, ddl: str) -> Side:
    return SDKSide(directory) if name == "sdk" else HandSide(directory, ddl)


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_pass(side: Side, texts: list[str], qs: list[str], warm: bool) -> tuple[float, float]:
    """(insert rows/s, searches/s) of one pass; ``warm``: the same pass first, untimed."""
    if warm:
        side.insert(texts)
        side.search(qs)
        side.reset()
    insert_s = timed(lambda: side.insert(texts))
    search_s = timed(lambda: side.search(qs))
    return len(texts) / insert_s, len(qs) / search_s


def measure(texts: list[str], qs: list[str], ddl: str, runs: int, warm: bool) -> dict[str, Any]:
    results: dict[str, dict[str, list[float]]] = {
        name: {"insert": [], "search": []} for name in ("sdk", "hand")
    }
    for run in range(runs):
        order = ("sdk", "hand") if run % 2 == 0 else ("hand", "sdk")
        for name in order:
            with tempfile.TemporaryDirectory() as directory:
                side = make_side(name, Path(directory), ddl)
                try:
                    insert, search = one_pass(side, texts, qs, warm)
                finally:
                    side.close()
            results[name]["insert"].append(insert)
            results[name]["search"].append(search)
            label = "warm" if warm else "cold"
            print(
                f"{label} run {run + 1} {name}: insert {insert:.0f} rows/s, search {search:.1f}/s"
            )
    med = {n: {k: statistics.median(v) for k, v in r.items()} for n, r in results.items()}
    return {
        "insert": med["sdk"]["insert"] / med["hand"]["insert"],
        "search": med["sdk"]["search"] / med["hand"]["search"],
        "medians": med,
    }


def profile(texts: list[str], qs: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        side = SDKSide(Path(directory))
        side.insert(texts)
        side.search(qs)
        side.reset()
        for label, fn in (
            ("bulk_insert", lambda: side.insert(texts)),
            ("search", lambda: side.search(qs)),
        ):
            profiler = cProfile.Profile()
            profiler.runcall(fn)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            print(f"--- SDK {label}, warm ---\n{out.getvalue()}")
        side.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    texts = real_texts(args.rows)
    qs = queries(texts)
    minilm.embed_documents(texts[:32])  # load the model once, for everyone
    with tempfile.TemporaryDirectory() as directory:
        probe = SDKSide(Path(directory))
        ddl = probe.ddl()
        probe.close()
    if args.profile:
        profile(texts, qs)
    cold = measure(texts, qs, ddl, args.runs, warm=False)
    warm = measure(texts, qs, ddl, args.runs, warm=True)
    print(
        json.dumps(
            {
                "bench": "sdk",
                "rows": len(texts),
                "searches": len(qs),
                "runs": args.runs,
                "sdk_ratio_insert": round(cold["insert"], 3),
                "sdk_ratio_search": round(cold["search"], 3),
                "sdk_ratio_insert_warm": round(warm["insert"], 3),
                "sdk_ratio_search_warm": round(warm["search"], 3),
                "rows_per_s": {k: round(v["insert"], 1) for k, v in cold["medians"].items()},
                "searches_per_s": {k: round(v["search"], 1) for k, v in cold["medians"].items()},
                "warm_rows_per_s": {k: round(v["insert"], 1) for k, v in warm["medians"].items()},
                "warm_searches_per_s": {
                    k: round(v["search"], 1) for k, v in warm["medians"].items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
