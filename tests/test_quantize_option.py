"""EMBED_TEXT's opt-in int8 mode through SQL: its own vectors, its own cache entries, refusals."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autovec
from autovec.embeddings.local import loading

pytest.importorskip("onnxruntime")
pytest.importorskip("sentence_transformers")

from tests.embeddings.tiny_models import build_tiny_bert

INT8 = '{"quantize": "int8"}'
TEXTS = ["the quick brown fox", "a lazy dog sat on the mat", "vector database search", "cat"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def onnx_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AUTOVEC_ONNX", "auto")
    yield


def _column(tiny: Path, options: str | None = None) -> str:
    extra = f", '{options}'" if options else ""
    return f"VECTOR(32) GENERATED ALWAYS AS (EMBED_TEXT('local/{tiny}', txt{extra})) STORED"


def _vectors(cur: autovec.Cursor, column: str) -> np.ndarray:
    cur.execute(f"SELECT {column} FROM t ORDER BY id")
    return np.array(
        [
            np.array(
                autovec.vector.parse(r[0]) if isinstance(r[0], str) else r[0], dtype=np.float32
            )
            for r in cur.fetchall()
        ]
    )


def test_int8_column_gets_its_own_vectors_close_to_fp32(
    cur: autovec.Cursor, datadir: Path, tiny: Path, onnx_on: None
) -> None:
    cur.execute(
        f"CREATE TABLE t (id INT PRIMARY KEY, txt TEXT, e32 {_column(tiny)}, e8 {_column(tiny, INT8)})"
    )
    cur.executemany("INSERT INTO t (id, txt) VALUES (%s, %s)", list(enumerate(TEXTS)))
    fp32, int8 = _vectors(cur, "e32"), _vectors(cur, "e8")
    # Same text, same model: only the cache key's quantize option keeps these apart.
    assert not np.array_equal(fp32, int8)
    cosines = np.einsum("ij,ij->i", fp32, int8) / (
        np.linalg.norm(fp32, axis=1) * np.linalg.norm(int8, axis=1)
    )
    assert cosines.min() > 0.9
    # The export and its int8 form sit in the data directory's model cache.
    entry = next((datadir / ".models" / "onnx").iterdir())
    assert {"model.onnx", "model.int8.onnx", "export.json"} <= {p.name for p in entry.iterdir()}
    runtimes = {m.encoder.runtime for k, m in loading._models.items() if k[0] == str(tiny)}
    assert "onnx-int8" in runtimes
    # A text query on the int8 column is embedded by the int8 model too.
    cur.execute(
        "SELECT id FROM t ORDER BY VEC_EMBED_COSINE_DISTANCE(e8, %s) LIMIT 1",
        ("the quick brown fox",),
    )
    assert cur.fetchone()[0] == 0


def test_moving_a_filled_column_between_fp32_and_int8_is_refused(
    cur: autovec.Cursor, tiny: Path, onnx_on: None
) -> None:
    cur.execute(f"CREATE TABLE t (id INT PRIMARY KEY, txt TEXT, e {_column(tiny)})")
    cur.execute("INSERT INTO t (id, txt) VALUES (1, 'the cat')")
    with pytest.raises(autovec.DatabaseError, match="column 'e' holds vectors of the fp32 form"):
        cur.execute(f"ALTER TABLE t MODIFY COLUMN e {_column(tiny, INT8)}")
    # Empty, the column may change form.
    cur.execute(f"CREATE TABLE u (id INT PRIMARY KEY, txt TEXT, e {_column(tiny)})")
    cur.execute(f"ALTER TABLE u MODIFY COLUMN e {_column(tiny, INT8)}")


def test_unknown_quantize_mode_is_refused(cur: autovec.Cursor, tiny: Path) -> None:
    column = _column(tiny, '{"quantize": "int4"}')
    with pytest.raises(autovec.DatabaseError, match="option 'quantize' must be one of: int8"):
        cur.execute(f"CREATE TABLE t (id INT PRIMARY KEY, txt TEXT, e {column})")


def test_int8_without_onnx_exports_is_refused(
    cur: autovec.Cursor, tiny: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUTOVEC_ONNX", "off")
    # A model directory of its own, so no int8 instance is already loaded.
    copy = tmp_path / "copy"
    shutil.copytree(tiny, copy)
    cur.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, txt TEXT, e VECTOR(32) GENERATED ALWAYS AS "
        f"(EMBED_TEXT('local/{copy}', txt, '{INT8}')) STORED)"
    )
    with pytest.raises(autovec.DatabaseError, match="needs an ONNX export"):
        cur.execute("INSERT INTO t (id, txt) VALUES (1, 'x')")
