"""Local embedding speed: ingest, text queries, cold start and the int8 mode, side by side.

all-MiniLM-L6-v2 (the installed model package), 2,000 real texts of mixed length (the
standard library's docstrings, as bench/embed_ingest.py gathers them), in one process:

- ``ingest_ratio``: seconds of ``SentenceTransformer.encode(texts, batch_size=32)`` on a
  bare model ÷ seconds of INSERTing the texts into a fresh ``EMBED_TEXT`` column (target
  ≥ 1.35); ``max_abs_diff`` between the two sets of vectors (target ≤ 1e-5).
- ``query_overhead_ms_20k``: p50 of ``ORDER BY VEC_EMBED_COSINE_DISTANCE(embedding, %s)
  LIMIT 10`` with a text not seen before, over 20,000 rows, minus p50 of embedding the same
  kind of text with autovec's loaded model + numpy top-10 (target ≤ 2); also at 2,000 and
  100,000 rows with ``--sizes``.
- ``query_p50_ratio``: that text query's p50 ÷ p50 of sentence-transformers ``encode`` of
  one text + numpy top-10 (target ≤ 0.5).
- ``cold_start_s``: a fresh process, ``import autovec`` to the first uncached text query's
  answer, with an ONNX export cached (``cold_start_no_export_s``: with none);
  ``cold_start_ratio``: ÷ the same for sentence-transformers + numpy (target ≤ 0.4).
- ``int8_speedup``, ``int8_cos_mean``, ``int8_top10_overlap``: the int8 mode against fp32
  (``autovec.embeddings.local.onnx_export.quantization_report``); null when this tree has
  no int8 mode.

Timings alternate between the sides, medians of several runs. The last line printed is a
JSON object with every figure. ``--quick`` runs fewer repetitions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for embed_ingest.real_texts

from embed_ingest import real_texts

import autovec
from autovec.cli.models import DATADIR_MODEL_CACHE
from autovec.embeddings.base import model_cache_dir
from autovec.embeddings.local.locate import locate_model
from autovec.embeddings.local.onnx_export import cached_export, export_model, quantization_report
from autovec.embeddings.providers.local import LocalProvider

MODEL = "local/all-MiniLM-L6-v2"
TEXTS = 2000
TABLE = (
    "CREATE TABLE docs (id INT PRIMARY KEY, body TEXT, embedding VECTOR(384) "
    f"GENERATED ALWAYS AS (EMBED_TEXT('{MODEL}', body)) STORED)"
)
SEARCH = "SELECT id FROM docs ORDER BY VEC_EMBED_COSINE_DISTANCE(embedding, %s) LIMIT 10"

#: A fresh process answering its first uncached text query through autovec.
AUTOVEC_COLD = """
import sys, time
start = time.perf_counter()
import autovec
conn = autovec.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
cur.execute(%r, [sys.argv[2]])
assert len(cur.fetchall()) == 10
print(time.perf_counter() - start, flush=True)
"""

#: The same with sentence-transformers and numpy over the vectors saved as .npy.
BARE_COLD = """
import sys, time
start = time.perf_counter()
import numpy as np
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu", local_files_only=True)
matrix = np.load(sys.argv[3])
q = model.encode([sys.argv[2]], normalize_embeddings=True)[0]
scores = matrix @ q
top = np.argpartition(scores, len(scores) - 10)[len(scores) - 10:]
assert len(top) == 10
print(time.perf_counter() - start, flush=True)
"""


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def top10(matrix: np.ndarray, q: np.ndarray) -> np.ndarray:
    scores = matrix @ q
    return np.argpartition(scores, len(scores) - 10)[len(scores) - 10 :]


def column_vectors(cur: autovec.Cursor) -> np.ndarray:
    cur.execute("SELECT embedding FROM docs ORDER BY id")
    return np.stack([np.asarray(v, dtype=np.float32) for (v,) in cur.fetchall()])


def ingest(
    texts: list[str], bare: Any, runs: int, workdir: Path
) -> tuple[float, float, Path, list[float], list[float]]:
    """(ratio, max_abs_diff, the last run's data directory, INSERT times, encode times)."""
    bare.encode(texts[:64], batch_size=32)  # warm the bare model
    inserts: list[float] = []
    encodes: list[float] = []
    diff = 0.0
    datadir = workdir / "ingest-0"
    for run in range(runs):
        datadir = workdir / f"ingest-{run}"
        conn = autovec.connect(datadir, autocommit=True)
        cur = conn.cursor()
        cur.execute(TABLE)
        if run == 0:  # loads autovec's model outside the timing, as the bare one is loaded
            cur.execute("SELECT VEC_DIMS(EMBED_TEXT(%s, 'warm up'))", [MODEL])
        rows = list(enumerate(texts))
        inserts.append(
            seconds(lambda: cur.executemany("INSERT INTO docs (id, body) VALUES (%s, %s)", rows))  # noqa: B023
        )
        expected: list[np.ndarray] = []
        encodes.append(
            seconds(lambda: expected.append(bare.encode(texts, batch_size=32)))  # noqa: B023
        )
        diff = max(diff, float(np.abs(column_vectors(cur) - expected[0]).max()))
        conn.close()
        if run < runs - 1:
            shutil.rmtree(datadir)
    return statistics.median(encodes) / statistics.median(inserts), diff, datadir, inserts, encodes


def grow(datadir: Path, texts: list[str], rows: int) -> None:
    """Fill the table to ``rows`` rows (repeating the texts: their vectors are cached)."""
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM docs")
    have = int(cur.fetchone()[0])
    for start in range(have, rows, 5000):
        batch = [(i, texts[i % len(texts)]) for i in range(start, min(rows, start + 5000))]
        cur.executemany("INSERT INTO docs (id, body) VALUES (%s, %s)", batch)
    conn.close()


def queries(datadir: Path, bare: Any, count: int, tag: str) -> dict[str, float]:
    """p50s (ms) of the text query and of the hand-made equivalents, alternating."""
    conn = autovec.connect(datadir, autocommit=True)
    cur = conn.cursor()
    matrix = column_vectors(cur)
    # The model as the data directory's statements load it (its cached export, if any).
    token = model_cache_dir.set(datadir / DATADIR_MODEL_CACHE)
    try:
        model = LocalProvider("all-MiniLM-L6-v2").loaded()
    finally:
        model_cache_dir.reset(token)
    print(f"text query: autovec's model runs on {model.encoder.runtime}")

    def by_autovec_model(text: str) -> None:
        q = model.encode([text], prompt=None, prompt_name=None, normalize=True, batch_size=32)
        top10(matrix, q[0])

    def by_sentence_transformers(text: str) -> None:
        top10(matrix, bare.encode([text], normalize_embeddings=True)[0])

    def by_sql(text: str) -> None:
        cur.execute(SEARCH, [text])
        assert len(cur.fetchall()) == 10

    words = ("open", "parse", "sort", "encode", "close", "join", "split", "format")
    for k in range(8):  # warm every side (first shapes, the matrix, the plan)
        for side in (by_sql, by_autovec_model, by_sentence_transformers):
            side(f"warm up {words[k]} {tag} {k}")
    times: dict[str, list[float]] = {"sql": [], "model": [], "st": []}
    for k in range(count):
        # Same shape of text on every side, never seen before by the SQL side's cache.
        text = f"how do I {words[k % len(words)]} a file, case {k} of {tag}"
        sides = [("sql", by_sql), ("model", by_autovec_model), ("st", by_sentence_transformers)]
        for name, side in sides if k % 2 else reversed(sides):
            times[name].append(seconds(lambda: side(text)) * 1000)  # noqa: B023
    conn.close()
    return {name: statistics.median(values) for name, values in times.items()}


def cold_start(datadir: Path, model_dir: Path, runs: int, tag: str) -> tuple[float, float]:
    """Medians (s) of a fresh process's first uncached text query: autovec, then bare."""
    with tempfile.TemporaryDirectory() as scratch:
        matrix_file = Path(scratch) / "matrix.npy"
        conn = autovec.connect(datadir, autocommit=True)
        np.save(matrix_file, column_vectors(conn.cursor()))
        conn.close()
        ours: list[float] = []
        bare: list[float] = []
        for run in range(runs):
            text = f"a question asked cold, {tag} run {run} at {time.time()}"
            for side in ("autovec", "bare") if run % 2 == 0 else ("bare", "autovec"):
                if side == "autovec":
                    code = AUTOVEC_COLD % SEARCH
                    args = [str(datadir), text]
                else:
                    code, args = BARE_COLD, [str(model_dir), text, str(matrix_file)]
                done = subprocess.run(
                    [sys.executable, "-c", code, *args],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "HF_HUB_OFFLINE": "1"},
                )
                answered = done.stdout.split()
                if not answered:
                    raise RuntimeError(f"{side} cold start failed: {done.stderr[-2000:]}")
                if done.returncode != 0:  # answered, then failed on the way out
                    print(f"note: {side} cold start answered, then exited {done.returncode}")
                (ours if side == "autovec" else bare).append(float(answered[-1]))
    return statistics.median(ours), statistics.median(bare)


def export_into(datadir: Path, model_dir: Path) -> bool:
    """Put a verified ONNX export in the data directory's model cache; False if unavailable."""
    cache = datadir / DATADIR_MODEL_CACHE
    try:
        return (cached_export(model_dir, cache) or export_model(model_dir, cache)) is not None
    except ImportError:  # onnx or onnxruntime not installed
        return False


def int8_figures(model_dir: Path, cache: Path, texts: list[str]) -> dict[str, float | None]:
    empty: dict[str, float | None] = {
        "int8_speedup": None,
        "int8_cos_mean": None,
        "int8_top10_overlap": None,
    }
    try:
        report = quantization_report(model_dir, cache, texts=texts)
    except (FileNotFoundError, ImportError) as exc:
        print(f"int8: unavailable here: {exc}")
        return empty
    print(
        f"int8: {report.speedup:.2f}x fp32, cosine mean {report.cos_mean:.4f} "
        f"min {report.cos_min:.4f}, top-10 overlap {report.top10_overlap:.3f}"
    )
    return {
        "int8_speedup": round(report.speedup, 3),
        "int8_cos_mean": round(report.cos_mean, 5),
        "int8_top10_overlap": round(report.top10_overlap, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, for a smoke test")
    parser.add_argument(
        "--sizes", default="20000", help="table sizes for the text query (default: 20000)"
    )
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp)")
    args = parser.parse_args()
    ingest_runs, query_count, cold_runs = (1, 20, 1) if args.quick else (5, 100, 3)

    from sentence_transformers import SentenceTransformer

    model_dir = locate_model("all-MiniLM-L6-v2")
    assert model_dir is not None, "the all-MiniLM-L6-v2 model package is not installed"
    texts = real_texts(TEXTS)
    bare = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="autovec-local-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"bench": "local_speed"}
    try:
        ratio, diff, datadir, inserts, encodes = ingest(texts, bare, ingest_runs, workdir)
        print(
            f"ingest: INSERT {statistics.median(inserts):.2f} s, "
            f"SentenceTransformer.encode {statistics.median(encodes):.2f} s for {len(texts)} texts"
            f" ({ingest_runs} runs), max |diff| {diff:.2e}"
        )
        figures |= {"ingest_ratio": round(ratio, 3), "max_abs_diff": float(f"{diff:.3g}")}
        for size in sorted(int(s) for s in args.sizes.split(",")):
            grow(datadir, texts, size)
            p50 = queries(datadir, bare, query_count, f"n{size}")
            overhead = p50["sql"] - p50["model"]
            print(
                f"text query at {size} rows: p50 {p50['sql']:.1f} ms; embed+numpy "
                f"{p50['model']:.1f} ms (autovec's model), {p50['st']:.1f} ms "
                f"(sentence-transformers); overhead {overhead:.2f} ms"
            )
            figures[f"query_overhead_ms_{size // 1000}k"] = round(overhead, 2)
            if size == 20000:
                figures["query_p50_ratio"] = round(p50["sql"] / p50["st"], 3)
        cold_dir = workdir / "cold"
        shutil.copytree(datadir, cold_dir, ignore=shutil.ignore_patterns(".models"))
        ours, theirs = cold_start(cold_dir, model_dir, cold_runs, "no export")
        print(f"cold start, no export cached: {ours:.2f} s; sentence-transformers {theirs:.2f} s")
        figures["cold_start_no_export_s"] = round(ours, 3)
        if export_into(cold_dir, model_dir):
            ours, theirs = cold_start(cold_dir, model_dir, cold_runs, "export")
            print(f"cold start, export cached: {ours:.2f} s; sentence-transformers {theirs:.2f} s")
        else:
            print("cold start: no ONNX export could be made here; the figure is torch's")
        figures |= {"cold_start_s": round(ours, 3), "cold_start_ratio": round(ours / theirs, 3)}
        # --quick: a quarter of the texts (the report times fp32 and int8 over them twice).
        corpus = texts[: len(texts) // 4] if args.quick else texts
        figures |= int8_figures(model_dir, cold_dir / DATADIR_MODEL_CACHE, corpus)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
