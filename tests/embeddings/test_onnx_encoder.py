"""OnnxEncoder: the exported model under ONNX Runtime, against sentence-transformers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autovec.embeddings.local.corpus import stdlib_docstrings
from autovec.embeddings.local.onnx_encoder import OnnxEncoder, physical_cores
from autovec.embeddings.local.onnx_export import export_model

pytest.importorskip("onnxruntime")
SentenceTransformer = pytest.importorskip("sentence_transformers").SentenceTransformer

from tests.embeddings.tiny_models import build_tiny_bert  # noqa: E402

TEXTS = [
    "",
    "the cat sat on the mat",
    "A Quick Brown Fox!",
    "query " * 80,  # past max_seq_length (48)
    "vector, database; search? 42",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    model = build_tiny_bert(tmp_path_factory.mktemp("tiny"))
    onnx_path = export_model(model, tmp_path_factory.mktemp("cache"))
    assert onnx_path is not None
    return model, onnx_path


def test_rows_match_sentence_transformers(tiny: tuple[Path, Path]) -> None:
    model, onnx_path = tiny
    encoder = OnnxEncoder(model, onnx_path)
    reference = SentenceTransformer(str(model), device="cpu").encode(TEXTS, batch_size=2)
    # One batch (all padded to the longest) and one text at a time: padding changes nothing.
    together = encoder.encode_batch(TEXTS)
    alone = np.concatenate([encoder.encode_batch([t]) for t in TEXTS])
    assert together.dtype == np.float32 and together.shape == (len(TEXTS), 32)
    assert np.abs(together - reference).max() <= 1e-5
    assert np.abs(alone - reference).max() <= 1e-5


def test_token_counts_are_sentence_transformers_lengths(tiny: tuple[Path, Path]) -> None:
    model, onnx_path = tiny
    encoder = OnnxEncoder(model, onnx_path)
    st = SentenceTransformer(str(model), device="cpu")
    expected = [
        int(st.tokenizer(t, truncation=True, max_length=48)["input_ids"].__len__()) for t in TEXTS
    ]
    counts = encoder.token_counts(TEXTS)
    assert counts.dtype == np.int64
    assert counts.tolist() == expected
    assert encoder.max_seq_length == 48 and counts.max() == 48


def test_limits_and_prompts_come_from_the_model_directory(
    tiny: tuple[Path, Path], tmp_path: Path
) -> None:
    model, onnx_path = tiny
    config = json.loads((model / "config_sentence_transformers.json").read_text())
    assert OnnxEncoder(model, onnx_path, max_seq_length=16).max_seq_length == 16
    assert OnnxEncoder(model, onnx_path, max_seq_length=500).max_seq_length == 48
    assert dict(OnnxEncoder(model, onnx_path).prompts) == config.get("prompts", {})


def test_threads_are_physical_cores() -> None:
    assert 1 <= physical_cores() <= (__import__("os").cpu_count() or 1)


@pytest.mark.slow
def test_minilm_export_matches_torch(tmp_path: Path) -> None:
    from autovec.embeddings.local.locate import locate_model

    model = locate_model("sentence-transformers/all-MiniLM-L6-v2")
    if model is None:
        pytest.skip("the all-MiniLM-L6-v2 package is not installed")
    onnx_path = export_model(model, tmp_path)
    assert onnx_path is not None
    texts = stdlib_docstrings(64)
    encoder = OnnxEncoder(model, onnx_path)
    order = np.argsort(encoder.token_counts(texts), kind="stable")
    got = np.zeros((len(texts), encoder.dimensions), dtype=np.float32)
    for start in range(0, len(texts), 16):
        index = order[start : start + 16]
        got[index] = encoder.encode_batch([texts[i] for i in index])
    reference = SentenceTransformer(str(model), device="cpu").encode(texts, batch_size=16)
    assert encoder.dimensions == 384 and encoder.max_seq_length == 256
    assert np.abs(got - reference).max() <= 1e-5
