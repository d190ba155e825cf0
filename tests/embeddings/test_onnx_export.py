"""ONNX exports of local models: verified against torch, cached, reused without torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autovec.embeddings.local import onnx_export
from autovec.embeddings.local.loading import load_model
from autovec.embeddings.local.onnx_export import cached_export, export_failed, export_model
from autovec.embeddings.local.runtime import export_in_background

pytest.importorskip("onnxruntime")
pytest.importorskip("sentence_transformers")

from tests.embeddings.tiny_models import build_tiny_bert

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def exported(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    cache = tmp_path_factory.mktemp("cache")
    path = export_model(tiny, cache)
    assert path is not None
    return cache, path


def _meta(onnx_path: Path) -> dict[str, object]:
    return json.loads((onnx_path.parent / "export.json").read_text())


def test_export_is_verified_and_cached(tiny: Path, exported: tuple[Path, Path]) -> None:
    cache, path = exported
    assert path.is_file() and path.parent.parent == cache / "onnx"
    meta = _meta(path)
    assert meta["status"] == "verified"
    assert float(meta["min_cosine"]) >= onnx_export.MIN_COSINE  # type: ignore[arg-type]
    assert cached_export(tiny, cache) == path
    assert export_model(tiny, cache) == path  # a second call reuses it
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_cache_hit_in_a_new_process_imports_no_torch(
    tiny: Path, exported: tuple[Path, Path]
) -> None:
    from sentence_transformers import SentenceTransformer

    cache, _ = exported
    texts = ["the quick brown fox", "a vector database", "query " * 40]
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from autovec.embeddings.local.onnx_export import cached_export\n"
        "from autovec.embeddings.local.onnx_encoder import OnnxEncoder\n"
        f"model, cache = Path({str(tiny)!r}), Path({str(cache)!r})\n"
        "path = cached_export(model, cache)\n"
        "encoder = OnnxEncoder(model, path)\n"
        f"rows = encoder.encode_batch({texts!r})\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print(json.dumps({'heavy': heavy, 'rows': rows.tolist(), 'runtime': encoder.runtime}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["heavy"] == []
    reference = SentenceTransformer(str(tiny), device="cpu").encode(texts)
    assert np.abs(np.array(answer["rows"]) - reference).max() <= 1e-5


def test_changed_weights_change_the_key(
    tiny: Path, tmp_path: Path, exported: tuple[Path, Path]
) -> None:
    cache, _ = exported
    copy = tmp_path / "copy"
    shutil.copytree(tiny, copy)
    first = export_model(copy, cache)
    assert first is not None and cached_export(copy, cache) == first
    weights = copy / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cached_export(copy, cache) is None  # the model changed: its export is not reused


def test_a_truncated_export_is_not_used(
    tiny: Path, tmp_path: Path, exported: tuple[Path, Path]
) -> None:
    cache, path = exported
    other_cache = tmp_path / "cache"
    shutil.copytree(cache, other_cache)
    copied = other_cache / "onnx" / path.parent.name / path.name
    assert cached_export(tiny, other_cache) == copied
    with open(copied, "r+b") as handle:
        handle.truncate(copied.stat().st_size // 2)
    assert cached_export(tiny, other_cache) is None


def test_an_export_that_disagrees_with_torch_is_discarded_and_not_retried(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The graph of a differently initialised model stands in for a mistraced export.
    impostor = build_tiny_bert(tmp_path / "impostor", seed=1)
    real_export = onnx_export._export_graph
    calls: list[Path] = []

    def export_the_impostor(model: object, target: Path) -> None:
        from sentence_transformers import SentenceTransformer

        calls.append(target)
        real_export(SentenceTransformer(str(impostor), device="cpu"), target)

    monkeypatch.setattr(onnx_export, "_export_graph", export_the_impostor)
    cache = tmp_path / "cache"
    assert export_model(tiny, cache) is None
    assert export_failed(tiny, cache)
    assert cached_export(tiny, cache) is None
    entry = next((cache / "onnx").iterdir())
    assert sorted(p.name for p in entry.iterdir() if not p.name.startswith(".")) == ["export.json"]
    assert export_model(tiny, cache) is None
    assert len(calls) == 1  # remembered as failed: not exported again


def test_two_processes_exporting_at_once_share_one_export(tiny: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from autovec.embeddings.local.onnx_export import export_model\n"
        f"print(export_model(Path({str(tiny)!r}), Path({str(cache)!r})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    paths = {out.strip().splitlines()[-1] for out, _ in outs}
    assert len(paths) == 1
    path = Path(paths.pop())
    assert cached_export(tiny, cache) == path
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_new_process_answers_a_text_query_on_onnx_without_torch(
    tiny: Path, tmp_path: Path
) -> None:
    datadir = tmp_path / "data"
    column = f"VECTOR(32) GENERATED ALWAYS AS (EMBED_TEXT('local/{tiny}', txt)) STORED"
    env = {**os.environ, "PYTHONPATH": str(REPO), "AUTOVEC_ONNX": "auto"}
    # First process: torch embeds the rows; the export is then made into the data directory.
    setup = (
        "import autovec\n"
        "from pathlib import Path\n"
        "from autovec.embeddings.local.onnx_export import export_model\n"
        f"conn = autovec.connect({str(datadir)!r}, autocommit=True)\n"
        "cur = conn.cursor()\n"
        f"cur.execute({f'CREATE TABLE t (id INT PRIMARY KEY, txt TEXT, e {column})'!r})\n"
        "cur.executemany('INSERT INTO t (id, txt) VALUES (%s, %s)', "
        "[(1, 'the cat sat on the mat'), (2, 'vector database search'), (3, 'a quick fox')])\n"
        f"assert export_model(Path({str(tiny)!r}), Path({str(datadir / '.models')!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", setup], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    query = (
        "import sys, autovec\n"
        f"conn = autovec.connect({str(datadir)!r}, autocommit=True)\n"
        "cur = conn.cursor()\n"
        "cur.execute('SELECT id FROM t ORDER BY VEC_EMBED_COSINE_DISTANCE(e, %s) LIMIT 1', "
        "('vector database search',))\n"
        "print(cur.fetchone()[0], sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", query], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "2 []"


def test_the_background_export_is_a_child_process_that_fills_the_cache(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOVEC_ONNX", "auto")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    cache = tmp_path / "cache"
    child = export_in_background(tiny, cache)
    assert child is not None
    assert export_in_background(tiny, cache) is child  # one per model and cache
    assert child.wait(timeout=300) == 0
    assert cached_export(tiny, cache) is not None
    assert export_in_background(tiny, cache) is None  # cached now: nothing to do
    monkeypatch.setenv("AUTOVEC_ONNX", "off")
    assert export_in_background(tiny, tmp_path / "other") is None


def test_a_model_loaded_on_torch_moves_to_its_export_once_it_is_made(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTOVEC_ONNX", "auto")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    model_dir = shutil.copytree(tiny, tmp_path / "tiny-copy")  # a model no test loaded yet
    texts = ["a first text", "and a second, longer text to embed", "third"]
    loaded = load_model(model_dir, model_cache=tmp_path / "cache")
    assert loaded.encoder.runtime == "torch"
    assert loaded.pending is not None  # the export runs in a child process
    on_torch = loaded.encode(texts, prompt=None, prompt_name=None, normalize=True, batch_size=2)
    assert loaded.pending.child.wait(timeout=300) == 0
    on_onnx = loaded.encode(texts, prompt=None, prompt_name=None, normalize=True, batch_size=2)
    assert loaded.encoder.runtime == "onnx" and loaded.pending is None
    assert np.abs(on_onnx - on_torch).max() < 1e-5
    assert load_model(model_dir, model_cache=tmp_path / "cache") is loaded
