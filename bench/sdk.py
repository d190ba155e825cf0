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

Caches, stated: the engine caches embeddings per data directory, and each side has a
directory of its own. **cold** (the headline ``sdk_ratio_insert`` / ``sdk_ratio_search``):
the insert embeds every text, and each search round asks queries neither side has seen
(round r asks about every tenth document from the r-th on, worded its own way), so both sides embed every
query. **warm** (``*_warm``): the same rows inserted again into an emptied table and the
first round's queries asked again — every vector is cached, so these measure SQL and SDK
work only, the SDK's overhead undiluted by the model.

Per run both sides are open at once and take turns — insert, then each search round,
the side going first alternating — so a noisy machine slows both alike; ``--runs``
(default 3) × ``--rounds`` (default 5) search samples per side, and each side reports
its medians. ``sdk_ratio_* = SDK rows/s ÷ hand-written rows/s`` (searches/s for
search); target ≥ 0.9. ``--profile`` prints where the SDK's time goes (cProfile of one
warm pass each).
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


QUESTIONS = ("how to", "what does", "why would i", "when should i", "where can i")


def queries(texts: list[str], round_: int = 0) -> list[str]:
    """Search texts: the first sentence of every tenth document from the ``round_``-th on,
    asked a little differently in each round (distinct rounds ask distinct queries)."""
    picked = texts[round_ :: max(1, len(texts) // SEARCHES)][:SEARCHES]
    question = QUESTIONS[round_ % len(QUESTIONS)]
    return [f"{question} {t.split('.')[0][:80].lower()}" for t in picked]


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
Samples = dict[str, dict[str, list[float]]]


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


Rate = Callable[[Side], float]


def insert_rate(texts: list[str]) -> Rate:
    return lambda side: len(texts) / timed(lambda: side.insert(texts))


def search_rate(qs: list[str]) -> Rate:
    return lambda side: len(qs) / timed(lambda: side.search(qs))


class Turns:
    """The sides take turns at each step, the first alternating, and every rate is kept."""

    def __init__(self, sides: list[Side], samples: Samples) -> None:
        self.sides = sides
        self.samples = samples
        self.turn = 0

    def __call__(self, what: str, rate: Rate) -> None:
        order = self.sides if self.turn % 2 == 0 else self.sides[::-1]
        self.turn += 1
        for side in order:
            self.samples[side.name][what].append(rate(side))


def one_run(
    run: int, texts: list[str], rounds: list[list[str]], ddl: str, samples: Samples
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        sdk = SDKSide(Path(directory) / "sdk")
        hand = HandSide(Path(directory) / "hand", ddl)
        turns = Turns([sdk, hand], samples)
        turns.turn = run
        try:
            turns("insert", insert_rate(texts))
            for qs in rounds:  # queries new to both sides: embedded
                turns("search", search_rate(qs))
            sdk.reset()
            hand.reset()
            turns("insert_warm", insert_rate(texts))  # every text's vector is cached
            for _ in rounds:  # the first round's queries again: cached
                turns("search_warm", search_rate(rounds[0]))
        finally:
            sdk.close()
            hand.close()
    n = len(rounds)
    for name, got in samples.items():
        print(
            f"run {run + 1} {name}: insert {got['insert'][-1]:.0f} rows/s,"
            f" search {statistics.median(got['search'][-n:]):.1f}/s;"
            f" warm: insert {got['insert_warm'][-1]:.0f} rows/s,"
            f" search {statistics.median(got['search_warm'][-n:]):.1f}/s"
        )


def measure(
    texts: list[str], rounds: list[list[str]], ddl: str, runs: int
) -> dict[str, dict[str, float]]:
    """Each side's median rates: insert, search, insert_warm, search_warm."""
    kinds = ("insert", "search", "insert_warm", "search_warm")
    samples: Samples = {name: {kind: [] for kind in kinds} for name in ("sdk", "hand")}
    for run in range(runs):
        one_run(run, texts, rounds, ddl, samples)
    return {
        name: {kind: statistics.median(v) for kind, v in got.items()}
        for name, got in samples.items()
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
    parser.add_argument("--rounds", type=int, default=5, help="search rounds per run")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    texts = real_texts(args.rows)
    rounds = [queries(texts, r) for r in range(args.rounds)]
    minilm.embed_documents(texts[:32])  # load the model once, for everyone
    with tempfile.TemporaryDirectory() as directory:
        probe = SDKSide(Path(directory))
        ddl = probe.ddl()
        probe.close()
    if args.profile:
        profile(texts, rounds[0])
    med = measure(texts, rounds, ddl, args.runs)
    sdk, hand = med["sdk"], med["hand"]
    print(
        json.dumps(
            {
                "bench": "sdk",
                "rows": len(texts),
                "searches": len(rounds[0]),
                "runs": args.runs,
                "rounds": args.rounds,
                "sdk_ratio_insert": round(sdk["insert"] / hand["insert"], 3),
                "sdk_ratio_search": round(sdk["search"] / hand["search"], 3),
                "sdk_ratio_insert_warm": round(sdk["insert_warm"] / hand["insert_warm"], 3),
                "sdk_ratio_search_warm": round(sdk["search_warm"] / hand["search_warm"], 3),
                "rows_per_s": {k: round(v["insert"], 1) for k, v in med.items()},
                "searches_per_s": {k: round(v["search"], 1) for k, v in med.items()},
                "warm_rows_per_s": {k: round(v["insert_warm"], 1) for k, v in med.items()},
                "warm_searches_per_s": {k: round(v["search_warm"], 1) for k, v in med.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
