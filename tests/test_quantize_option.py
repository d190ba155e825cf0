"""EMBED_TEXT's opt-in int8 mode: its own vectors, its own cache entries, refusals.

Through SQL (``EMBED_TEXT(model, col, '{"quantize": "int8"}')``, on a tiny model) and
through the SDK's model-level setting (``EmbeddingFunction(model, quantize="int8")``, on
the real all-MiniLM-L6-v2).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import autovec
from autovec import TiDBClient
from autovec.datatype import TEXT
from autovec.embeddings import EmbeddingFunction, InvalidOptionsError
from autovec.embeddings.local import loading
from autovec.embeddings.local.locate import locate_model
from autovec.schema import Field, TableModel

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


MINILM = "huggingface/sentence-transformers/all-MiniLM-L6-v2"
#: Not cached client-side: each embed_* call below runs the model.
minilm_int8 = EmbeddingFunction(MINILM, quantize="int8", caching=False)


class Passage(TableModel):
    __tablename__ = "int8_passages"
    id: int | None = Field(default=None, primary_key=True)
    text: str | None = Field(default=None, sa_type=TEXT)
    vec: list[float] | None = minilm_int8.VectorField(source_field="text")


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow
def test_sdk_function_with_quantize_makes_and_queries_an_int8_column(
    tmp_path: Path, onnx_on: None
) -> None:
    datadir = tmp_path / "data"
    # Client-side calls use the data directory's export cache too: one export, one int8 form
    # (and none in the user's home).
    minilm_int8.model_cache = datadir / ".models"
    fp32 = EmbeddingFunction(MINILM, caching=False, model_cache=datadir / ".models")
    client = TiDBClient.connect(path=datadir)
    try:
        table = client.create_table(schema=Passage)
        ddl = client.query("SHOW CREATE TABLE int8_passages").one()[1]
        assert f"""EMBED_TEXT('{MINILM}', text, '{{"quantize": "int8"}}')""" in ddl
        table.bulk_insert([Passage(text=text) for text in TEXTS])
        stored = np.array([row.vec for row in table.query(order_by="id")], dtype=np.float32)
        # The database embedded the rows with the int8 form: close to fp32, not equal.
        reference = fp32.embed_documents(TEXTS)
        assert np.abs(stored - reference).max() > 1e-3
        assert _cosines(stored, reference).min() > 0.95
        # The function's own calls run the same int8 form.
        np.testing.assert_allclose(minilm_int8.embed_documents(TEXTS), stored, atol=1e-5)
        query = "a small animal resting on a rug"  # a text no call has embedded yet
        int8_query, fp32_query = minilm_int8.embed_query(query), fp32.embed_query(query)
        assert not np.allclose(int8_query, fp32_query, atol=1e-4)
        assert _cosines(int8_query[None], fp32_query[None])[0] > 0.95
        path = str(locate_model(MINILM.removeprefix("huggingface/")))
        forms = {key[2]: m.encoder.runtime for key, m in loading._models.items() if key[0] == path}
        assert forms["int8"] == "onnx-int8"
        # A text search on the column embeds the query with the int8 form, in the database.
        hits = table.search("a lazy dog on a mat").limit(1).to_list()
        assert hits[0]["text"] == "a lazy dog sat on the mat"
    finally:
        client.disconnect()
        minilm_int8.model_cache = None


@pytest.mark.parametrize("model", [MINILM, "local/all-MiniLM-L6-v2"])
def test_sdk_function_with_an_unknown_quantize_mode_is_refused(model: str) -> None:
    function = EmbeddingFunction(model, quantize="int4")
    with pytest.raises(InvalidOptionsError, match="option 'quantize' must be one of: int8"):
        function.embed_query("a text")
